"""A fill never charges more than what we list once it is sized (issue #15, the price rule).

Fills are sized before the quotes: they can take the capacity the quote had in the first pass,
and the quote's order would be withdrawn while the fill charges its price. The cycle gives one
task back to the listing (bot.engine.cycle._within_listing)."""

from __future__ import annotations

from bot.domain.fill_orders import FillBook
from bot.domain.model import Quote
from bot.engine.cycle import _climbing, _within_listing
from bot.pricing.fills import FillIntent, candidates
from bot.pricing.ledger import Ledger
from bot.pricing.rails import RailsConfig, apply_rails
from tests.support.factories import POOL, h, snap, util
from tests.unit.pricing.test_fills import app_order, fill_offer, req

CFG = RailsConfig(floor=1_000, ceiling=10**9, max_step=1.0, max_volume=10**6)


def test_fills_leave_the_listing_public_and_charge_no_more_than_it() -> None:
    o = fill_offer(task_seconds=300.0)
    snapshot = snap(offers=[o], utilization=util(registered=1))
    book = FillBook((req("big", 5_000, 30),), (app_order("a"),))
    quote = Quote(category=0, price=4_000, volume=5)
    ledger = Ledger.of(snapshot, [o], CFG)
    first = apply_rails([quote], snapshot, ledger, CFG)
    assert first.quotes[0].volume > 0  # listed in the first pass
    ok, _ = candidates([FillIntent(h("big"), 4_000, 30)], book, [o], POOL, CFG.floor)
    second = apply_rails([quote], snapshot, ledger, CFG, fills=ok)
    window = second.fills[0].volume
    assert second.quotes[0].volume == 0  # the fill took it all: the listing would go
    got = _within_listing(second, ok, [quote], snapshot, ledger, CFG)
    listed = {q.slot: q.price for q in got.quotes if q.volume > 0}
    assert listed == {o.slot: 4_000}
    assert [f.volume for f in got.fills] == [window - 1]
    assert all(f.price <= listed[f.candidate.offer.slot] for f in got.fills)


def test_a_strategys_fill_above_the_final_listing_is_lowered_to_it() -> None:
    o = fill_offer(task_seconds=300.0)
    snapshot = snap(offers=[o], utilization=util(registered=4))
    book = FillBook((req("r", 9_000, 2),), (app_order("a"),))
    quote = Quote(category=0, price=4_000, volume=5)
    ledger = Ledger.of(snapshot, [o], CFG)
    ok, _ = candidates([FillIntent(h("r"), 8_000, 2)], book, [o], POOL, CFG.floor)
    second = apply_rails([quote], snapshot, ledger, CFG, fills=ok)
    assert second.fills[0].price == 8_000
    got = _within_listing(second, ok, [quote], snapshot, ledger, CFG)
    assert [(f.price, f.volume) for f in got.fills] == [(4_000, 2)]


def test_fills_wait_only_on_a_listing_the_listing_rule_raised_and_that_is_rising() -> None:
    o = fill_offer(task_seconds=300.0)
    snapshot = snap(offers=[o])  # nothing of ours listed yet: any listing is a rise
    asked = [Quote(category=0, price=1_000, volume=5)]  # the strategy's own quote
    raised = [Quote(category=0, price=9_000, volume=5)]  # the listing rule's
    assert _climbing(raised, asked, {o.slot: 1_200}, snapshot, 10**9) == {o.slot}
    # reached (or the ceiling is the limit): not climbing
    assert _climbing(raised, asked, {o.slot: 9_000}, snapshot, 10**9) == frozenset()
    assert _climbing(raised, asked, {o.slot: 5_000}, snapshot, 5_000) == frozenset()
    # the strategy's own climb (not raised by the listing rule) is not waited on
    assert _climbing(raised, raised, {o.slot: 1_200}, snapshot, 10**9) == frozenset()

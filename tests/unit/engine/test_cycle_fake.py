"""The whole tick on the fake world: real strategies, rails, planner, executor and journal."""

from __future__ import annotations

import logging
import random

from bot.adapters.journal import MemoryJournal, SqliteJournal
from bot.domain.errors import TransientError
from bot.domain.model import PoolUtilization
from bot.engine.cycle import Cycle, CycleSettings, CycleState
from bot.pricing.rails import RailsConfig
from bot.pricing.snapshot import Offer
from strategies import create
from tests.support.fakes import (
    NETWORK,
    OWNER_KEY,
    POOL,
    ChainView,
    FakeSigner,
    FakeWorld,
    fake_ports,
    rival_order,
)

OFFER = Offer(category=0, task_seconds=300, max_volume=10)
RAILS = RailsConfig(
    floor=1_000, ceiling=10**9, max_step=0.5, deadband=0.02, stale_after_seconds=600
)


def make_cycle(
    *,
    live: bool = True,
    world: FakeWorld | None = None,
    journal=None,
    strategy=None,
    rails: RailsConfig = RAILS,
    signer=None,
):
    world = world or FakeWorld()
    ports = fake_ports(
        world,
        journal if journal is not None else MemoryJournal(keep_records=True),
        signer if signer is not None else FakeSigner(),
    )
    settings = CycleSettings(
        workerpool=POOL,
        offers=(OFFER,),
        rails=rails,
        live=live,
    )
    strategy = strategy or create("competitive", {"step": 1000, "floor": 1000})
    return Cycle(ports, settings, strategy, rng=random.Random(1)), world


def test_first_tick_publishes_under_the_cheapest_rival():
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    result = cycle.tick()
    assert [s.kind for s in result.report.steps] == ["publish"]
    assert result.report.steps[0].outcome == "ok"
    (signed,) = world.listed.values()
    assert signed.order.workerpoolprice == 99_000
    assert signed.order.workerpool == POOL


def test_dry_run_tick_changes_nothing():
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world, live=False)
    result = cycle.tick()
    assert [s.outcome for s in result.report.steps] == ["dry-run"]
    assert world.calls == [] and world.listed == {}


def test_unchanged_market_keeps_the_order_and_says_why(caplog):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    world.clock.t += 60
    with caplog.at_level(logging.INFO):
        result = cycle.tick()
    assert [s.kind for s in result.report.steps] == ["keep"]
    assert "deadband" in result.report.steps[0].reason
    assert any(
        "kept because" in r.getMessage() and "deadband" in r.getMessage() for r in caplog.records
    )
    assert [k for k, _ in world.calls] == ["publish"]


def test_reprice_after_a_competitor_moves_down():
    world = FakeWorld()
    world.book["r"] = rival_order(100_000_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    (first,) = world.listed
    world.book["r"] = rival_order(80_000_000)
    world.clock.t += 60
    result = cycle.tick()
    kinds = [(s.kind, s.outcome) for s in result.report.steps]
    # idle capacity is worth more than the gas: the dearer order is closed, not just unlisted
    assert kinds == [("unpublish", "ok"), ("cancel", "ok"), ("publish", "ok")]
    assert first not in world.listed
    (new,) = world.listed.values()
    assert new.order.workerpoolprice == 79_999_000


def test_cheap_price_decrease_only_unpublishes_and_keeps_counting_the_old_order():
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    (first,) = world.listed
    world.book["r"] = rival_order(80_000)
    world.clock.t += 60
    result = cycle.tick()
    assert [(s.kind, s.outcome) for s in result.report.steps] == [("unpublish", "ok")]
    assert world.consumed.get(first, 0) == 0  # still valid on chain, still tracked
    assert first in cycle.state.sampler.tracked


def test_price_increase_closes_the_old_order_on_chain_before_publishing():
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    (first,) = world.listed
    world.book["r"] = rival_order(120_000)
    world.clock.t += 60
    cycle.tick()
    kinds = [k for k, _ in world.calls]
    assert kinds == ["publish", "unpublish", "cancel", "publish"]
    assert world.consumed[first] == 10
    (new,) = world.listed.values()
    assert new.order.workerpoolprice == 119_000


def test_failed_source_is_marked_stale_with_its_age_and_freezes():
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    world.fail_parts.add("utilization")
    world.clock.t += 700  # older than stale_after_seconds
    result = cycle.tick()
    assert "utilization" in result.snapshot.stale
    assert result.snapshot.ages["utilization"] >= 700
    assert result.kill == "freeze"
    assert [s.kind for s in result.report.steps] == ["keep"]


def test_recent_failure_reuses_the_last_value_but_reports_its_age():
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    world.fail_parts.add("requests")
    world.clock.t += 30
    result = cycle.tick()
    assert result.snapshot.ages["requests"] == 30
    assert result.snapshot.ages["book"] == 0
    assert cycle.state.sampler.errors["requests"] == "requests down"


def test_never_answered_source_is_stale_from_the_start():
    world = FakeWorld(fail_parts={"book"})
    cycle, _ = make_cycle(world=world)
    result = cycle.tick()
    assert "book" in result.snapshot.stale
    assert result.kill == "freeze"
    assert world.calls == []


def test_strategy_error_keeps_current_orders():
    class Broken:
        name = "broken"

        def initial_state(self):
            return {}

        def decide(self, *a):
            raise ZeroDivisionError("oops")

    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    cycle.strategy = Broken()
    world.clock.t += 60
    result = cycle.tick()
    assert result.strategy_error and "oops" in result.strategy_error
    assert [s.kind for s in result.report.steps] == ["keep"]


def test_matched_volume_is_seen_from_the_chain():
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    (h,) = world.listed
    world.match(h, 3)
    world.clock.t += 60
    result = cycle.tick()
    (own,) = [o for o in result.snapshot.own_orders if o.order_hash == h] or [None]
    assert own is None or own.remaining == world.listed[h].order.volume - 3


def test_strategy_state_and_tracked_orders_survive_a_restart(tmp_path):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    journal = SqliteJournal(tmp_path / "j.sqlite")
    cycle, _ = make_cycle(world=world, journal=journal)
    cycle.tick()
    journal.close()
    journal2 = SqliteJournal(tmp_path / "j.sqlite")
    state = CycleState.restore(journal2)
    assert set(state.sampler.tracked) == set(world.listed)
    at, payload = journal2.last_decision()
    assert at == world.clock.t
    (step,) = payload["steps"]
    assert step["kind"] == "publish" and step["outcome"] == "ok" and step["reason"]
    (quote,) = payload["decision"]["quotes"]
    assert "undercut" in quote["reason"]
    actions = journal2.actions(step["order_hash"])
    assert [(a.kind, a.outcome) for a in actions] == [("sign", "ok"), ("publish", "ok")]
    journal2.close()


def test_transient_publish_failure_does_not_duplicate():
    world = FakeWorld(publish_failures=[TransientError("502")])
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    first = cycle.tick()
    # The adapter gave up: the executor does not try again, the next tick lists the same order.
    assert [s.outcome for s in first.report.steps] == ["failed"]
    assert world.listed == {}
    world.clock.t += 60
    cycle.tick()
    assert len(world.listed) == 1
    assert len({h for k, h in world.calls if k == "publish"}) == 1


def test_no_capacity_means_no_new_order():
    world = FakeWorld(util=PoolUtilization(registered_cpu=2, computing_cpu=2, backlog=12))
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    assert world.listed == {}


def test_secrets_never_reach_the_logs(caplog, tmp_path):
    """The real signer (LocalKeySigner over a SecretKey from the environment), debug logging,
    a file journal: neither the log records, the reprs, the journal nor its -wal hold the key,
    in any spelling (0x or not, any case, raw bytes)."""
    from bot.adapters.keys import KeySource, load_key
    from bot.adapters.signer import LocalKeySigner

    key = load_key(
        KeySource(env="PRICEBOT_PRIVATE_KEY"), environ={"PRICEBOT_PRIVATE_KEY": OWNER_KEY}
    )
    signer = LocalKeySigner(NETWORK, key)
    digits = OWNER_KEY[2:].lower()

    def leaked(data: bytes) -> bool:
        return digits.encode() in data.lower() or bytes.fromhex(digits) in data

    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    journal = SqliteJournal(tmp_path / "j.sqlite")
    cycle, _ = make_cycle(world=world, journal=journal, signer=signer)
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            cycle.tick()
            world.book["r"] = rival_order(world.book["r"].price + 20_000)
            world.clock.t += 60
    assert world.listed, "the real signer signed and published nothing"
    shown = [repr(cycle.ports), repr(signer), str(signer), f"{signer}", repr(key), str(key)]
    text = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(shown)
    text += "\n".join(repr(r.args) for r in caplog.records)
    assert caplog.records
    assert not leaked(text.encode())
    wal = tmp_path / "j.sqlite-wal"
    assert wal.exists()  # read while the journal is open, before a checkpoint folds it in
    assert not leaked(wal.read_bytes())
    journal.close()
    for file in tmp_path.iterdir():
        assert not leaked(file.read_bytes()), file


def test_owner_change_stops_the_cycle_even_without_writes():
    import pytest

    from bot.domain.errors import OwnershipError
    from tests.support.fakes import RIVAL

    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    calls = list(world.calls)
    world.owner = RIVAL
    world.clock.t += 60
    with pytest.raises(OwnershipError, match="now owned by"):
        cycle.tick()
    assert world.calls == calls


def test_remaining_volumes_of_several_orders_are_read_in_one_batch():
    import dataclasses

    from tests.support.fakes import our_order

    batches: list[list[str]] = []

    class BatchChain(ChainView):
        def consumed(self, order_hash):
            raise AssertionError("one call per order instead of a batch")

        def consumed_many(self, hashes):
            batches.append(list(hashes))
            return {h: self.w.consumed.get(h, 0) for h in hashes}

    world = FakeWorld()
    world.book["r"] = rival_order(100_000_000)
    cycle, _ = make_cycle(world=world)
    cycle.tick()
    extra = our_order(123_456_789, salt=77)  # a second tracked order, valid on chain
    cycle.state.sampler.track(extra)
    world.match(extra.order_hash, 2)
    cycle.ports = dataclasses.replace(cycle.ports, chain=BatchChain(world))
    world.clock.t += 60
    result = cycle.tick()
    assert batches and len(batches[0]) == 2
    (got,) = [o for o in result.snapshot.own_orders if o.order_hash == extra.order_hash]
    assert got.remaining == extra.order.volume - 2


def test_an_order_whose_publish_failed_is_relisted_not_cancelled():
    """Signed (so valid on chain) but never listed: the next tick lists the same order again."""
    from bot.domain.errors import RejectedError

    world = FakeWorld(publish_failures=[RejectedError("order refused: try later")])
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    first = cycle.tick()
    assert [(s.kind, s.outcome) for s in first.report.steps] == [("publish", "failed")]
    assert world.listed == {}
    signed = first.report.steps[0].signed
    assert signed is not None and signed.order_hash in cycle.state.sampler.tracked

    world.clock.t += 60
    second = cycle.tick()
    kinds = [(s.kind, s.outcome) for s in second.report.steps]
    assert kinds == [("relist", "ok")]
    assert list(world.listed) == [signed.order_hash]  # the same signed order, no copy
    assert not [c for c in world.calls if c[0] == "cancel"]


def test_pragmatic_mode_price_drop_publishes_beside_the_uncounted_dearer_order():
    """count_dearer_unpublished = false: the dearer order, only unpublished, no longer counts,
    for the planner and for the executor's own cap check alike (the new order is not skipped)."""
    import dataclasses

    # 2 slots x 7 starts = a window of 14 tasks: both orders together (20) would not fit
    world = FakeWorld(util=PoolUtilization(registered_cpu=2, computing_cpu=0))
    world.book["r"] = rival_order(100_000)
    rails = dataclasses.replace(RAILS, count_dearer_unpublished=False, cancel_gas_cost=10**12)
    cycle, _ = make_cycle(world=world, rails=rails)
    cycle.tick()
    (first,) = world.listed
    world.book["r"] = rival_order(80_000)
    world.clock.t += 60
    result = cycle.tick()
    steps = [(s.kind, s.outcome) for s in result.report.steps]
    assert steps == [("unpublish", "ok"), ("publish", "ok")], result.report.steps
    assert first not in world.listed and world.consumed.get(first, 0) == 0  # valid, unlisted
    (new,) = world.listed.values()
    assert new.order.workerpoolprice == 79_000 and new.order.volume == 10


def test_a_relist_that_keeps_failing_ends_at_max_order_age():
    """Never listed: its age counts from the first tick that saw it unlisted; after
    max_order_age it is closed and replaced instead of relisted forever (the slot never stays
    dark behind an order the marketplace refuses)."""
    from bot.domain.errors import RejectedError

    world = FakeWorld(publish_failures=[RejectedError("refused"), RejectedError("refused")])
    world.book["r"] = rival_order(100_000)
    cycle, _ = make_cycle(world=world)
    first = cycle.tick().report.steps[0]
    assert (first.kind, first.outcome) == ("publish", "failed")
    world.clock.t += 60
    assert [(s.kind, s.outcome) for s in cycle.tick().report.steps] == [("relist", "failed")]
    world.clock.t += RAILS.max_order_age_seconds
    steps = [(s.kind, s.outcome, s.order_hash) for s in cycle.tick().report.steps]
    assert steps[0] == ("cancel", "ok", first.order_hash)
    assert [k for k, _, _ in steps] == ["cancel", "publish"]
    (listed,) = world.listed
    assert listed != first.order_hash

"""robust item 58: a book-mode price the base held under the cheapest rival is priced by guard 1
(strategies/robust_held.py; issue #14); item 62: follow_still's put-off round only where the floor
earns a slot-second what the pool's other offers do."""

from __future__ import annotations

import itertools
import random
from typing import Any

import strategies
from bot.pricing.snapshot import Offer
from strategies import run_fenced
from strategies.robust_held import earned_rate, floor_pays, held_under, still_floor
from tests.support.factories import (
    NOW,
    RIVAL,
    RIVAL2,
    deal,
    offer,
    own,
    request,
    rival,
    snap,
    util,
)

XS: Offer = offer(category=0, task_seconds=300, max_volume=1000)


def test_a_book_price_one_step_under_the_cheapest_rival_is_held_under_it() -> None:
    book = [rival("a", 50_000_000, 3), rival("b", 80_000_000, 2, workerpool=RIVAL2)]
    assert held_under(49_999_999, book, 1, 0)
    assert not held_under(49_999_998, book, 1, 0)  # the requests' own price, under it
    assert not held_under(79_999_999, book, 1, 0)  # under another rival, not the cheapest
    assert held_under(49_000_000, book, 1_000_000, 0)  # the step is the base's
    assert held_under(60_000_000, book, 1, 60_000_000)  # a floor above the rival wins
    assert not held_under(49_999_999, [], 1, 0)  # no rival: the book's price


LONG: Offer = offer(category=4, task_seconds=36_000, max_volume=1000)


def _follow(
    params: dict[str, object],
    decisions: int,
    *,
    follower_floor: int = 0,
    sell_under: int = 0,
    beside: float = 0.0,
) -> list[tuple[int, str]]:
    """A fast undercutter lists one step under whatever we listed (down to ``follower_floor``),
    every decision. With ``sell_under`` 0 a request waiting far under the rivals keeps the base
    in its book mode; else we sell a task a minute while cheapest and under ``sell_under``.
    ``beside`` > 0: the pool also lists ``LONG``, which earned that many nRLC a second lately
    (its decayed evidence, set after each decision)."""
    robust = strategies.create("robust", {"floor": 0, **params})
    offers = [XS, LONG] if beside else [XS]
    state: dict[str, Any] | None = None
    listed = 60_000_000
    out = []
    for i in range(decisions):
        at = NOW + 60 * i
        follower = max(listed - 1_000_000, follower_floor)
        sold = sell_under > 0 and listed < min(follower, sell_under)
        s = snap(
            offers=offers,
            at=at,
            book=[
                rival(f"u{i}", follower, 3, workerpool=RIVAL, age=NOW - (at - 5)),
                rival("f", 200_000_000, 3, workerpool=RIVAL2),
            ],
            requests=[] if sell_under else [request("waiting", 1_000_000)],
            deals=[deal(f"d{i}", listed, now=at)] if sold else [],
            own_orders=[own(f"o{i}", listed, 5)],
            utilization=util(10, 2),
        )
        d = run_fenced(robust, s, offers, state, random.Random(1))
        state = d.state
        if beside:  # LONG's evidence: ``beside`` nRLC a second over the last hour, kept
            mems = state["offers"]
            long = next(k for k in mems if k.startswith("4:"))
            mems[long] = {**mems[long], "market_ev": [beside * 3600, 1.0, 3600.0]}
        q = d.quotes[0]
        out.append((q.price, q.reason))
        listed = q.price
    return out


def _run(held: bool, decisions: int = 40) -> list[tuple[int, str]]:
    return _follow({"follow_book_held": held}, decisions)


def test_off_the_book_mode_follows_the_undercutter_down_every_decision() -> None:
    quotes = _run(False)
    assert all(why.startswith("book:") for _, why in quotes)
    assert not any("out-followed" in why for _, why in quotes)
    prices = [p for p, _ in quotes]
    assert all(b < a for a, b in itertools.pairwise(prices))  # a re-sign each time


def test_on_guard_1_finds_the_follower_and_stops_the_war() -> None:
    quotes = _run(True)
    assert any("out-followed" in why for _, why in quotes[-10:])
    prices = [p for p, _ in quotes]
    # the war's cuts stop: once out-followed the floor posture keeps one price for a while
    tail = prices[-10:]
    assert len(set(tail)) < len(tail)
    # the first decisions are the base's war, priced as off
    assert prices[:5] == [p for p, _ in _run(False, 5)]


def test_a_floor_posture_is_still_while_war_would_quote_its_price() -> None:
    assert still_floor("floor", 49_699_999, 49_700_000, 0)
    assert not still_floor("floor", 49_699_999, 48_353_401, 0)  # a lower rival was seen
    assert not still_floor("floor", 11_277_998, 10_555_998, 0)  # the follower moves on
    assert not still_floor("hold", 49_699_999, 49_700_000, 0)  # only a committed floor
    assert not still_floor("floor", 49_699_999, None, 0)  # no low known
    assert still_floor("floor", 60_000_000, 49_700_000, 60_000_000)  # both at our floor


def _committed(still: bool, hours: float) -> list[str]:
    """A follower that undercuts us down to its floor (40 M) and sits there; we sell a task a
    minute while cheapest and under 45 M: guard 1 commits floor, and with ``still`` no round
    re-measures it while war would quote the same price."""
    quotes = _follow(
        {"follow_still": still},
        int(hours * 60),
        follower_floor=40_000_000,
        sell_under=45_000_000,
    )
    return [why for _, why in quotes]


def test_a_still_floor_is_not_re_measured() -> None:
    off = _committed(False, 9.0)
    on = _committed(True, 9.0)
    assert any("posture floor" in why for why in off[-60:])
    # off: the 6-hour round re-measures war and hold; on: put off, floor throughout
    assert not all("posture floor" in why for why in off[-180:])
    assert all("posture floor" in why for why in on[-180:])


def test_an_offers_earned_rate_is_both_modes_evidence_over_their_seconds() -> None:
    assert earned_rate([600.0, 2.0, 100.0], [400.0, 3.0, 400.0]) == 2.0
    assert earned_rate([0.0, 0.0, 0.0], [900.0, 1.0, 300.0]) == 3.0
    assert earned_rate([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]) == 0.0  # never listed


def test_a_floor_pays_where_its_slot_second_earns_what_the_other_offers_do() -> None:
    # 1004's shape: a 3.2 h task at 752 M (66 k a slot-second) beside an XS offer earning
    # 225 k a second on 2 slots (112 k a slot-second): it does not pay
    assert not floor_pays(752_000_000, 11_359.0, 225_000.0, 2)
    assert floor_pays(752_000_000, 11_359.0, 225_000.0, 4)  # more slots: 56 k a slot-second
    assert floor_pays(752_000_000, 11_359.0, 0.0, 2)  # no other offer earns
    assert floor_pays(10, 100.0, 0.2, 2)  # equal: 0.1 a slot-second each
    assert not floor_pays(10, 100.0, 0.21, 2)
    assert floor_pays(10, 100.0, 1e9, 0)  # no slots known
    assert floor_pays(10, 0.0, 1e9, 2)  # no run time known


def _beside(yield_: bool, rate: float) -> list[str]:
    quotes = _follow(
        {"follow_still": True, "follow_still_yield": yield_},
        9 * 60,
        follower_floor=40_000_000,
        sell_under=45_000_000,
        beside=rate,
    )
    return [why for _, why in quotes]


def test_a_floor_whose_slots_pay_less_than_the_other_offers_is_re_measured() -> None:
    # XS at its 40 M floor: 133 k nRLC a slot-second (300 s tasks); 10 slots
    kept = _beside(False, 10_000_000.0)
    assert all("posture floor" in why for why in kept[-180:])  # item 58 alone: put off
    paid = _beside(True, 100_000.0)  # the other offer: 10 k a slot-second, less
    assert all("posture floor" in why for why in paid[-180:])
    assert paid == kept
    # the other offer earns 1 M a slot-second (10 M over 10 slots): main's round runs
    redone = _beside(True, 10_000_000.0)
    assert any("posture floor" in why for why in redone[-60:])
    assert not all("posture floor" in why for why in redone[-180:])

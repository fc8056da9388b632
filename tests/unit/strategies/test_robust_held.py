"""robust item 58: a book-mode price the base held under the cheapest rival is priced by guard 1
(strategies/robust_held.py; issue #14)."""

from __future__ import annotations

import itertools
import random
from typing import Any

import strategies
from bot.pricing.snapshot import Offer
from strategies import run_fenced
from strategies.robust_held import held_under, still_floor
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


def _follow(
    params: dict[str, object], decisions: int, *, follower_floor: int = 0, sell_under: int = 0
) -> list[tuple[int, str]]:
    """A fast undercutter lists one step under whatever we listed (down to ``follower_floor``),
    every decision. With ``sell_under`` 0 a request waiting far under the rivals keeps the base
    in its book mode; else we sell a task a minute while cheapest and under ``sell_under``."""
    robust = strategies.create("robust", {"floor": 0, **params})
    state: dict[str, Any] | None = None
    listed = 60_000_000
    out = []
    for i in range(decisions):
        at = NOW + 60 * i
        follower = max(listed - 1_000_000, follower_floor)
        sold = sell_under > 0 and listed < min(follower, sell_under)
        s = snap(
            offers=[XS],
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
        d = run_fenced(robust, s, [XS], state, random.Random(1))
        state = d.state
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

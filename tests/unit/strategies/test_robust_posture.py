"""robust item 46: guard 1's re-measure schedule and a repricing rival's small whole order
(strategies/robust_posture.py, strategies/robust_undercut.py; issue #14)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import strategies
from bot.domain.model import BookEntry
from bot.pricing.snapshot import Offer
from strategies import run_fenced
from strategies.robust_posture import kept_in_a_row, posture_hold
from strategies.robust_undercut import mover_under, track_moves
from tests.support.factories import NOW, RIVAL, RIVAL2, offer, own, rival, snap, util

XS: Offer = offer(category=0, task_seconds=300, max_volume=1000)
H = 3600.0


def test_the_hold_doubles_with_each_re_measure_that_kept_the_posture_up_to_the_cap() -> None:
    assert posture_hold(6 * H, 0, 48 * H) == 6 * H
    assert posture_hold(6 * H, 1, 48 * H) == 12 * H
    assert posture_hold(6 * H, 2, 48 * H) == 24 * H
    assert posture_hold(6 * H, 5, 48 * H) == 48 * H
    assert posture_hold(6 * H, 3, 0.0) == 6 * H  # off: every commit_seconds
    assert posture_hold(6 * H, 2, 3 * H) == 6 * H  # never under commit_seconds


def test_the_count_grows_only_when_a_re_measure_chose_the_posture_it_re_measured() -> None:
    assert kept_in_a_row(2, "floor", "floor") == 3
    assert kept_in_a_row(2, "floor", "hold") == 0
    assert kept_in_a_row(2, "", "floor") == 0  # a first out-followed round is no re-measure


def _whole(label: str, price: int, volume: int, pool: str) -> BookEntry:
    return rival(label, price, volume, workerpool=pool)


def test_a_pool_first_seen_has_not_moved_and_a_new_price_is_a_move() -> None:
    rows = track_moves({}, [_whole("a", 100, 1, RIVAL)], 10.0, 600.0)
    assert rows[RIVAL] == [100.0, 0.0, 10.0]
    rows = track_moves(rows, [_whole("a", 100, 1, RIVAL)], 20.0, 600.0)
    assert rows[RIVAL] == [100.0, 0.0, 20.0]  # same price: still not moved
    rows = track_moves(rows, [_whole("b", 90, 1, RIVAL)], 30.0, 600.0)
    assert rows[RIVAL] == [90.0, 30.0, 30.0]
    rows = track_moves(rows, [], 600.0, 600.0)
    assert rows == {RIVAL: [90.0, 30.0, 30.0]}  # out of the book: kept for memory
    assert track_moves(rows, [], 631.0, 600.0) == {}


def test_only_a_whole_order_of_a_pool_that_repriced_lately_is_undercut() -> None:
    moves = {RIVAL: [90.0, 30.0, 60.0], RIVAL2: [80.0, 0.0, 60.0]}
    whole = _whole("a", 90, 1, RIVAL)
    assert mover_under(moves, [whole], 100, 60.0, 600.0) == 90
    assert mover_under(moves, [whole], 90, 60.0, 600.0) is None  # not under our price
    assert mover_under(moves, [whole], 100, 631.0, 600.0) is None  # it stopped moving
    part = replace(rival("p", 90, 1, workerpool=RIVAL), volume=3)
    assert mover_under(moves, [part], 100, 60.0, 600.0) is None  # its last task of three
    steady = _whole("s", 80, 1, RIVAL2)
    assert mover_under(moves, [steady], 100, 60.0, 600.0) is None  # a fixed price's one task


def test_robust_undercuts_a_fast_undercutters_one_task_order_while_prices_move() -> None:
    """A one-task order relisted at a new price each minute: the base's war rule would sit
    above it (under the next rival with 2+ left); with the key the quote goes under it."""
    prices: dict[bool, int] = {}
    for on in (False, True):
        params: dict[str, object] = {"floor": 0, "war_mover_seconds": 600.0 if on else 0.0}
        state: dict[str, Any] | None = None
        for i in range(4):
            at = NOW + 60 * i
            fast = 50_000_000 - 1_000_000 * i  # reprices each minute: a new order
            book = [
                rival(f"u{i}", fast, 1, workerpool=RIVAL, age=NOW - (at - 5)),
                rival("f", 80_000_000, 3, workerpool=RIVAL2),
            ]
            s = snap(
                offers=[XS],
                at=at,
                book=book,
                own_orders=[own(f"o{i}", 90_000_000, 5)],
                utilization=util(10, 2),
            )
            d = run_fenced(strategies.create("robust", params), s, [XS], state, random.Random(1))
            state = d.state
        prices[on] = d.quotes[0].price
    assert prices[False] > 50_000_000 - 3_000_000  # main: above the one-task order
    assert prices[True] < 50_000_000 - 3_000_000  # the key: under it

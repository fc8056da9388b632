"""robust item 84: guard 1's committed floor posture is not re-measured while no rival pool has
been under our price lately (``follow_still_quiet``; strategies/robust_quietfloor.py; issue #14)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import strategies
from bot.domain.model import Quote
from bot.pricing.snapshot import Offer
from strategies import run_fenced
from strategies.robust_quietfloor import quiet_floor
from tests.support.factories import NOW, RIVAL, RIVAL2, deal, offer, own, rival, snap, util

XS: Offer = offer(category=0, task_seconds=300, max_volume=1000)


def test_a_floor_is_quiet_where_no_rival_has_been_under_us() -> None:
    assert quiet_floor("floor", 0.0)
    assert not quiet_floor("floor", 0.01)  # a pool under us lately
    assert not quiet_floor("floor", 0.6)
    assert not quiet_floor("war", 0.0)  # only a committed floor
    assert not quiet_floor("hold", 0.0)


def parked_run(
    params: dict[str, object], hours: float, follower: Callable[[int], int]
) -> list[Quote]:
    """A minute-by-minute run against an undercutter that lists ``follower(our listed price)``
    and a fixed rival at 200 M; we sell a task a minute while cheapest and under 45 M. Items 84
    and 88 read its quotes."""
    robust = strategies.create("robust", {"floor": 0, "follow_still": True, **params})
    state: dict[str, Any] | None = None
    listed = 60_000_000
    out = []
    for i in range(int(hours * 60)):
        at = NOW + 60 * i
        sold = listed < min(follower(listed), 45_000_000)
        s = snap(
            offers=[XS],
            at=at,
            book=[
                rival(f"u{i}", follower(listed), 3, workerpool=RIVAL, age=NOW - (at - 5)),
                rival("f", 200_000_000, 3, workerpool=RIVAL2),
            ],
            requests=[],
            deals=[deal(f"d{i}", listed, now=at)] if sold else [],
            own_orders=[own(f"o{i}", listed, 5)],
            utilization=util(10, 2),
        )
        d = run_fenced(robust, s, [XS], state, random.Random(1))
        state = d.state
        out.append(d.quotes[0])
        listed = d.quotes[0].price
    return out


def _parked(params: dict[str, object], hours: float) -> list[str]:
    """1303's shape: a fast undercutter lists one step under whatever we listed, down to its
    floor (40 M), and once we list under its floor it stops following and parks at 250 M; a
    fixed rival sits at 200 M. The lowest rival seen is remembered for 3 days, so item 58's check
    (war, one nRLC under 200 M, against one nRLC under 40 M) never puts guard 1's round off."""
    return [
        q.reason
        for q in parked_run(
            {"memory_seconds": 3 * 86400.0, **params},
            hours,
            lambda listed: (
                250_000_000 if listed < 40_000_000 else max(listed - 1_000_000, 40_000_000)
            ),
        )
    ]


def test_a_quiet_floor_is_not_re_measured() -> None:
    off = _parked({"follow_still_quiet": False}, 16.0)
    on = _parked({"follow_still_quiet": True}, 16.0)
    assert any("posture floor" in why for why in off[-30:])
    # off: the 6-hour round re-measures war (and the undercutter comes back down after us)
    assert not all("posture floor" in why for why in off[-8 * 60 :])
    # on: no pool under us since the floor was committed, the round is put off
    assert all("posture floor" in why for why in on[-8 * 60 :])
    assert on[:60] == off[:60]  # the same until a round is due


def test_on_by_default() -> None:
    assert _parked({}, 16.0) == _parked({"follow_still_quiet": True}, 16.0)

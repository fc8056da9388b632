"""Item 63 kept to markets whose rivals step under our price (strategies/robust_stepunder.py,
``tier_undercut_share``, robust item 71): the pure counts and test, and in robust the tier's
trial opened over undercutters but not over a walker, and the extension kept to such a trial."""

from __future__ import annotations

import random
from typing import Any

import pytest

import strategies
from strategies import run_fenced
from strategies.robust import OfferMemory
from strategies.robust_stepunder import count_steps, decayed_steps, steps_under_us
from tests.support.factories import NOW, RIVAL, own, rival, snap, util
from tests.unit.strategies.test_robust_caps import KEY, PERCH, XS
from tests.unit.strategies.test_robust_moving import ITEM51, MOVING, REPRICED, settled
from tests.unit.strategies.test_robust_tieropen import ON, decides, rows, state


@pytest.mark.parametrize(
    ("before", "after", "listed", "out"),
    [
        ({"a": 100.0}, {"a": 98}, 99, (1, 1)),  # from above us to under us: a step under us
        ({"a": 99.0}, {"a": 98}, 99, (1, 1)),  # from our own price: too
        ({"a": 98.0}, {"a": 97}, 99, (1, 0)),  # already under us: a move, not a step under us
        ({"a": 100.0}, {"a": 120}, 99, (1, 0)),  # up: a move
        ({"a": 150.0}, {"a": 120}, 99, (1, 0)),  # down, but still above us
        ({"a": 100.0}, {"a": 98}, None, (1, 0)),  # no order of ours listed
        ({"a": 100.0}, {"a": 100}, 99, (0, 0)),  # kept its price
        ({}, {"a": 98}, 99, (0, 0)),  # first seen: not a reprice
        ({"a": 100.0, "b": 50.0}, {"b": 40}, 99, (1, 0)),  # a sold out: not a reprice
        ({"a": 100.0, "b": 120.0}, {"a": 98, "b": 97}, 99, (2, 2)),
    ],
)
def test_count_steps(
    before: dict[str, float], after: dict[str, int], listed: int | None, out: tuple[int, int]
) -> None:
    assert count_steps(before, after, listed) == out


def test_decayed_steps() -> None:
    assert decayed_steps([], 2, 1, NOW, 7_200.0) == [2.0, 1.0, NOW]
    # one half-life later the old counts weigh half
    assert decayed_steps([4.0, 2.0, NOW - 7_200], 1, 1, NOW, 7_200.0) == [3.0, 2.0, NOW]
    assert decayed_steps([4.0, 2.0, NOW], 0, 0, NOW, 7_200.0) == [4.0, 2.0, NOW]


@pytest.mark.parametrize(
    ("kept", "share", "out"),
    [
        ([10.0, 9.0, NOW], 0.5, True),  # undercutters: nine reprices in ten step under us
        ([10.0, 5.0, NOW], 0.5, True),
        ([10.0, 4.9, NOW], 0.5, False),  # a walker: its reprices land anywhere
        ([0.0, 0.0, NOW], 0.5, False),  # nobody repriced
        ([], 0.5, False),
    ],
)
def test_steps_under_us(kept: list[float], share: float, out: bool) -> None:
    assert steps_under_us(kept, share) is out


STEPUNDER = {**MOVING, "tier_undercut_share": 0.5}
CUTS = [4.0, 4.0, NOW - 60]  # four reprices in the last minutes, all steps under us
WALK = [4.0, 1.0, NOW - 60]  # four reprices, one of them under us


def test_robust_opens_the_tier_over_undercutters_only() -> None:
    m = decides(STEPUNDER, rows(), **REPRICED, s_steps=CUTS)
    assert (m.p_mode, m.p_price, m.t_open, m.t_moving) == ("trial", 5_000, True, True)
    # a walker's market: item 63 alone opens, with this key the gate stays shut
    m = decides(STEPUNDER, rows(), **REPRICED, s_steps=WALK)
    assert (m.p_mode, m.t_open) == ("market", False)
    m = decides(MOVING, rows(), **REPRICED, s_steps=WALK)
    assert (m.p_mode, m.t_open) == ("trial", True)
    # nothing counted yet: shut
    m = decides(STEPUNDER, rows(), **REPRICED)
    assert (m.p_mode, m.t_open) == ("market", False)
    # the key acts only with item 63
    m = decides({**ITEM51, "tier_undercut_share": 0.5}, rows(), **REPRICED, s_steps=CUTS)
    assert (m.p_mode, m.t_open) == ("market", False)


def test_by_default_the_tier_opens_over_undercutters_only() -> None:
    """Items 63 and 71 are on by default (session 21): 21,600 s and a share of 0.75."""
    m = decides(ON, rows(), **REPRICED, s_steps=CUTS)
    assert (m.p_mode, m.p_price, m.t_open, m.t_moving) == ("trial", 5_000, True, True)
    m = decides(ON, rows(), **REPRICED, s_steps=WALK)
    assert (m.p_mode, m.t_open) == ("market", False)


def test_robust_opens_the_tier_on_a_steady_market_as_before() -> None:
    m = decides(STEPUNDER, rows())
    assert (m.p_mode, m.t_open, m.t_moving) == ("trial", True, False)


def test_the_extension_is_for_a_trial_opened_over_undercutters() -> None:
    m = decides(STEPUNDER, rows(), **settled(t_open=True, t_moving=True))
    assert (m.p_mode, m.t_open, m.t_lost) == ("trial", True, False)
    # a tier trial opened on a steady market (main's item 51): lost at its end, as in main
    m = decides(STEPUNDER, rows(), **settled(t_open=True))
    assert (m.p_mode, m.t_lost) == ("market", True)
    # item 63 alone extends it
    m = decides(MOVING, rows(), **settled(t_open=True))
    assert (m.p_mode, m.t_lost) == ("trial", False)


def counted(params: dict[str, Any], **fields: Any) -> list[float]:
    """Our order listed at 99; the rival, last seen at 100, now lists at 98 (a step under us)."""
    s = snap(
        offers=[XS],
        book=[rival("a", 98, remaining=1, age=60.0)],
        own_orders=[own("o", 99, 5)],
        utilization=util(10, 0),
    )
    d = run_fenced(
        strategies.create("robust", {**PERCH, **params}),
        s,
        [XS],
        state(rows(), **fields),
        random.Random(1),
    )
    assert not d.abstain, d.reason
    return OfferMemory.from_json(d.state["offers"][KEY]).s_steps


def test_robust_counts_the_rivals_steps_under_us() -> None:
    pools = {"a_pools": {RIVAL: [100.0, NOW - 10_800, NOW - 60, 1.0]}}
    assert counted(STEPUNDER, **pools) == [1.0, 1.0, NOW]
    decayed = counted(STEPUNDER, **pools, s_steps=[2.0, 0.0, NOW - 7_200])
    assert decayed == [2.0, 1.0, NOW]  # 2 x 0.5 + 1 reprices, 0 + 1 steps
    # off: nothing kept (main's state)
    assert counted(MOVING, **pools) == []

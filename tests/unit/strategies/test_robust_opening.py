"""``robust``'s first perch trial opened at once at a tier our first buyers named
(strategies/robust_opening.py, ``open_vouched_tasks``, robust item 104): the pure rule, and on
item 48's crafted scene an offer whose wait is not over and whose gate is shut opening its trial
at the named tier with the key, and staying market-led without it (main e84804e)."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust import RobustParams
from strategies.robust_caps import Buyer
from strategies.robust_opening import opening_level
from tests.support.factories import NOW, own, snap, util
from tests.unit.strategies.test_robust_vouch import capped
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

AGO = iter(range(600, 10**6, 60))


def b(cap: int, tasks: int = 1, at: float | None = None) -> Buyer:
    """A buyer a few minutes ago (each at its own time unless ``at``: a request's deals share
    it)."""
    return Buyer(at if at is not None else NOW - next(AGO), cap, tasks, False)


@pytest.mark.parametrize(
    ("buyers", "tasks", "first", "reach", "level"),
    [
        ([b(2_000), b(2_000), b(2_000), b(150)], 3, True, 3_168, 2_000),
        ([b(2_000, 2), b(2_000), b(150)], 3, True, 3_168, 2_000),  # tasks are counted
        ([b(2_000, 3), b(150)], 3, True, 3_168, 0),  # ... from two buyers at least
        ([b(2_000, 2, NOW - 60), b(2_000, 2, NOW - 60)], 3, True, 3_168, 0),  # one request
        ([b(2_000), b(2_000), b(150)], 3, True, 3_168, 0),  # two tasks: not yet a tier
        ([b(2_000), b(2_000), b(2_000), b(5_000)], 3, True, 3_168, 0),  # a buyer named more
        ([b(2_000), b(2_000), b(2_000)], 3, False, 3_168, 0),  # a trial already ran
        ([b(2_000), b(2_000), b(2_000)], 3, True, 1_999, 0),  # over one rails jump
        ([b(2_000), b(2_000), b(2_000)], 3, True, 0, 0),  # nothing of ours listed
        ([b(300), b(300), b(300)], 3, True, 3_168, 0),  # under the floor
        ([b(2_000), b(2_000), b(2_000)], 0, True, 3_168, 0),  # off
        ([], 3, True, 3_168, 0),
    ],
)
def test_the_first_trial_opens_at_the_top_cap_named_by_tasks_within_one_jump(
    buyers: list[Buyer], tasks: int, first: bool, reach: int, level: int
) -> None:
    assert opening_level(buyers, 396, 99_000, tasks, first=first, reach=reach) == level


def rows(*caps: int) -> list[list[float]]:
    """Kept buyer rows (``OfferMemory.c_buyers``: at, cap, tasks, named)."""
    return [[NOW - 600.0 - i, float(c), 1.0, 0.0] for i, c in enumerate(caps)]


def early(**fields: Any) -> dict[str, Any]:
    """The first wait not over (an hour to go), rivals out 10 % of the time (the gate shut)."""
    return perch_state(rivals_out=0.1, p_next=NOW + 3600, **fields)


SCENE = snap(
    offers=[XS],
    book=[],
    own_orders=[own("o", 99, 5)],
    deals=[capped("d1", 2_000), capped("d2", 2_000, 900.0), capped("d3", 2_000, 1200.0)],
    utilization=util(10, 0),
)


def test_three_buyers_naming_one_tier_open_the_first_trial_there_at_once() -> None:
    """Three of our buyers named 2,000 (the floor is 4 x 99, one jump reaches 3,168): with the
    key the trial opens now at 2,000 (item 48's start); off, the wait and the gate stand."""
    params = {**PERCH, "open_vouched_tasks": 3}
    quotes, new = decide(SCENE, early(c_buyers=rows(2_000, 2_000, 2_000)), params)
    m = memory(new)
    assert (m.p_mode, m.p_price, m.v_price) == ("trial", 2_000, 2_000)
    assert quotes[0].price == 2_000 and quotes[0].jump
    off = {**PERCH, "open_vouched_tasks": 0}
    quotes, new = decide(SCENE, early(c_buyers=rows(2_000, 2_000, 2_000)), off)
    assert memory(new).p_mode == "market" and quotes[0].price == 99


def test_the_reach_is_the_owners_jump_not_the_default() -> None:
    """One jump from our listed 99 reaches 3,168 at the rails' default (x 32): an owner whose
    ``rails.max_jump`` is 16 reaches 1,584, under the 2,000 tier, so the wait stands there."""
    params = {**PERCH, "open_vouched_tasks": 3}
    _, new = decide(SCENE, early(c_buyers=rows(2_000, 2_000, 2_000)), params)
    assert memory(new).p_price == 2_000
    _, new = decide(SCENE, early(c_buyers=rows(2_000, 2_000, 2_000)), {**params, "max_jump": 16})
    assert memory(new).p_mode == "market"


def test_on_at_four_by_default() -> None:
    """On since session 29 (held-out 13000-13051 +67.5 RLC, misses 23 -> 19): three buyers'
    tasks are not a tier at the default; four are."""
    assert RobustParams().open_vouched_tasks == 4
    quotes, _ = decide(SCENE, early(c_buyers=rows(2_000, 2_000, 2_000)), PERCH)
    assert quotes[0].price == 99
    _, new = decide(SCENE, early(c_buyers=rows(2_000, 2_000, 2_000, 2_000)), PERCH)
    assert memory(new).p_mode == "trial" and memory(new).p_price == 2_000


def test_after_a_lost_trial_or_under_a_higher_buyer_the_wait_stands() -> None:
    params = {**PERCH, "open_vouched_tasks": 3}
    # a trial was lost (its back-off doubled the wait): not the first
    _, new = decide(SCENE, early(c_buyers=rows(2_000, 2_000, 2_000), p_wait=2400.0), params)
    assert memory(new).p_mode == "market"
    # one buyer named 5,000 over the tier: the demand's top is no tier yet
    _, new = decide(SCENE, early(c_buyers=rows(2_000, 2_000, 2_000, 5_000)), params)
    assert memory(new).p_mode == "market"

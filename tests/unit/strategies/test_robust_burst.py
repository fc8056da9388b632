"""A surge's start read from a burst of our own sales (strategies/robust_burst.py ``burst`` and
``pace``, ``surge_sold_tasks``, robust item 72): the pure test, and in robust a burst over our
earlier buyers' pace opening guard 5's gate the slow count has not reached, with the key on only,
not for a campaign, and not without an earlier pace."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_burst import burst, pace
from strategies.robust_caps import Buyer
from tests.support.factories import NOW, own, snap, util
from tests.unit.strategies.test_robust_surge import CAMPAIGN, capped_deal
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state


def test_the_pace_is_the_tasks_before_a_time_over_their_span() -> None:
    rows = [Buyer(NOW - 36_000 + 3_600 * i, 100, 2) for i in range(10)]  # 20 tasks over 10 h
    assert pace(rows, NOW) == (20, 36_000)
    assert pace(rows, NOW - 36_000 + 3_600 * 4) == (10, 3_600 * 4)  # later buyers left out
    assert pace(rows, NOW - 36_000 + 1_800) is None  # under an hour of them: no pace
    assert pace([], NOW) is None


@pytest.mark.parametrize(
    ("recent", "base", "tasks", "multiple", "out"),
    [
        (10, (20, 36_000.0), 10, 6.0, True),  # 40 an hour against 2
        (9, (20, 36_000.0), 10, 6.0, False),  # too few tasks
        (10, (200, 36_000.0), 10, 6.0, False),  # 40 an hour against 20: x 2, no burst
        (10, (60, 36_000.0), 10, 6.0, True),  # x 6.7
        (10, None, 10, 6.0, False),  # no earlier pace
        (50, (20, 36_000.0), 0, 6.0, False),  # off
    ],
)
def test_a_burst_is_enough_tasks_at_a_multiple_of_the_earlier_pace(
    recent: int, base: tuple[int, float] | None, tasks: int, multiple: float, out: bool
) -> None:
    assert burst(recent=recent, window=900.0, base=base, tasks=tasks, multiple=multiple) is out


SURGE = [capped_deal(f"s{i}", 400 + 37 * i, ago=60.0 * (i + 1)) for i in range(12)]
EARLIER = [[NOW - 36_000 + 3_600 * i, 150.0, 1.0, 0.0] for i in range(10)]  # 1 task an hour


@pytest.mark.parametrize(
    ("tasks", "deals", "rows", "mode"),
    [
        (10, SURGE, EARLIER, "trial"),  # 12 tasks in 12 minutes against 1 an hour
        (0, SURGE, EARLIER, "market"),  # off: main
        (10, CAMPAIGN, EARLIER, "market"),  # one cap holds the window's 18 tasks (item 56)
        (10, SURGE, [], "market"),  # no earlier buyer: no pace to burst over
        (13, SURGE, EARLIER, "market"),  # too few tasks
    ],
)
def test_a_burst_of_our_sales_opens_the_perch_gate_on_a_pool_with_free_slots(
    tasks: int, deals: list[Any], rows: list[list[float]], mode: str
) -> None:
    """Guard 5's slow count at 0.1 (under its 0.5 gate), the markup's fast count at 0.1 and the
    pool at utilization 0.5 (item 53 does not read it), the wait over: our sales of the last 15
    minutes at 6 x our earlier buyers' pace open the trial with the key on."""
    state = perch_state(rivals_out=0.1, p_out=0.1, u_avg=0.5, c_buyers=rows)
    s = snap(
        offers=[XS],
        book=[],
        deals=deals,
        own_orders=[own("o", 99, 5)],
        utilization=util(10, 5),
    )
    params = {**PERCH, "surge_sold_tasks": tasks, "surge_sold_multiple": 6.0}
    _, new = decide(s, state, params)
    assert memory(new).p_mode == mode


def test_a_burst_cuts_the_wait_after_a_lost_trial_only_with_surge_sold_due() -> None:
    """``surge_sold_due``: the next trial, due in an hour, is due now on a burst."""
    rows = EARLIER
    state = perch_state(rivals_out=0.1, p_out=0.1, u_avg=0.5, c_buyers=rows, p_next=NOW + 3600)
    s = snap(
        offers=[XS], book=[], deals=SURGE, own_orders=[own("o", 99, 5)], utilization=util(10, 5)
    )
    params = {**PERCH, "surge_sold_tasks": 10, "surge_sold_multiple": 6.0}
    _, kept = decide(s, state, params)
    assert memory(kept).p_mode == "market"
    _, due = decide(s, state, {**params, "surge_sold_due": True})
    assert memory(due).p_mode == "trial"

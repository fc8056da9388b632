"""Guard 7's in-stock shares held through our own perch (strategies/robust_anchor.py
``in_share_weight``, ``anchor_perch_held``, robust item 59): the pure weight, and on a crafted
snapshot a pool out of stock while we perched keeping its share with the key on, losing it with
the key off (main 3f8cba3)."""

from __future__ import annotations

import math

import pytest

from strategies.robust_anchor import in_share_weight
from tests.support.factories import RIVAL, RIVAL2, rival, snap, util
from tests.unit.strategies.test_strategy_robust import KEY, STEADY, XS, anchor_state, decide, memory


@pytest.mark.parametrize(
    ("dt", "perched", "held", "out"),
    [
        (600.0, True, True, 0.0),  # a perch's interval: held
        (600.0, False, True, 1.0 - math.exp(-600.0 / 3600.0)),  # off the perch: read
        (600.0, True, False, 1.0 - math.exp(-600.0 / 3600.0)),  # key off: read (main)
        (-5.0, False, False, 0.0),  # no time passed
    ],
)
def test_a_perch_interval_takes_no_weight_in_the_in_stock_share(
    dt: float, perched: bool, held: bool, out: float
) -> None:
    assert in_share_weight(dt, 3600.0, perched=perched, held=held) == pytest.approx(out)


def test_a_rival_out_of_stock_while_we_perched_keeps_its_share() -> None:
    """The 50 pool (in stock 90 % of the time) is out of the book at a decision whose last
    minute was our perch's: with the key on its share stays 0.9 and the one in stock (100) keeps
    its own, 0.9; off (main), the minute lowers the first and raises the second."""
    s = snap(offers=[XS], book=[rival("b", 100, workerpool=RIVAL2)], utilization=util(10, 2))
    state = anchor_state(*STEADY)
    state["offers"][KEY]["perched"] = True
    params = {"perch_trial_seconds": 0.0, "anchor_perch_held": True}
    _, new = decide(s, state, params)
    pools = memory(new).a_pools
    assert (pools[RIVAL][3], pools[RIVAL2][3]) == (0.9, 0.9)
    _, new = decide(s, state, {**params, "anchor_perch_held": False})
    pools = memory(new).a_pools
    assert pools[RIVAL][3] < 0.9 < pools[RIVAL2][3]
    # off the perch the key reads the book as main does
    state["offers"][KEY]["perched"] = False
    _, new = decide(s, state, params)
    assert memory(new).a_pools[RIVAL][3] < 0.9

"""Guard 7's anchor under a near rival whatever its in-stock share (strategies/robust_near.py
``near_setters``, ``anchor_near_ratio``, robust item 90): the pure selection, and on guard 7's
steady scene a cheap pool rarely in stock setting the anchor with the key on when it is near the
setter, not when it is far under it, and never with the key off (main a5a03c2)."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_near import near_setters
from tests.support.factories import RIVAL, RIVAL2, rival, snap, util
from tests.unit.strategies.test_strategy_robust import KEY, XS, anchor_state, decide


@pytest.mark.parametrize(
    ("prices", "setter", "ratio", "out"),
    [
        ([90, 100], 100, 0.85, [90]),  # near under the setter
        ([85, 100], 100, 0.85, [85]),  # at the ratio
        ([84, 100], 100, 0.85, []),  # further under: the share's test stands
        ([90, 100, 120], 100, 0.85, [90]),  # the setter and dearer pools are not added
        ([90, 100], 100, 0.0, []),  # off
    ],
)
def test_near_setters(prices: list[int], setter: int, ratio: float, out: list[int]) -> None:
    assert near_setters(prices, setter, ratio) == out


def _state(cheap: int) -> dict[str, Any]:
    """The steady scene: a pool at ``cheap`` in stock 20 % of the time (out now), one at 100 in
    stock 90 % (listed), both unchanged for 3 h."""
    state = anchor_state((RIVAL, cheap, 3 * 3600.0, 600.0), (RIVAL2, 100, 3 * 3600.0, 60.0))
    state["offers"][KEY]["a_pools"][RIVAL][3] = 0.2
    return state


def test_a_near_rival_rarely_in_stock_sets_the_anchor_with_the_key() -> None:
    s = snap(offers=[XS], book=[rival("b", 100, workerpool=RIVAL2)], utilization=util(10, 2))
    params: dict[str, Any] = {"perch_trial_seconds": 0.0}
    # off (main): the 90 pool's share (0.2, decayed) is under anchor_in_share: under the 100 pool
    assert decide(s, _state(90), params)[0][0].price == 99
    quotes, _ = decide(s, _state(90), {**params, "anchor_near_ratio": 0.85})
    assert quotes[0].price == 89 and "steady market" in quotes[0].reason
    # a pool far under the setter keeps the share's test
    assert decide(s, _state(50), {**params, "anchor_near_ratio": 0.85})[0][0].price == 99

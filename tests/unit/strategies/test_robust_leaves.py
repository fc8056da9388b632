"""robust after the market's big supplier leaves (strategies/robust_leaves.py)."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_leaves import probe_step, track_exits
from tests.support.factories import NOW, own, rival, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

KW = {"share": 0.8, "stock_share": 0.5, "after": 7200.0}


def test_a_steady_big_supplier_unseen_for_the_wait_has_left() -> None:
    pools = {"big": [0.95, NOW - 7200, 12.0], "small": [0.9, NOW - 60, 2.0]}
    ex = track_exits(pools, [], {"small": 2}, NOW, 60.0, **KW)
    assert ex.left and ex.gone == ["big"] and set(ex.pools) == {"small"}
    assert not ex.back


@pytest.mark.parametrize(
    "pools",
    [
        {"big": [0.95, NOW - 3600, 12.0], "small": [0.9, NOW - 60, 2.0]},  # not gone long enough
        {"big": [0.5, NOW - 7200, 12.0], "small": [0.9, NOW - 60, 2.0]},  # restocks now and then
        {"big": [0.95, NOW - 7200, 2.0], "small": [0.9, NOW - 60, 12.0]},  # one small order
    ],
)
def test_only_a_steady_main_supplier_gone_long_enough_is_an_exit(
    pools: dict[str, list[float]],
) -> None:
    ex = track_exits(pools, [], {"small": int(pools["small"][2])}, NOW, 60.0, **KW)
    assert not ex.left and ex.gone == []


def test_a_new_pool_needs_hours_of_presence_and_a_pool_that_left_can_come_back() -> None:
    ex = track_exits({}, ["big"], {"new": 3, "big": 12}, NOW, 60.0, **KW)
    assert ex.pools["new"][0] < 0.01 and ex.pools["new"][2] == 3.0
    assert ex.back and ex.gone == []


def test_the_window_after_an_exit_paces_the_trial_and_a_return_closes_it() -> None:
    """A trial at 1,000 unsold for 5,000 s: halved after the market-led price's 3 sales (3,600 s)
    off the window; inside it held at the break-even pace (12,121 s: robust item 6's test)."""
    params = {**PERCH, "perch_trial_seconds": 36_000.0, "leaves_window_seconds": 86_400.0}
    trial: dict[str, Any] = {"p_mode": "trial", "p_since": NOW - 5000, "p_price": 1_000}
    trial["perched"] = True
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_000, 5)], utilization=util(10, 0))
    quotes, new = decide(s, perch_state(**trial), params)
    assert memory(new).p_price == 500 and quotes[0].price == 500
    state = perch_state(**trial, l_until=NOW + 3600, l_gone=["gone"])
    quotes, new = decide(s, state, params)
    assert memory(new).p_price == 1_000 and quotes[0].price == 1_000
    back = snap(
        offers=[XS], book=[rival("a", 100, workerpool="0x" + "9" * 40)], utilization=util(10, 0)
    )
    m = memory(decide(back, perch_state(l_until=NOW + 3600, l_gone=["0x" + "9" * 40]), params)[1])
    assert m.l_until == 0.0 and m.l_gone == []


def test_off_the_rule_follows_no_pool() -> None:
    s = snap(offers=[XS], book=[rival("a", 100)], utilization=util(10, 0))
    off = {**PERCH, "leaves_window_seconds": 0.0}
    assert memory(decide(s, perch_state(), off)[1]).l_pools == {}
    m = memory(decide(s, perch_state(), PERCH)[1])  # on by default
    assert list(m.l_pools) == [rival("a", 100).workerpool]


def test_the_probe_judges_the_rivals_stock_once_it_lasted() -> None:
    kw = {"length": 3600.0, "share": 0.5}
    assert probe_step(0.0, 0.0, 60.0, in_stock=False, **kw) == (60.0, 60.0, None)
    assert probe_step(1800.0, 3540.0, 60.0, in_stock=False, **kw) == (1860.0, 3600.0, True)
    assert probe_step(1700.0, 3540.0, 60.0, in_stock=True, **kw) == (1700.0, 3600.0, False)


def test_in_the_window_a_probe_quotes_the_lowest_rung_over_rivals_in_stock() -> None:
    """The market-led 99 under a rival at 100 in stock, the window open: the probe quotes
    max(perch_low x 99, 2 x 99) = 396; off (``leaves_probe_seconds`` 0), the market-led 99."""
    params = {**PERCH, "leaves_window_seconds": 86_400.0, "leaves_probe_seconds": 3600.0}
    s = snap(offers=[XS], book=[rival("a", 100)], utilization=util(10, 0))
    state = perch_state(rivals_out=0.0, l_until=NOW + 3600)
    quotes, new = decide(s, state, params)
    m = memory(new)
    assert (m.l_probe, m.p_mode, quotes[0].price) == (True, "trial", 396)
    quotes, new = decide(s, state, {**params, "leaves_probe_seconds": 0.0})
    assert quotes[0].price == 99 and memory(new).p_mode == "market"

"""robust item 106: the price setter's exit opens item 24's window (strategies/robust_setter.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.pricing.snapshot import MarketSnapshot
from strategies.robust import RobustParams
from strategies.robust_setter import setter_exits, setter_prices
from tests.support.factories import NOW, rival, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

KW = {"share": 0.8, "setter_share": 0.3, "after": 7200.0}
# the cheap pool lists 5 of the 11 tasks (0.45: under item 24's half) and left two hours ago
POOLS = {"cheap": [0.95, NOW - 7200, 5.0], "a": [0.9, NOW - 60, 3.0], "b": [0.9, NOW - 60, 3.0]}
PRICES = {"cheap": 100.0, "a": 200.0, "b": 300.0}


def test_a_steady_setter_under_every_pool_still_listed_has_left() -> None:
    assert setter_exits(POOLS, PRICES, {"a": 200, "b": 300}, NOW, **KW) == ["cheap"]


@pytest.mark.parametrize(
    ("pools", "prices", "kw"),
    [
        ({**POOLS, "cheap": [0.95, NOW - 3600, 5.0]}, PRICES, KW),  # not gone long enough
        ({**POOLS, "cheap": [0.5, NOW - 7200, 5.0]}, PRICES, KW),  # restocks now and then
        ({**POOLS, "cheap": [0.95, NOW - 7200, 1.0]}, PRICES, KW),  # one small order: 1 of 7
        (POOLS, {**PRICES, "cheap": 250.0}, KW),  # listed over a pool still listed: no setter
        (POOLS, {"a": 200.0, "b": 300.0}, KW),  # no price kept for it
        (POOLS, PRICES, {**KW, "setter_share": 0.0}),  # off
    ],
)
def test_only_a_steady_setter_gone_long_enough_has_left(
    pools: dict[str, list[float]], prices: dict[str, float], kw: dict[str, float]
) -> None:
    assert setter_exits(pools, prices, {"a": 200, "b": 300}, NOW, **kw) == []


def test_no_pool_left_listed_the_setter_left_too() -> None:
    assert setter_exits(POOLS, PRICES, {}, NOW, **KW) == ["cheap"]


def test_prices_kept_for_the_followed_pools_at_their_last_sight() -> None:
    kept = setter_prices({"cheap": 100.0, "old": 5.0}, {"a": 210}, ["cheap", "a"])
    assert kept == {"cheap": 100.0, "a": 210.0}


def _scene() -> tuple[MarketSnapshot, dict[str, Any]]:
    """The cheap pool (5 of 11 tasks, last listed at 50) unseen for 2 h, a steady pool at 100
    in stock: the market-led price 99."""
    a = "0x" + "9" * 40
    s = snap(offers=[XS], book=[rival("a", 100, 3, workerpool=a)], utilization=util(10, 0))
    pools = {"0x" + "8" * 40: [0.95, NOW - 7200, 5.0], a: [0.9, NOW - 60, 6.0]}
    prices = {"0x" + "8" * 40: 50.0, a: 100.0}
    state = perch_state(rivals_out=0.0, l_pools=pools, l_prices=prices)
    return s, state


def test_the_setters_exit_opens_the_window_and_its_probe_quotes_the_lowest_rung() -> None:
    """With the key, the window opens at the exit and item 24's probe quotes max(perch_low x
    99, 2 x 99) = 396 over the pool at 100; off (0) no window: the market-led 99."""
    params = {**PERCH, "leaves_window_seconds": 86_400.0, "leaves_probe_seconds": 3600.0}
    s, state = _scene()
    quotes, new = decide(s, state, {**params, "leaves_setter_share": 0.3})
    m = memory(new)
    assert m.l_until == NOW + 86_400.0 and m.l_gone == ["0x" + "8" * 40]
    assert (m.l_probe, quotes[0].price) == (True, 396)
    quotes, new = decide(s, state, {**params, "leaves_setter_share": 0.0})
    m = memory(new)
    assert (m.l_until, m.l_gone, quotes[0].price) == (0.0, [], 99)
    assert m.l_prices == {"0x" + "8" * 40: 50.0, "0x" + "9" * 40: 100.0}  # as it was: untouched


def test_on_at_three_tenths_by_default() -> None:
    """On since session 30 (TRAIN: 33 class markets +4.0 RLC, 27 fresh +5.5, design block and
    held-out 14000-14051 identical, old validation -0.07): the setter's 5 of 11 tasks open it."""
    assert RobustParams().leaves_setter_share == 0.3
    params = {**PERCH, "leaves_window_seconds": 86_400.0, "leaves_probe_seconds": 3600.0}
    s, state = _scene()
    quotes, new = decide(s, state, params)
    assert memory(new).l_probe and quotes[0].price == 396

"""A cut must pay its cancels (strategies/robust_cutgas.py, ``cut_gas_factor``, robust item 73):
the pure counts and estimates, and in robust a cut under a small rival held at our listed price
while it wins less than the gas of the dearer orders it cancels."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

import strategies
from bot.pricing.snapshot import MarketSnapshot
from strategies import run_fenced
from strategies.robust import OfferMemory
from strategies.robust_cutgas import (
    cut_cancels,
    cut_gain,
    cut_pays,
    expected_taken,
    step_interval,
)
from tests.support.factories import NOW, deal, offer, own, rival, snap, util

XS = offer(0, max_volume=4)
GAS = 5_000_000  # robust's cancel_cost (the rails' default)


@pytest.mark.parametrize(
    ("orders", "price", "volume", "out"),
    [
        ([(10_000_000, 1)] * 4, 9_900_000, 4, 4),  # four one-task orders, each worth a cancel
        ([(10_000_000, 4)], 9_900_000, 4, 1),  # one order of four
        ([(10_000_000, 1)], 4_000_000, 4, 0),  # a task under one cancel's worth: left valid
        ([(10_000_000, 2)], 4_000_000, 4, 1),  # two are
        ([(10_000_000, 2)], 4_000_000, 1, 0),  # but the new quote holds one
        ([(9_000_000, 1)], 9_900_000, 4, 0),  # cheaper than the cut: not a cut's cancel
        ([(10_000_000, 0)], 9_900_000, 4, 0),  # nothing left
    ],
)
def test_cut_cancels(orders: list[tuple[int, int]], price: int, volume: int, out: int) -> None:
    assert cut_cancels(orders, price, volume, GAS) == out


def test_expected_taken() -> None:
    assert expected_taken(0, 3.0) == 0.0
    assert expected_taken(2, 0.0) == 0.0
    assert expected_taken(1, 2.0) == pytest.approx(1 - math.exp(-2.0))
    assert expected_taken(2, 2.0) == pytest.approx(2 - 4 * math.exp(-2.0))
    # a big stock sells what arrives: the mean
    assert expected_taken(1_000, 3.0) == pytest.approx(3.0)


def test_step_interval() -> None:
    assert step_interval([], 7_200.0, 3_600.0) == 3_600.0
    assert step_interval([4.0, 0.0, NOW], 7_200.0, 3_600.0) == 3_600.0  # no step under us
    # a step every 20 minutes leaves about 3 x 7,200 / 1,200 / ln 2 / 3 ... ~ 8.66 steps
    kept = [9.0, 6.0 / math.log(2.0), NOW]
    assert step_interval(kept, 7_200.0, 3_600.0) == pytest.approx(1_200.0)
    assert step_interval([9.0, 0.5, NOW], 7_200.0, 3_600.0) == 3_600.0  # capped


def test_cut_gain_and_pays() -> None:
    # one task under us, two buyers an hour, a 1 % cut, the whole hour
    rate = 2 / 3_600.0
    gain = cut_gain(10_000_000, 9_900_000, 1, rate, 3_600.0)
    assert gain == pytest.approx(9_900_000 * (1 - math.exp(-2.0)) - 100_000 * 2)
    assert not cut_pays(gain, 4, GAS, 1.0)  # four cancels: held
    assert cut_pays(gain, 1, GAS, 1.0)
    assert cut_pays(gain, 4, GAS, 0.3)
    assert cut_pays(0.0, 0, GAS, 1.0)  # no cancel: always made
    # a rival with stock under us for the whole hour: the cut wins every buyer
    assert cut_gain(10_000_000, 9_900_000, 50, rate, 3_600.0) == pytest.approx(
        9_900_000 * 2 - 100_000 * 2
    )


CUTS = [4.0, 4.0, NOW - 60]  # the rivals' recent reprices all stepped under us (undercutters)
WALK = [4.0, 1.0, NOW - 60]  # one in four did (a walker)


def decided(
    params: dict[str, Any],
    orders: int = 4,
    sold: int = 2,
    steps: list[float] | None = None,
    mem: dict[str, Any] | None = None,
) -> tuple[int, str, dict[str, Any]]:
    """Our one-task orders at 10 M (``orders`` of them, 4 tasks in all); a rival steps to 9.9 M
    with 2 left; ``sold`` tasks sold in the last hour; 11 M of stock above; ``steps`` item 71's
    counts (default CUTS); ``mem`` more of the offer's memory. The price, its reason and the
    offer's memory after the decision (items 73 and 76 share this scene)."""
    each = 4 // orders
    s = snap(
        offers=[XS],
        book=[rival("a", 9_900_000, 2), rival("b", 11_000_000, 5, workerpool="0x" + "e" * 40)],
        own_orders=[own(f"o{i}", 10_000_000, each) for i in range(orders)],
        deals=[deal(f"d{i}", 10_000_000, ago=600.0 * (i + 1)) for i in range(sold)],
        utilization=util(10, 0),
    )
    m = OfferMemory(last_at=NOW - 60, s_steps=CUTS if steps is None else steps, **(mem or {}))
    return robust_on(s, m, params)


def robust_on(
    s: MarketSnapshot, m: OfferMemory, params: dict[str, Any]
) -> tuple[int, str, dict[str, Any]]:
    """One robust decision on offer XS with memory ``m``: the price, its reason and the
    offer's memory after it (the scenes of items 71, 73, 76 and 92 end here)."""
    state = {"offers": {"0:0:0": m.to_json()}}
    d = run_fenced(
        strategies.create("robust", {"floor": 0, **params}), s, [XS], state, random.Random(1)
    )
    assert not d.abstain, d.reason
    after: dict[str, Any] = d.state["offers"]["0:0:0"]
    return d.quotes[0].price, d.quotes[0].reason, after


def quoted(
    params: dict[str, Any], orders: int = 4, sold: int = 2, steps: list[float] | None = None
) -> tuple[int, str]:
    """The scene of :func:`decided`: the price and its reason."""
    price, why, _ = decided(params, orders, sold, steps)
    return price, why


def test_robust_holds_a_cut_that_does_not_pay_its_cancels() -> None:
    on = {"cut_gas_factor": 1.0}
    main, _ = quoted({})
    assert main == 9_799_999  # main: under the rival, just past the planner's deadband
    price, why = quoted(on)
    assert price == 10_000_000 and "held at 10000000" in why and "4 cancels" in why
    # one order of four: one cancel, which the cut pays
    assert quoted(on, orders=1)[0] == main
    # nothing sold in the horizon: no evidence to price the cut by, it is made
    assert quoted(on, sold=0)[0] == main
    # a smaller factor
    assert quoted({"cut_gas_factor": 0.3})[0] == main
    # a market whose rivals' reprices are not mostly steps under us (under item 71's 0.75)
    assert quoted(on, steps=WALK)[0] == main
    assert quoted(on, steps=[])[0] == main
    # with item 71 off, the rule's own share (0.75) tells the undercutters' market
    off71 = {**on, "tier_undercut_share": 0.0}
    assert quoted(off71)[0] == 10_000_000 and quoted(off71, steps=WALK)[0] == main


def test_the_key_is_off_by_default() -> None:
    assert strategies.create("robust", {}).params.cut_gas_factor == 0.0

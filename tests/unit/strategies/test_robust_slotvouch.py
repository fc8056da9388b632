"""A vouched trial level not sold yet holds the pool's slots at its tier's pace
(strategies/robust_slotvouch.py ``vouched_rate``, ``slot_vouched_share``, robust item 69): the
pure rate, and in robust a long category floored on a saturated pool with the key on, at its
market-led price with it off (main) or where no buyer of ours stated the level."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust import OfferMemory
from strategies.robust_caps import Buyer
from strategies.robust_slotvouch import vouched_rate
from tests.support.factories import NOW, own, rival, snap, util
from tests.unit.strategies.test_robust_surge import BIG, two_offers
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide


def buyers(n: int, cap: int = 1_584) -> list[Buyer]:
    """``n`` buyers of one task at ``cap`` over the 10 h before NOW, and 10 at 150."""
    start = NOW - 36_000
    top = [Buyer(start + 36_000 * i / n, cap, 1, False) for i in range(n)]
    low = [Buyer(start + 3_600 * i + 1, 150, 1, False) for i in range(10)]
    return sorted(top + low, key=lambda b: b.at)


@pytest.mark.parametrize(
    ("rows", "level", "share", "rate"),
    [
        (buyers(10), 1_584, 1.0, 1_584 * 10 / 36_000),  # 10 tier tasks in 10 h
        (buyers(10), 1_584, 0.5, 0.5 * 1_584 * 10 / 36_000),  # discounted
        (buyers(10, cap=9_000), 1_584, 1.0, 1_584 * 10 / 36_000),  # a cap above pays it too
        (buyers(10), 1_585, 1.0, 0.0),  # nobody stated the level
        (buyers(10), 1_584, 0.0, 0.0),  # off
        (buyers(10), 0, 1.0, 0.0),  # no level
        ([], 1_584, 1.0, 0.0),  # no buyer: no pace
    ],
)
def test_vouched_rate(rows: list[Buyer], level: int, share: float, rate: float) -> None:
    assert vouched_rate(rows, level, NOW, share) == pytest.approx(rate)


def test_buyers_after_now_are_not_the_tier_s_pace() -> None:
    late = [Buyer(NOW + 60, 1_584, 50, False)]
    assert vouched_rate(late, 1_584, NOW, 1.0) == 0.0


def vouched_trial(cap: int) -> dict[str, Any]:
    """``two_offers``' pool, XS now an unsold trial at the 1,584 level our buyers vouched for
    (item 48), listed a minute ago; 36 buyers stated ``cap`` in the last 10 h."""
    state = two_offers(1.5)
    m = OfferMemory.from_json(state["offers"]["0:0:0"])
    rows = [[b.at, float(b.cap), float(b.volume), 0.0] for b in buyers(36, cap)]
    m = OfferMemory.from_json(
        {
            **m.to_json(),
            "p_mode": "trial",
            "p_settled": False,
            "p_since": NOW - 60,
            "p_price": 1_584,
            "v_price": 1_584,
            "perch_ev": [0.0, 0.0, 0.0],
            "c_buyers": rows,
            "perched": True,
        }
    )
    state["offers"]["0:0:0"] = m.to_json()
    return state


@pytest.mark.parametrize(
    ("share", "cap", "floored"),
    [
        (0.5, 1_584, True),  # the key on: the vouched level holds the slots
        (0.0, 1_584, False),  # off (main): an unsold level sets no floor
        (0.5, 1_000, False),  # no buyer of ours stated the level: no pace, no floor
    ],
)
def test_a_vouched_level_not_sold_yet_floors_a_long_category(
    share: float, cap: int, floored: bool
) -> None:
    s = snap(
        offers=[XS, BIG],
        book=[rival("r", 100, category=3)],
        own_orders=[own("o", 1_584, 5)],
        utilization=util(10, 10, 10),
    )
    params = {**PERCH, "perch_slot_share": 1.0, "slot_vouched_share": share}
    quotes, _ = decide(s, vouched_trial(cap), params, offers=[XS, BIG])
    assert quotes[0].price == 1_584  # the trial's own level is not floored
    assert (quotes[1].price > 99) is floored
    assert ("at a perch" in quotes[1].reason) is floored

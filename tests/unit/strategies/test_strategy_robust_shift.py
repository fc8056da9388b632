"""robust's committed perch (strategies/robust_shift.py): when it is checked against the
market-led price again."""

from __future__ import annotations

import pytest

from strategies.robust_shift import check_due, track_exits
from tests.support.factories import NOW, own, rival, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

# a perch at 1,584 that sold 9 tasks in an hour: far above the market-led 99's 30 tasks in 10 h
PAYS = [9 * 1_584.0, 9.0, 3600.0]


def test_a_check_is_due_only_on_a_sign_of_a_shift() -> None:
    assert not check_due(leads=True, base=99, base_at_commit=99, margin=2.0)
    assert check_due(leads=False, base=99, base_at_commit=99, margin=2.0)  # the perch fell
    assert check_due(leads=True, base=199, base_at_commit=99, margin=2.0)  # the market rose
    assert check_due(leads=True, base=99, base_at_commit=0, margin=2.0)  # unknown commit
    assert check_due(leads=True, base=99, base_at_commit=99, margin=0.0)  # off


@pytest.mark.parametrize(
    ("margin", "shift_base", "mode"),
    [(2.0, 99, "perch"), (0.0, 99, "check"), (40.0, 99, "check"), (2.0, 40, "check")],
)
def test_a_perch_that_still_pays_is_held_on_without_a_check(
    margin: float, shift_base: int, mode: str
) -> None:
    """Held ``p_hold``, a perch earning well over ``check_margin`` x the market-led mode (about
    30 x here) is held on; a check runs when it does not lead by the margin, when the market-led
    price (99) rose by it since the commit, or when the rule is off."""
    state = perch_state(
        p_mode="perch",
        p_since=NOW - 7200,
        p_hold=3600.0,
        p_price=1_584,
        perched=True,
        perch_ev=PAYS,
        shift_base=shift_base,
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    quotes, new = decide(s, state, {**PERCH, "check_margin": margin})
    m = memory(new)
    assert m.p_mode == mode
    if mode == "perch":
        assert (m.p_since, quotes[0].price) == (NOW, 1_584)


def test_a_steady_rival_gone_for_good_is_a_shift_and_a_passing_one_is_not() -> None:
    pools: dict[str, list[float]] = {}
    t = 0.0
    for _ in range(6 * 60):  # 6 h: "a" listed at every decision, "b" at one in ten
        t += 60.0
        listed = {"a", "b"} if int(t) % 600 == 0 else {"a"}
        pools, left = track_exits(pools, listed, t, 60.0, share=0.8, gone=7200.0)
        assert not left
    assert pools["a"][0] > 0.9 > 0.3 > pools["b"][0]
    for _ in range(119):  # both unseen for just under 2 h: not gone yet
        t += 60.0
        pools, left = track_exits(pools, set(), t, 60.0, share=0.8, gone=7200.0)
        assert not left and set(pools) == {"a", "b"}
    t += 60.0
    pools, left = track_exits(pools, set(), t, 60.0, share=0.8, gone=7200.0)
    assert left and pools == {}
    # "b" alone (in stock a tenth of the time) leaving is no shift
    _, left = track_exits({"b": [0.2, 0.0]}, set(), 7200.0, 60.0, share=0.8, gone=7200.0)
    assert not left


@pytest.mark.parametrize(("window", "until"), [(172800.0, NOW + 172800.0), (0.0, 0.0)])
def test_a_steady_rival_leaving_opens_the_window(window: float, until: float) -> None:
    """A pool in stock nearly always, unseen for ``shift_gone_seconds``: for
    ``shift_window_seconds`` the perch reads the demand the rivals left (its deals-based count
    is kept up: ``d_stock`` holds the remaining rival's order)."""
    state = perch_state(rivals_out=0.0, shift_pools={"gone": [0.95, NOW - 7200.0]})
    s = snap(offers=[XS], book=[rival("a", 100)], own_orders=[own("o", 99, 5)])
    _, new = decide(s, state, {**PERCH, "shift_window_seconds": window})
    m = memory(new)
    assert m.shift_until == until
    assert bool(m.d_stock) == (window > 0)

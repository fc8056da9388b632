"""``robust``'s committed perch that a check confirmed, held through the rivals' return while it
pays (strategies/robust_checkheld.py, ``perch_return_checked``, robust item 80): the pure rule,
and on crafted snapshots a confirmed paying perch kept when a rival is back in stock, while a
perch never checked, a settled trial, a perch that stopped paying and the key off end as in
main."""

from __future__ import annotations

import pytest

from strategies.robust_checkheld import checked_hold
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_return import SNAP, back_state, held_then_ended
from tests.unit.strategies.test_strategy_robust import PERCH, decide, memory
from tests.unit.strategies.test_strategy_robust_shift import held_perch

TRIAL = 3600.0  # PERCH's perch_trial_seconds: a commit holds 2 x it, a confirming check doubles it


@pytest.mark.parametrize(
    ("on", "p_mode", "p_hold", "pays", "held"),
    [
        (True, "perch", 4 * TRIAL, True, True),  # one check confirmed it
        (True, "perch", 16 * TRIAL, True, True),  # three
        (True, "perch", 2 * TRIAL, True, False),  # committed, never checked: ends as in main
        (True, "perch", 4 * TRIAL, False, False),  # stopped paying
        (True, "trial", 4 * TRIAL, True, False),  # a trial, settled or not
        (True, "check", 4 * TRIAL, True, False),  # the market-led price being measured
        (True, "market", 4 * TRIAL, True, False),
        (False, "perch", 4 * TRIAL, True, False),  # off: main, the return ends it
    ],
)
def test_only_a_confirmed_perch_that_still_pays_is_held(
    on: bool, p_mode: str, p_hold: float, pays: bool, held: bool
) -> None:
    got = checked_hold(on=on, p_mode=p_mode, p_hold=p_hold, trial_seconds=TRIAL, pays=pays)
    assert got is held


# item 68's scene (test_robust_return): a rival back in stock, guard 5 perched at 1,584
ON = {**PERCH, "perch_return_checked": True}
OFF = {**PERCH, "perch_return_checked": False}


def test_a_confirmed_paying_perch_is_held_when_a_rival_is_back_in_stock() -> None:
    # off (main b59ba91): the return ends it in one jump, the next trial waits
    held_then_ended(back_state(p_mode="perch", p_since=NOW - 60, p_hold=4 * TRIAL), ON, OFF)


def test_on_by_default() -> None:
    """On since session 24 (design block, old validation and held-out 8000-8051 none down)."""
    state = back_state(p_mode="perch", p_since=NOW - 60, p_hold=4 * TRIAL)
    assert memory(decide(SNAP, state, PERCH)[1]).p_mode == "perch"
    assert memory(decide(SNAP, state, OFF)[1]).p_mode == "market"


def test_a_perch_no_check_confirmed_ends_at_the_return() -> None:
    """Committed on its trial's evidence only (item 68 would hold it: design 1005, 1020)."""
    state = back_state(p_mode="perch", p_since=NOW - 60, p_hold=2 * TRIAL)
    m = memory(decide(SNAP, state, ON)[1])
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)
    # item 68's key holds this one: the two keys differ exactly here
    held = memory(decide(SNAP, state, {**PERCH, "perch_return_pays": True})[1])
    assert held.p_mode == "perch"


def test_a_settled_trial_ends_at_the_return() -> None:
    sold = back_state(p_mode="trial", p_since=NOW - 600, p_settled=True, p_hold=4 * TRIAL)
    m = memory(decide(SNAP, sold, ON)[1])
    assert m.p_mode == "market" and not m.perched


def test_a_confirmed_perch_that_no_longer_pays_ends_at_the_return() -> None:
    """One sale at the perch in 10 h: its lower bound under the market-led mode's 0.08 nRLC/s."""
    weak = back_state(
        p_mode="perch", p_since=NOW - 60, p_hold=4 * TRIAL, perch_ev=[1_584.0, 1.0, 36_000.0]
    )
    m = memory(decide(SNAP, weak, ON)[1])
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)


# item 86 (perch_return_renewed): a perch whose hold was renewed without a check counts as
# confirmed at the return


@pytest.mark.parametrize(
    ("on", "p_mode", "pays", "renewed", "held"),
    [
        (True, "perch", True, True, True),  # renewed, nothing shifted: held as if checked
        (True, "perch", True, False, False),  # committed, neither checked nor renewed: main
        (True, "perch", False, True, False),  # renewed, but stopped paying
        (True, "trial", True, True, False),  # a trial is never held here
        (False, "perch", True, True, False),  # item 80 off: nothing is held
    ],
)
def test_a_renewed_perch_counts_as_confirmed(
    on: bool, p_mode: str, pays: bool, renewed: bool, held: bool
) -> None:
    got = checked_hold(
        on=on, p_mode=p_mode, p_hold=2 * TRIAL, trial_seconds=TRIAL, pays=pays, renewed=renewed
    )
    assert got is held


RENEWED = {**ON, "perch_return_renewed": True}


def test_a_renewed_paying_perch_is_held_when_a_rival_is_back_in_stock() -> None:
    state = back_state(p_mode="perch", p_since=NOW - 60, p_hold=2 * TRIAL, p_renewed=True)
    m = memory(decide(SNAP, state, RENEWED)[1])
    assert (m.p_mode, m.p_price, m.perched) == ("perch", 1_584, True)
    # off by default: the renewal is not read, the return ends it as in main 73768e6
    for params in (ON, PERCH):
        m = memory(decide(SNAP, state, params)[1])
        assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)


def test_the_renewal_is_recorded_with_the_key_only() -> None:
    """test_strategy_robust_shift's scene: held ``p_hold``, a perch far above the market-led
    price with nothing shifted is held on without a check; only item 86's key marks it."""
    s, state = held_perch()
    on = memory(decide(s, state, {**PERCH, "check_margin": 2.0, "perch_return_renewed": True})[1])
    off = memory(decide(s, state, {**PERCH, "check_margin": 2.0})[1])
    assert (on.p_mode, on.p_since, on.p_renewed) == ("perch", NOW, True)
    assert (off.p_mode, off.p_since, off.p_renewed) == ("perch", NOW, False)

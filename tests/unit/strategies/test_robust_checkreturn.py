"""``robust``'s check of a committed perch not ended by the rivals' return where the book waits
(strategies/robust_checkreturn.py, ``check_return_held``, robust item 85): the pure rule, and on
item 68's crafted scene (a rival back in stock, guard 5 at 1,584) a check kept running and then
judged by its own test with the key where the book waits, ended at the return without it (main),
where the book does not wait, and for a committed perch or a trial."""

from __future__ import annotations

import pytest

from strategies.robust_checkreturn import check_runs_on
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_checkheld import SNAP, back_state
from tests.unit.strategies.test_strategy_robust import PERCH, decide, memory

TRIAL = 3600.0  # PERCH's perch_trial_seconds
ON = {**PERCH, "check_return_held": True}
OFF = {**PERCH, "check_return_held": False}  # main 73768e6
WAITS = {"book_wait_share": 0.0}  # share 0: every category's book counts as waiting


@pytest.mark.parametrize(
    ("on", "p_mode", "waits", "runs"),
    [
        (True, "check", True, True),
        (True, "check", False, False),  # a book that buys: main's rule
        (False, "check", True, False),  # off: main, the return ends the check
        (True, "perch", True, False),  # a committed perch: item 80's, untouched
        (True, "trial", True, False),
        (True, "market", True, False),
    ],
)
def test_only_a_check_where_the_book_waits_runs_on(
    on: bool, p_mode: str, waits: bool, runs: bool
) -> None:
    assert check_runs_on(on=on, p_mode=p_mode, waits=waits) is runs


def test_a_check_runs_on_through_the_return_where_the_book_waits() -> None:
    state = back_state(p_mode="check", p_since=NOW - 600, p_hold=2 * TRIAL)
    quotes, new = decide(SNAP, state, {**ON, **WAITS})
    m = memory(new)
    assert (m.p_mode, m.p_price) == ("check", 1_584)
    assert quotes[0].price < 1_584  # the check quotes the market-led price
    # off (main 73768e6): the return ends the check and the perch, the next trial waits
    m = memory(decide(SNAP, state, {**OFF, **WAITS})[1])
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)


def test_on_by_default_and_scoped_to_a_book_that_waits() -> None:
    state = back_state(p_mode="check", p_since=NOW - 600, p_hold=2 * TRIAL)
    assert memory(decide(SNAP, state, {**PERCH, **WAITS})[1]).p_mode == "check"
    assert memory(decide(SNAP, state, {**OFF, **WAITS})[1]).p_mode == "market"
    # no request counted (book_wait_share 0.4 by default): the book does not wait
    assert memory(decide(SNAP, state, ON)[1]).p_mode == "market"


def test_a_check_at_its_end_is_judged_by_its_test_and_its_perch_then_held_by_item_80() -> None:
    """20 sales at 1,584 in 10 h against the market-led 30 at 99: the check confirms the perch
    (its hold doubled), and item 80 (on by default) holds it through the return."""
    state = back_state(p_mode="check", p_since=NOW - TRIAL - 60, p_hold=2 * TRIAL)
    m = memory(decide(SNAP, state, {**ON, **WAITS})[1])
    assert (m.p_mode, m.p_hold, m.p_price) == ("perch", 4 * TRIAL, 1_584)
    held = back_state(p_mode="perch", p_since=NOW - 60, p_hold=4 * TRIAL)
    assert memory(decide(SNAP, held, {**ON, **WAITS})[1]).p_mode == "perch"


def test_a_check_that_does_not_pay_ends_at_its_end() -> None:
    weak = back_state(
        p_mode="check", p_since=NOW - TRIAL - 60, p_hold=2 * TRIAL, perch_ev=[0.0, 0.0, 36_000.0]
    )
    assert memory(decide(SNAP, weak, {**ON, **WAITS})[1]).p_mode == "market"


def test_a_committed_perch_and_a_trial_end_at_the_return_as_before() -> None:
    perch = back_state(p_mode="perch", p_since=NOW - 60, p_hold=2 * TRIAL)
    assert memory(decide(SNAP, perch, {**ON, **WAITS})[1]).p_mode == "market"
    trial = back_state(p_mode="trial", p_since=NOW - 600, p_settled=True, p_hold=2 * TRIAL)
    assert memory(decide(SNAP, trial, {**ON, **WAITS})[1]).p_mode == "market"

"""``robust``'s check of a committed perch judged on the perch's mean where the book waits
(strategies/robust_checkz.py, ``check_confidence``, robust item 79): the pure rule, and on
crafted snapshots a thin perch kept at its check's end with the key where the book waits, lost
without it (main), lost where the book does not wait, and a trial's commit untouched."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_checkz import check_z
from tests.support.factories import NOW, own, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state


@pytest.mark.parametrize(
    ("check", "waits", "scoped", "z"),
    [
        (-1.0, True, True, 1.0),  # off: the commit's z (main)
        (-1.0, True, False, 1.0),
        (0.0, True, True, 0.0),  # where the book waits: the perch's mean
        (0.0, False, True, 1.0),  # scoped, a book that buys: as main
        (0.0, False, False, 0.0),  # unscoped: every category
        (0.5, True, True, 0.5),
    ],
)
def test_check_z(check: float, waits: bool, scoped: bool, z: float) -> None:
    assert check_z(perch_z=1.0, check=check, waits=waits, scoped=scoped) == z


# guard 5 perched at 1,584, its check over: 3 sales there in 10 h (mean 0.132 nRLC/s, less one
# deviation 0.056) against the check's market-led 30 at 99 in 10 h (0.0825)
S = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)], utilization=util(10, 0))
THIN = [3 * 1_584.0, 3.0, 36_000.0]
ON = {**PERCH, "check_confidence": 0.0}
WAITS = {"book_wait_share": 0.0}  # share 0: every category's book counts as waiting


def check_state(**fields: Any) -> dict[str, Any]:
    return perch_state(
        **{
            "p_mode": "check",
            "p_since": NOW - 3600,
            "p_hold": 3600.0,
            "p_price": 1_584,
            "perch_ev": THIN,
            **fields,
        }
    )


def test_a_thin_perch_is_kept_at_its_check_where_the_book_waits() -> None:
    quotes, new = decide(S, check_state(), {**ON, **WAITS})
    m = memory(new)
    assert (m.p_mode, m.p_hold) == ("perch", 7200.0)
    assert quotes[0].price == 1_584 and quotes[0].jump


def test_off_a_thin_perch_is_lost_at_its_check_as_in_main() -> None:
    quotes, new = decide(S, check_state(), {**PERCH, **WAITS, "check_confidence": -1.0})
    assert memory(new).p_mode == "market"
    assert quotes[0].price == 99


def test_on_by_default() -> None:
    """On at 0 since session 24 (design block, old validation, held-out 8000-8051 identical)."""
    assert memory(decide(S, check_state(), {**PERCH, **WAITS})[1]).p_mode == "perch"


def test_scoped_to_a_category_whose_book_waits() -> None:
    # no request counted (book_wait_share 0.4 by default): the book does not wait, main's rule
    assert memory(decide(S, check_state(), ON)[1]).p_mode == "market"
    unscoped = {**ON, "check_confidence_waits": False}
    assert memory(decide(S, check_state(), unscoped)[1]).p_mode == "perch"


def test_a_perch_under_the_market_led_mean_is_lost_at_its_check_with_the_key() -> None:
    weak = check_state(perch_ev=[1_584.0, 1.0, 36_000.0])  # mean 0.044 < 0.0825
    assert memory(decide(S, weak, {**ON, **WAITS})[1]).p_mode == "market"


def test_a_trial_s_commit_is_untouched() -> None:
    """The commit still asks for the lower bound: a settled trial as thin as the perch above is
    not committed with the key, exactly as without it."""
    state = check_state(p_mode="trial", p_settled=True, p_hold=0.0)
    on = memory(decide(S, state, {**ON, **WAITS})[1])
    off = memory(decide(S, state, {**PERCH, **WAITS})[1])
    assert on.p_mode != "perch"
    assert on == off

"""Robust item 87 (strategies/robust_unsoldstart.py, ``trial_unsold_multiple``; and
``trial_start_sold``): where guard 5's trial starts in a category where no cap vouches. The pure
rule, and in robust the trial the gate opens starting at the multiple or at the sold level with
the keys only."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust import RobustParams
from strategies.robust_unsoldstart import unsold_start
from tests.support.factories import NOW, own, snap
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state


@pytest.mark.parametrize(
    ("start", "vouched", "sold", "price", "multiple", "expected"),
    [
        (99_000, 0, 0, 99, 8.0, 792),  # nothing sold, nothing vouched: 8 x the market-led
        (99_000, 0, 0, 99, 0.0, 99_000),  # off: the rails' top
        (1_270, 1_270, 0, 99, 8.0, 1_270),  # a cap vouches: its level (item 48)
        (99_000, 0, 538, 99, 8.0, 99_000),  # a level sold: unchanged (item 77's, or the top)
        (500, 0, 0, 99, 8.0, 500),  # the top is lower still: never over it
        (99_000, 0, 0, 0, 8.0, 99_000),  # no market-led price
    ],
)
def test_a_trial_with_no_evidence_starts_at_the_multiple(
    start: int, vouched: int, sold: int, price: int, multiple: float, expected: int
) -> None:
    assert (
        unsold_start(start, vouched=vouched, sold=sold, price=price, multiple=multiple)
        == expected
    )


def opened(params: dict[str, Any], **fields: Any) -> Any:
    """Guard 5's gate open (the slow count of rivals out at 0.9, the wait over), no buyers of
    ours in the window (nothing vouched): the trial opens now at the market-led price 99."""
    state = perch_state(rivals_out=0.9, **{"p_out": 0.9, "p_next": NOW - 1, **fields})
    s = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)])
    return memory(decide(s, state, {**PERCH, **params})[1])


def test_the_gate_s_trial_starts_under_the_top_with_the_key_only() -> None:
    off = opened({})
    assert (off.p_mode, off.p_price) == ("trial", 99_000)  # main: the rails' top
    on = opened({"trial_unsold_multiple": 8.0})
    assert (on.p_mode, on.p_price) == ("trial", 792)
    # a level sold before: the key leaves the start to the others (the top here)
    on = opened({"trial_unsold_multiple": 8.0}, g_sold=538)
    assert (on.p_mode, on.p_price) == ("trial", 99_000)


def test_the_sold_level_start_outside_a_surge() -> None:
    on = opened({"trial_start_sold": True}, g_sold=538)
    assert (on.p_mode, on.p_price) == ("trial", 538)
    off = opened({}, g_sold=538)
    assert (off.p_mode, off.p_price) == ("trial", 99_000)
    # nothing sold: the top
    assert opened({"trial_start_sold": True}).p_price == 99_000


def test_off_by_default() -> None:
    p = RobustParams()
    assert (p.trial_unsold_multiple, p.trial_start_sold) == (0.0, False)

"""``robust``'s perch held while the base prices the offer alone (strategies/robust_alone.py,
``perch_alone``, robust item 47): the pure rule, and on crafted snapshots a perch that sold
kept when no rival is seen, a trial still descending and the key off ending as in main."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from strategies.robust import OfferMemory
from strategies.robust_alone import held_alone
from tests.support.factories import NOW, own, snap, util
from tests.unit.strategies.test_strategy_robust import KEY, PERCH, XS, decide, memory, perch_state


@pytest.mark.parametrize(
    ("on", "mode", "p_mode", "settled", "held"),
    [
        (True, "alone", "perch", False, True),
        (True, "alone", "trial", True, True),
        (True, "alone", "trial", False, False),  # still descending: no buyer at its price yet
        (True, "alone", "check", False, False),
        (True, "alone", "market", False, False),
        (True, "contested", "perch", False, False),  # guard 5 runs as usual there
        (True, "book", "perch", False, False),
        (False, "alone", "perch", False, False),  # off: main, every perch ends
        (False, "alone", "trial", True, False),
    ],
)
def test_only_a_perch_that_sold_is_held_and_only_when_alone(
    on: bool, mode: str, p_mode: str, settled: bool, held: bool
) -> None:
    assert held_alone(on=on, mode=mode, p_mode=p_mode, settled=settled) is held


def alone_state(**fields: Any) -> dict[str, Any]:
    """Guard 5 at 1,584 (perched), and no rival seen at all: portfolio prices the offer alone."""
    state = perch_state(**fields)
    state["base"] = {}
    mem = OfferMemory.from_json(state["offers"][KEY])
    state["offers"][KEY] = dataclasses.replace(mem, perched=True).to_json()
    return state


SNAP = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))


def test_a_committed_perch_is_held_while_alone() -> None:
    state = alone_state(p_mode="perch", p_since=NOW - 60, p_hold=3600.0, p_price=1_584)
    quotes, new = decide(SNAP, state, {**PERCH, "perch_alone": True})
    m = memory(new)
    assert (m.p_mode, m.p_price, m.perched) == ("perch", 1_584, True)
    assert m.p_next == NOW - 1  # its clocks untouched: guard 5 resumes when a rival is seen
    assert quotes[0].price >= 1_584 and "perch 1584" in quotes[0].reason
    # off (main ee5b131): it ends in one jump and the next trial waits perch_wait_seconds
    quotes, new = decide(SNAP, state, PERCH)
    m = memory(new)
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)
    assert "perch" not in quotes[0].reason


def test_a_trial_that_sold_is_held_and_one_still_descending_ends() -> None:
    on = {**PERCH, "perch_alone": True}
    sold = alone_state(p_mode="trial", p_since=NOW - 600, p_price=1_584, p_settled=True)
    m = memory(decide(SNAP, sold, on)[1])
    assert (m.p_mode, m.p_price, m.p_settled) == ("trial", 1_584, True)
    unsold = alone_state(p_mode="trial", p_since=NOW - 600, p_price=1_584, p_settled=False)
    m = memory(decide(SNAP, unsold, on)[1])
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)

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
    ("on", "mode", "p_mode", "settled", "pays", "held"),
    [
        (True, "alone", "perch", False, True, True),
        (True, "alone", "trial", True, True, True),
        (True, "alone", "perch", False, False, False),  # stopped selling: ends as in main
        (True, "alone", "trial", True, False, False),
        (True, "alone", "trial", False, True, False),  # still descending: no buyer at its price
        (True, "alone", "check", False, True, False),
        (True, "alone", "market", False, True, False),
        (True, "contested", "perch", False, True, False),  # guard 5 runs as usual there
        (True, "book", "perch", False, True, False),
        (False, "alone", "perch", False, True, False),  # off: main, every perch ends
        (False, "alone", "trial", True, True, False),
    ],
)
def test_only_a_perch_that_sold_and_pays_is_held_and_only_when_alone(
    on: bool, mode: str, p_mode: str, settled: bool, pays: bool, held: bool
) -> None:
    assert held_alone(on=on, mode=mode, p_mode=p_mode, settled=settled, pays=pays) is held


def alone_state(**fields: Any) -> dict[str, Any]:
    """Guard 5 at 1,584 (perched; 20 sales there in 10 h, against the market-led mode's 30 at
    99), and no rival seen at all: portfolio prices the offer alone."""
    state = perch_state(**{"perch_ev": [20 * 1_584.0, 20.0, 36_000.0], **fields})
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
    quotes, new = decide(SNAP, state, {**PERCH, "perch_alone": False})
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


def test_on_by_default() -> None:
    state = alone_state(p_mode="perch", p_since=NOW - 60, p_hold=3600.0, p_price=1_584)
    assert memory(decide(SNAP, state, PERCH)[1]).p_mode == "perch"


def test_a_perch_that_no_longer_pays_ends_while_alone() -> None:
    """Its decayed sales (perch_ev) now under the market-led mode's mean: ends as in main."""
    weak = alone_state(
        p_mode="perch",
        p_since=NOW - 60,
        p_hold=3600.0,
        p_price=1_584,
        perch_ev=[1_584.0, 1.0, 36_000.0],
    )
    m = memory(decide(SNAP, weak, {**PERCH, "perch_alone": True})[1])
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)

"""robust_kept: a memory handed back unchanged is the one the last decision ended with, exactly.

The kept memory replaces ``OfferMemory.from_json`` of the stored JSON, so on every recall of
real runs the two must hold the same values of the same types (an int where from_json makes a
float, or a tuple where it makes a list, could move an output); and a changed state must be
read afresh.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.backtest import prepare_scenario
from bot.backtest.engine import simulate
from strategies.robust import OfferMemory
from strategies.robust_kept import Kept

ROOT = Path(__file__).resolve().parents[3]


def _typed(value: object) -> object:
    """``value`` with the type of every part spelt out: 0 and 0.0, [] and () differ here."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, _typed(vars(value)))
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


def test_a_changed_or_foreign_state_is_read_afresh() -> None:
    kept: Kept[OfferMemory] = Kept()
    mem = OfferMemory(lost=0.25, under={"0xabc": 0.5})
    raw = mem.to_json()
    kept.keep({"k": raw}, {"k": mem})
    assert kept.recall("k", dict(raw), OfferMemory.from_json) is mem
    changed = dict(raw, lost=0.5)
    assert kept.recall("k", changed, OfferMemory.from_json).lost == 0.5
    assert kept.recall("other", raw, OfferMemory.from_json) is not mem
    # the kept JSON is a private copy: changing the stored state in place is seen
    raw["under"] = {"0xabc": 0.75}  # type: ignore[index]
    assert kept.recall("k", raw, OfferMemory.from_json).under == {"0xabc": 0.75}


@pytest.mark.parametrize("scenario", ["demand_surge", "price_war", "mixed_lengths"])
def test_every_recall_of_a_run_equals_from_json_in_values_and_types(
    scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hits = 0
    recall = Kept.recall

    def checked(self: Kept[OfferMemory], key: str, raw: object, read: object) -> object:
        nonlocal hits
        read_afresh: list[OfferMemory] = []

        def read_and_note(raw: object) -> OfferMemory:
            read_afresh.append(OfferMemory.from_json(raw))
            return read_afresh[-1]

        got = recall(self, key, raw, read_and_note)
        if not read_afresh:  # the kept memory
            assert _typed(got) == _typed(OfferMemory.from_json(raw)), key
            hits += 1
        return got

    monkeypatch.setattr(Kept, "recall", checked)
    s = prepare_scenario(ROOT / "config" / "scenarios" / f"{scenario}.toml", 0.25)
    simulate(s, "robust", None, 1, record=False)
    assert hits > 100  # the kept memories were used, not only read afresh

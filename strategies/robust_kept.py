"""Robust's per-offer memories kept between decisions, so an unchanged state is not re-read.

Why: ``robust`` stores each offer's ``OfferMemory`` as JSON in its state and, every tick, read
every one back with ``OfferMemory.from_json`` (~90 fields, each checked and converted): 12-13 %
of a robust backtest's CPU (docs/BENCHMARKS.md, sessions 22-23). The state handed to
``decide`` is normally the one the previous call returned (the fence hands a deep copy of it),
so the memory read back equals the one the previous call ended with.

What is kept, per offer key: a private deep copy of the JSON the previous decision stored, and
the ``OfferMemory`` it was made from. A stored memory is taken from here only when it is *equal*
to that copy (one C-level comparison of dicts and number lists); anything else (a state from a
journal, another run, a caller that changed it, an abstained tick that kept the older state) is
read with ``from_json`` as before. The copy is private, so a caller that changes the returned
state in place cannot make a stale memory look current; the fence still copies the state the
strategy is given. ``OfferMemory.from_json(m.to_json())`` must rebuild ``m`` exactly (same values,
same types) for this to change nothing: tests/unit/strategies/test_robust_kept.py checks it on
every recall of short runs, and the 140 goldens (20 of them robust) pin the outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from strategies.base import _copy_state

__all__ = ["Kept"]

M = TypeVar("M")


class Kept(Generic[M]):
    """The memories the last decision stored, by offer key, with a private copy of their JSON."""

    __slots__ = ("_kept",)

    def __init__(self) -> None:
        self._kept: dict[str, tuple[object, M]] = {}

    def recall(self, key: str, raw: object, read: Callable[[object], M]) -> M:
        """The memory stored as ``raw`` for ``key``: the kept one when ``raw`` equals the JSON it
        was stored as, else ``read(raw)``."""
        kept = self._kept.get(key)
        if kept is not None and kept[0] == raw:
            return kept[1]
        return read(raw)

    def keep(self, stored: Mapping[str, object], memories: Mapping[str, M]) -> None:
        """Remember this decision's memories (``memories[k]`` stored as ``stored[k]``), forgetting
        the previous decision's: only the latest state can be handed back unchanged."""
        self._kept = {k: (_copy_state(raw), memories[k]) for k, raw in stored.items()}

"""Journalled snapshots stored as the changes from the previous one (issue #20).

A recorded snapshot holds the whole competing book and the open requests: 262 kB per row with a
500-order book, nearly all of it the same as the row before. A row is therefore written either
*full* (the payload as ``bot.engine.snapshot_codec`` shapes it) or as a *delta* of the row just
before it: each of :data:`DELTA_FIELDS` (lists of records keyed by ``order_hash``) is replaced by
``"<field>_delta": {"upsert": [...], "runs": [[start, length], ...]}`` where

- ``upsert`` holds the records that are new or differ from the previous row's record of the same
  hash (a fill changes ``remaining``), and nothing else;
- ``runs`` rebuilds the list, in its exact order, from the reference sequence "the previous
  row's list, with each upserted record of a known hash in its place, then the upserted records
  of new hashes in their order": an unchanged list is ``[[0, n]]``; a record left out of every
  run is gone.

Every other key (deals, stake, utilization, our orders...) is stored as it is, so plain-SQL readers
of those keys (``bot.ops`` reads ``$.deals``) are unaffected. A row is full when it is the first
one a writer records after opening the journal, every :data:`FULL_EVERY` rows, and whenever a list
has two records with one hash (the runs could not say which); the ``base_id`` column names the
row a delta applies to (NULL for a full row), so a reader starting anywhere walks back to the last
full row, and a broken chain is an error, never a silently wrong book. Pruning rewrites the
oldest kept row as a full one before deleting what came before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "DELTA_FIELDS",
    "FULL_EVERY",
    "SnapshotChainBroken",
    "decode_row",
    "encode_delta",
    "lists_of",
]

DELTA_FIELDS: tuple[str, ...] = ("book", "requests")
FULL_EVERY = 288
"""A full row at least once per 288 rows: a day at the default ``record_seconds = 300``."""

Lists = dict[str, list[dict[str, Any]]]
"""The delta fields of one decoded row."""


class SnapshotChainBroken(ValueError):
    """A delta row whose base row is missing or is not the row read just before it."""


def _runs(indices: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1][1] += 1
        else:
            runs.append([i, 1])
    return runs


def _encode_list(
    previous: list[dict[str, Any]], current: list[dict[str, Any]]
) -> dict[str, Any] | None:
    where = {e["order_hash"]: i for i, e in enumerate(previous)}
    if len(where) != len(previous):
        return None
    upsert: list[dict[str, Any]] = []
    indices: list[int] = []
    added: set[str] = set()
    for entry in current:
        h = entry["order_hash"]
        i = where.get(h)
        if i is None:
            if h in added:
                return None
            added.add(h)
            upsert.append(entry)
            indices.append(len(previous) + len(added) - 1)
            continue
        if previous[i] != entry:
            upsert.append(entry)
        indices.append(i)
    if len(set(indices)) != len(indices):
        return None  # one known hash twice in the new list
    return {"upsert": upsert, "runs": _runs(indices)}


def encode_delta(
    previous: Mapping[str, list[dict[str, Any]]], payload: dict[str, Any]
) -> dict[str, Any] | None:
    """``payload`` with its delta fields as changes from ``previous``; None when one cannot be
    (the row is then written full)."""
    out = dict(payload)
    for name in DELTA_FIELDS:
        current = payload.get(name)
        before = previous.get(name)
        if not isinstance(current, list) or before is None:
            return None
        delta = _encode_list(before, current)
        if delta is None:
            return None
        del out[name]
        out[f"{name}_delta"] = delta
    return out


def lists_of(payload: Mapping[str, Any]) -> Lists:
    """The delta fields of a full payload (absent ones are empty)."""
    return {name: list(payload.get(name) or ()) for name in DELTA_FIELDS}


def _decode_list(previous: list[dict[str, Any]], delta: Mapping[str, Any]) -> list[dict[str, Any]]:
    where = {e["order_hash"]: i for i, e in enumerate(previous)}
    reference = list(previous)
    for entry in delta["upsert"]:
        i = where.get(entry["order_hash"])
        if i is None:
            reference.append(entry)
        else:
            reference[i] = entry
    out: list[dict[str, Any]] = []
    for start, length in delta["runs"]:
        out.extend(reference[start : start + length])
    return out


def decode_row(
    row_id: int, base_id: int | None, stored: dict[str, Any], previous: tuple[int, Lists] | None
) -> dict[str, Any]:
    """The full payload of one stored row, given the row read just before it (id, lists)."""
    if base_id is None:
        return stored
    if previous is None or previous[0] != base_id:
        raise SnapshotChainBroken(
            f"snapshot row {row_id} is stored as changes from row {base_id}, which was not read"
            " just before it"
        )
    out = dict(stored)
    for name in DELTA_FIELDS:
        delta = out.pop(f"{name}_delta", None)
        if delta is None:
            raise SnapshotChainBroken(f"snapshot row {row_id}: no {name}_delta in a delta row")
        out[name] = _decode_list(previous[1][name], delta)
    return out

"""JSON from untrusted servers: the adapters' name for :mod:`bot.safe_json` (one implementation)."""

from __future__ import annotations

from bot.safe_json import MAX_JSON_DEPTH, loads_bounded, nesting_exceeds

__all__ = ["MAX_JSON_DEPTH", "loads_bounded", "nesting_exceeds"]

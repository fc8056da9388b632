"""JSON from untrusted sources (servers, order files, keystores), parsed without risking the process.

py_ecc (imported by eth_account) raises the interpreter's recursion limit to 100,000 at import, so
``json.loads`` of a hostile ``[[[[...`` overflows the C stack and kills the whole bot instead of
raising RecursionError. Every adapter that parses a remote answer, and every command that reads a
user's JSON file, checks its nesting first. Pure stdlib: the core and the CLI use it too
(``bot.domain.safe_json`` re-exports it for the adapters).
"""

from __future__ import annotations

import json
import re

__all__ = ["MAX_JSON_DEPTH", "JsonValue", "loads_bounded", "nesting_exceeds"]

MAX_JSON_DEPTH = 64

JsonValue = dict[str, object] | list[object] | str | int | float | bool | None
"""What ``json.loads`` returns: the type of a value stored as JSON and read back (the strategy
state the journal hands the cycle). Precise where ``object`` would do for mypy: mypyc cannot
build a compiled slots dataclass with a field annotated ``object`` (bench/compile_hot_path.py)."""

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def nesting_exceeds(raw: bytes, limit: int) -> bool:
    """True if the JSON nests deeper than about ``limit`` (or its brackets do not balance).

    py_ecc (imported by eth_account) raises the interpreter's recursion limit to 100,000 at
    import, so ``json.loads`` of a hostile ``[[[[...`` overflows the C stack and kills the
    process instead of raising RecursionError. Strings are blanked, everything but brackets is
    deleted, then each pass peels the innermost pairs; all of it runs at C speed.
    """
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        peeled = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(peeled) == len(brackets):
            return True
        brackets = peeled
    return bool(brackets)


def loads_bounded(raw: bytes, limit: int = MAX_JSON_DEPTH) -> object:
    """``json.loads`` that raises ValueError for JSON nested deeper than ``limit``."""
    if nesting_exceeds(raw, limit):
        raise ValueError(f"JSON nested deeper than {limit} levels")
    return json.loads(raw)

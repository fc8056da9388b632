"""Text from untrusted servers, made safe to log and to journal.

A marketplace error message (or any other remote string) is copied into exceptions, log lines and
the journal's action rows. Raw, it could carry terminal escape sequences (recolour or rewrite an
operator's terminal, hide earlier lines), CR/LF (forge extra log lines), other control or
bidirectional-override characters, or megabytes of text. :func:`clean_text` removes escape
sequences, turns every other control, format and line/paragraph separator character into a
space, collapses runs of whitespace, and bounds the length.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_TEXT", "clean_text"]

MAX_TEXT = 300  # characters kept of one remote message
ELLIPSIS = "…"

# ECMA-48: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte escapes; C1 CSI too.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Unicode categories that never belong in a one-line message: controls, format characters
# (bidi overrides, zero-width), line/paragraph separators, surrogates, private use, unassigned.
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """One printable line of at most ``limit`` characters (plus ``…`` when cut)."""
    bound = limit * 4 + 64  # bound the work: what is removed below only shortens the text
    unescaped = _ESCAPES.sub("", text[:bound])
    kept = "".join(" " if unicodedata.category(c) in _UNSAFE else c for c in unescaped)
    line = " ".join(kept.split())
    if len(line) > limit or len(text) > bound:
        return line[:limit] + ELLIPSIS
    return line

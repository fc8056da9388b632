"""Times as people read them: UTC, to the second, with the age (``2026-12-04 14:05:35 UTC,
12s ago``). Machines get the Unix seconds beside it; people never have to convert them.

Shared by the ops surface and the CLI; here, not in ``bot.ops``, so that ``pricebot once`` and
``status`` print a time without importing the ops package (its server, metrics and alerts).
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["age_text", "when"]


def age_text(seconds: float) -> str:
    """``12s``, ``4m 05s``, ``3h 02m``, ``2d 5h``: the two largest units."""
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86_400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86_400}d {s % 86_400 // 3600}h"


def when(ts: float | None, now: float) -> str | None:
    """``ts`` as a readable UTC time with its age relative to ``now`` (None stays None)."""
    if ts is None:
        return None
    text = datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    delta = now - ts
    if delta >= 0:
        return f"{text} ({age_text(delta)} ago)"
    return f"{text} (in {age_text(-delta)})"

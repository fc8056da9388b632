"""``robust``'s guard 1: how long a committed posture is kept before it is measured again.

Out-followed (a rival under the price we meant to be cheapest at), guard 1 tries three postures
for ``probe_seconds`` (40 min) each, commits to the one that earned most per hour and measures
all three again every ``commit_seconds`` (6 h), so that a follower that left, or moved its floor,
is found again. Against a fast undercutter each re-measure costs about two hours of sales and a
price war's cancels: ``war`` (one nRLC under the follower) and ``hold`` (under the next rival) sell
almost nothing while it answers each of our prices within its period; the follower, reset to its
ceiling by the floor posture, is dragged down again from there; and the re-measure then picks the
same ``floor`` as before (train ``undercut_fast`` 1303: 7 of 8 re-measures; 1355: 8 of 9; 1368:
4 of 4; 1329 pays about one task's price per cancel, its re-measures' cancels are most of its
gas). Guard 5 already holds its committed perch longer after each check it passes (``p_hold``);
this is the same schedule for guard 1: a re-measure that chose the posture it re-measured doubles
the time to the next one, up to a cap; one that chose another posture starts again from
``commit_seconds``. The first out-followed round is not a re-measure: it starts the count.

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what was
tried and not kept: docs/strategies.md, robust item 46.
"""

from __future__ import annotations

__all__ = ["kept_in_a_row", "posture_hold"]


def posture_hold(base: float, kept: int, cap: float) -> float:
    """Seconds a committed posture is kept before guard 1 measures the postures again.

    ``base``: ``commit_seconds``; ``kept``: re-measures in a row that chose the posture they
    re-measured; ``cap``: the longest hold (0: off, always ``base``). Never under ``base``.
    """
    if cap <= 0 or kept <= 0:
        return base
    return max(base, min(cap, base * 2.0 ** min(kept, 30)))


def kept_in_a_row(kept: int, before: str, chosen: str) -> int:
    """The count after a round of probes: one more when it chose ``before`` (the posture the
    round re-measured), 0 when it chose another or was no re-measure (``before`` empty)."""
    return kept + 1 if before and chosen == before else 0

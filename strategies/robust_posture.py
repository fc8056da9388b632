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

Item 49 (``follow_gas``): the round's choice itself. It compared 40-minute sales only, so on
``undercut_fast`` 1329 the re-measure's calm ``war`` probe (run right after ``floor`` pulled the
follower down) won rounds and, committed, was a price war for hours at about one task's price
per cancel. With the key each posture pays ``cancel_cost`` for each re-sign it made, and is
judged on its probe and its last committed stretch together; a round where nothing sold keeps
main's choice (a tie on no evidence goes to war, as before).

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what was
tried and not kept: docs/strategies.md, robust items 46 and 49.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "floor_price",
    "kept_in_a_row",
    "net_best",
    "posture_hold",
    "resign_charge",
    "stretch_add",
]


def floor_price(low: int, floor: int) -> int:
    """The ``floor`` posture's price: one nRLC under the lowest rival seen (``low``), never under
    our own ``floor`` (where a follower that stops following lets us sell)."""
    return max(low - 1, floor)


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


def resign_charge(before: int, listed: int | None, cost: float) -> float:
    """The gas a posture is charged for the decision interval that ends now (item 49).

    ``before``: our listed price at the last decision (0: none known); ``listed``: now (None:
    nothing listed). A listed price that changed was re-signed, and re-signing cancels the
    order it replaces: ``cost`` (``cancel_cost``). A fresh listing after none is no cancel.
    """
    if before <= 0 or listed is None or listed == before:
        return 0.0
    return float(cost)


def stretch_add(
    stretch: dict[str, list[float]], posture: str, sold: float, gas: float, dt: float
) -> dict[str, list[float]]:
    """``stretch`` with ``sold`` (nRLC), ``gas`` (nRLC) and ``dt`` seconds added to the running
    committed ``posture``'s record (a new dict; the others' records are kept as they ended)."""
    s, g, secs = stretch.get(posture, [0.0, 0.0, 0.0])
    return {**stretch, posture: [s + sold, g + gas, secs + dt]}


def net_best(
    earned: dict[str, float],
    seconds: dict[str, float],
    gas: dict[str, float],
    stretch: dict[str, list[float]],
    postures: Sequence[str],
) -> str | None:
    """The posture a round of probes commits to (item 49), or None to leave main's choice.

    Each posture is judged on its probe in the round (``earned``, ``gas``, ``seconds``) and its
    last committed stretch together: what it sold less the gas of its re-signs, per second; on
    a tie the earlier posture in ``postures`` (war first, as main). A round where no posture
    sold anything, in its probe or its stretch, shows nothing of the demand: None (main's
    choice, on sales alone, stands).
    """
    rates: dict[str, float] = {}
    sold_any = False
    for q in postures:
        s, g, secs = stretch.get(q, [0.0, 0.0, 0.0])
        s += earned.get(q, 0.0)
        g += gas.get(q, 0.0)
        secs += seconds.get(q, 0.0)
        if secs > 0:
            rates[q] = (s - g) / secs
            sold_any = sold_any or s > 0
    if not sold_any:
        return None
    return max(postures, key=lambda q: (rates.get(q, 0.0), -list(postures).index(q)))

"""``robust``'s readings of our buyers' caps taken from the buyers of the perch's half-life where
the book waits: item 48's vouched trial start (``trial_caps_kept``, robust item 82) and item 43's
perch moved to its tier (``perch_caps_kept``, robust item 105); issue #14.

Item 48 starts a trial guard 5's gate opens at the highest cap that buyers of at least
``trial_caps_tasks`` tasks among our deals *of the snapshot's window* (an hour) stated. On a
``publishers`` market whose tier buys about one task an hour that window holds one buyer, so
the trial starts at the rails' top instead (train 1702: every buyer of ours states 2,440 M nRLC,
the best fixed price in hindsight; the trials start at 12,200 M and 6,100 M, halve to 3,050 M
unsold and are lost at the next rung, 1,525 M, under their floor, while the market-led price
sits near 1,500 M and sells the same buyers for 60 % of the money; docs/strategies.md, items 79
and 82). Robust already keeps those buyers for the perch's half-life (``c_buyers``, items 50,
51, 66, 70 read them): with the key, in a category whose book waits (item 19's test,
``robust_book.book_waits``), item 48 reads the kept buyers of the last
``perch_half_life_seconds`` instead of the snapshot's window. Elsewhere, and with the key off,
item 48 is unchanged.

Item 43 (``perch_caps_tasks``, 3) moves a perch that sells to the best cap stated by buyers of at
least that many tasks. Its parameter says it reads our buyers of the last
``perch_half_life_seconds``, but it read them from the same hour of deals, so on a market whose
top tier buys one task every 1-2 hours it never saw three of them (train ``publishers`` 1364:
every buyer of the perch states 535.0 M, the trial's descent halves past it and sells at 118.2 M,
the refine's probes stop at 281 M, and the perch sits there until 51.3 h, when three 535 M
buyers happen to fall within one hour; docs/strategies.md, item 105). With ``perch_caps_kept``
(on since session 29) item 43 reads the kept buyers where the book waits, through the same
:func:`waiting_buyers`.

Pure: robust.py owns the state and calls it.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_caps import Buyer

__all__ = ["waiting_buyers"]


def waiting_buyers(
    window: Sequence[Buyer], kept: Sequence[Buyer], *, on: bool, waits: bool
) -> Sequence[Buyer]:
    """The buyers items 48 and 43 read caps from: ``kept`` (our buyers of the perch's half-life)
    when the item's key is ``on``, the category's book waits and some were kept, else ``window``
    (the snapshot's deals, main's behaviour)."""
    if on and waits and kept:
        return kept
    return window

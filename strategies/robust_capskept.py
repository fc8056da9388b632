"""``robust``'s perch moved to its buyers' caps read from the buyers of the perch's half-life
where the book waits (guard 5, ``perch_caps_kept``; issue #14, robust item 105).

Item 43 (``perch_caps_tasks``, 3) moves a perch that sells to the best cap stated by buyers of
at least that many tasks, and bounds its refine one nRLC above it when none stated more: the
tier the refine would approach by probes, read from the caps instead. Its parameter says it
reads "our buyers of the last ``perch_half_life_seconds``", but it reads them from the
snapshot's deals, whose window is an hour (``deals_window_seconds``). On a ``publishers``
market whose top tier buys about one task every 1-2 hours that window never holds three of
them, so item 43 never acts and the refine climbs alone (train 1364, XS: every buyer of the
perch states 535.0 M nRLC, the trial's descent halves past it while it goes unsold for 40
minutes per rung and sells at 118.2 M at 4.4 h; the refine's bisection climbs 118 -> 140 -> 153
-> 217 -> 258 -> 281 M by 13.7 h, the probe at 306.5 M goes unsold and becomes a strong bound,
and the perch sits at 281 M until 51.3 h, when three 535 M buyers happen to fall within one
hour and item 43 moves it to 535 M; docs/strategies.md, item 105). Robust already keeps its
buyers for the perch's half-life (``c_buyers``; item 82 reads them for the trial's vouched
start, ``robust_keptvouch.vouch_buyers``): with the key, in a category whose book waits (item
19's test, ``robust_book.book_waits``), item 43 reads the kept buyers of the last
``perch_half_life_seconds``, as its parameter says. Elsewhere, and with the key off, item 43 is
unchanged (main e84804e).

Pure: robust.py owns the state and calls it.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_caps import Buyer

__all__ = ["caps_buyers"]


def caps_buyers(
    window: Sequence[Buyer], kept: Sequence[Buyer], *, on: bool, waits: bool
) -> Sequence[Buyer]:
    """The buyers item 43's ``perch_at_caps`` reads: ``kept`` (our buyers of the perch's
    half-life) when the key is ``on``, the category's book waits and some were kept, else
    ``window`` (the snapshot's deals since the half-life began: main's behaviour)."""
    if on and waits and kept:
        return kept
    return window

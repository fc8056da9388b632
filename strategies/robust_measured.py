"""``robust``'s tier trial (item 51) not opened at a level a lost trial already measured
(guard 5, ``tier_open_unsold``; issue #14, robust item 61).

Item 51 opens a trial at the cap a tier of our own buyers stated (at least ``tier_open_multiple``
x our undercut) where guard 5's gate stays shut, once per offer: it is for an offer whose
undercut keeps the rivals in stock, so no trial ever measured what buyers above them pay. On
thin demand (train ``ample``: load 3-20 % of our capacity) the gate does open, early (the few
rivals' one-to-three-task lots are out at times): a first trial descends from the rails' top and
is lost unsold, at levels under the tier's cap. Hours later the tier rule reads a handful of our
buyers stating a cap 30-50 x our price (6 tasks in 12 h) and its replay a coincidence or two (a
buyer arriving within a rival's restock period after another took its one task), and lists a
level that first trial had already listed unsold, or just under it, then descends again and is
lost: train ``ample`` 1327 (a 144 M rung unsold at 2 h; the 216 M tier listed at the rails'
116.7 M at 12 h), 1340 (318.4 M at 3.5 h; the 476 M tier at 24 h listed at 318.4 M again), 1366
(180 M; the 270 M tier at 31 h at 180 M) and 1353 (377.6 M; the 1,330 M tier at 52 h). Each cost
its unsold hours, the cancels of the round trip and the path after it: x 0.81, 0.90, 0.92, 0.97
against the rule off. Not one of the 18 ``publishers`` and ``ample`` markets run gained from it.

**The rule.** A buyer of the tier (cap at or above its level) would have bought at any lower
price while the rivals were out: a trial that listed a price at or under the level and was lost
unsold there measured the tier already. With the key on, the lowest price a lost trial of the
offer listed unsold (its last level, when it ends for want of a sale: the descent's floor, a read
trial's end, item 57's end) is remembered, and item 51 does not open a trial at a level at or
above it. A trial lost because the rivals came back in stock is not counted (its level may not
have waited its time). Offers whose gate never opened (item 51's own case, ``undercut_slow``) are
untouched.

**Opt-in** (false by default): on the design block it loses two of item 51's own winners, where
the tier's second look paid (train ``surge`` 1022 x 0.957: a surge had started since the lost
trial; ``capacity_drop`` 1025 x 0.942: the descent under the tier sold). A lost trial's hours at a
level are no measurement of a tier of one buyer in 6-8 h, the rare tiers the weak ``ample`` and
``publishers`` markets' best fixed prices sell (docs/strategies.md, robust item 61).

Pure: prices in, a price or a verdict out; robust.py owns the state and calls them.
"""

from __future__ import annotations

__all__ = ["measured", "unsold_level"]


def unsold_level(kept: int, price: int) -> int:
    """The lowest price a lost trial of the offer listed unsold: the one ``kept`` (0: none yet)
    and ``price``, the level the trial now ending went unsold at (0: none, ``kept`` stays)."""
    if price <= 0:
        return kept
    return price if kept <= 0 else min(kept, price)


def measured(unsold: int, level: int) -> bool:
    """Whether a tier trial at ``level`` would measure what a lost trial already did: it listed
    ``unsold`` (0: no such trial), at or under the level, and nobody bought (module doc)."""
    return 0 < unsold <= level

"""The scarcity markup over a steady book price (guard 2 in the book mode, ``book_base_seconds``;
issue #14).

Pure helper of ``strategies.robust``, kept apart so that the rule can change without touching
the other guards.

**Why.** In the base's book mode the markup (guard 2) multiplies the book logic's price, "the
highest price filling capacity" read from the requests waiting in the book. On markets where
most of those are publishers (requests that wait for a pool to match them and never buy a posted
order) that price moves with which of them happen to wait, hour by hour, and the markup
multiplies the noise: train ``publishers`` 1026 (reference XS 256 M nRLC, the capped 30 P tier)
quoted between 117 M and 425 M at a markup of x 11.6, across the tier (nothing sells above it),
1,201 cancels, 0.47 of the reference. The markup's trials judge one interval's revenue against
the last, so they cannot settle under a tier while their base jumps by x 2-3 between intervals.

**The rule** (docs/strategies.md, robust items 13 and 19). While the book mode's price is marked
up, the markup multiplies a geometric moving average of the book price (time constant
``book_base_seconds``) instead of its latest value; leaving the book mode forgets it. Without a
markup the book price is quoted as before.

**Only where the book waits** (``book_wait_share``, item 19). Everywhere, the average lost on
``scarcity`` (train 1003 x 0.44): there the book price is where the demand the pool serves
sits, and an average of it lags. What tells the two apart is who the book's requests are next
to the buyers: per category, a request our listed order fitted and that stayed (guard 4 marks
it inert) *waited*; one that left the book unmarked, and every task a buyer took from our
posted orders, *bought*. On ``publishers`` markets the waiting requests are 22-84 % of these
(train, end of run; most categories over 0.4); on ``scarcity`` and ``captive_us`` 0-30 %: the
pool's demand there is buyers who take a posted order, and the few requests that wait are a
side of it. The average applies where at least ``book_wait_share`` (0.4) of the category's
count waited, once ``book_wait_least`` (3) requests did.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping

from bot.domain.model import Deal

__all__ = ["book_waits", "smoothed_log", "sold_to", "tally"]


def smoothed_log(prev: float, price: int, dt: float, tau: float) -> float:
    """The log of ``price`` averaged exponentially over time (``tau`` seconds; ``dt`` since the
    last reading). ``prev`` 0 means no reading yet: the average starts at ``price``."""
    now = math.log(max(1, price))
    if prev <= 0 or tau <= 0:
        return now
    a = 1.0 - math.exp(-max(0.0, dt) / tau)
    return (1 - a) * prev + a * now


def tally(
    watched: Mapping[str, int],
    fitting: Mapping[str, int],
    present: Collection[str],
    inert: Collection[str],
    known: Collection[str],
    counts: Mapping[int, tuple[int, int]],
) -> tuple[dict[str, int], dict[int, tuple[int, int]]]:
    """Per category, how many of the book's requests that our listed order fitted bought, and
    how many waited (the test of ``book_wait_share``).

    ``watched`` / ``fitting``: request hash -> category, the requests our listed order fitted at
    the last decision / fits now; ``present``: the hashes in the book now; ``inert``: the ones
    robust's guard 4 marks as waiting (still there ``inert_after_seconds`` after our order
    fitted them), ``known`` the ones it had marked before. A request newly marked inert waited;
    a watched one that left the book without being marked bought (from us or a rival: a buyer
    either way). ``counts``: category -> (bought, waited). Returns the new watch list and counts.
    """
    out = {c: (b, w) for c, (b, w) in counts.items()}
    for h, c in watched.items():
        if h not in present and h not in inert:
            b, w = out.get(c, (0, 0))
            out[c] = (b + 1, w)
    seen = {**watched, **fitting}
    for h in set(inert) - set(known):
        cat = seen.get(h)
        if cat is not None:
            b, w = out.get(cat, (0, 0))
            out[cat] = (b, w + 1)
    watch = {h: c for h, c in seen.items() if h in present and h not in inert}
    return watch, out


def book_waits(counts: tuple[int, int], share: float, least: int) -> bool:
    """Whether the book's requests in a category are ones that wait rather than buy: at least
    ``least`` of them waited, and they are at least ``share`` of those counted. ``share`` 0: no
    test (every category counts as waiting)."""
    bought, waited = counts
    if share <= 0:
        return True
    return waited >= least and waited >= share * (bought + waited)


def sold_to(
    counts: Mapping[int, tuple[int, int]], deals: Iterable[Deal]
) -> dict[int, tuple[int, int]]:
    """``counts`` with the tasks of our own ``deals`` counted as bought in their categories:
    buyers who took a posted order, the demand that does not wait in the book."""
    out = dict(counts)
    for d in deals:
        b, w = out.get(d.category, (0, 0))
        out[d.category] = (b + d.volume, w)
    return out

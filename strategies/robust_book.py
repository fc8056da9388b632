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

**The rule** (opt-in: off by default, it loses on ``scarcity`` markets, where the book price
is real demand for the pool's capacity and its average lags; docs/strategies.md, robust item
13). While the book mode's price is marked up, the markup multiplies a geometric
moving average of the book price (time constant ``book_base_seconds``) instead of its latest
value; leaving the book mode forgets it. Without a markup the book price is quoted as before.
"""

from __future__ import annotations

import math

__all__ = ["smoothed_log"]


def smoothed_log(prev: float, price: int, dt: float, tau: float) -> float:
    """The log of ``price`` averaged exponentially over time (``tau`` seconds; ``dt`` since the
    last reading). ``prev`` 0 means no reading yet: the average starts at ``price``."""
    now = math.log(max(1, price))
    if prev <= 0 or tau <= 0:
        return now
    a = 1.0 - math.exp(-max(0.0, dt) / tau)
    return (1 - a) * prev + a * now

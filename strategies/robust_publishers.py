"""A thin perch's unsold bound is counted at its cautious sales rate (issue #14, item 22); and,
opt-in, the waiting book held under the rival last seen (item 26, ``book_rival_floor``).

Pure helper of ``strategies.robust``'s perch refine (``_refine``), for the ``perch_bound_sales``
test of ``strategies.robust_bound``.

**Why** (train ``publishers`` 1026, docs/strategies.md robust item 22). Where most of the paying
demand posts a request and waits (``iexec app request-execution``), the book holds many requests
that never buy a posted order and the pool is idle: the buyers who take our orders are few, and
the best fixed price in hindsight sells the top capped tier, 1.6 tasks an hour, at the tier's
price (1026: 256 M nRLC). robust's perch found buyers at 109 M, then trusted 118.9 M as an upper
bound after 2.1 h unsold, "3 of the perch's sales" at the rate its evidence showed then (1.43
an hour, from a dozen sales). The window was unlucky (at the tier's 1.6 an hour about 3 % of
windows that long see no buyer), and a trusted bound is never probed again: the perch held
109 M, 2.3 x under the tier, for the remaining 60 hours. A rate read from a dozen sales is
itself uncertain (+-30 %), and the perch's commit is judged on a cautious rate for that reason
(``robust_ladder.lower_rate``); the bound's evidence was not.

**The rule.** The bound's evidence (how many of the perch's sales its unsold time is worth) is
counted at the perch's sales rate less ``z`` Poisson deviations (``perch_bound_z``): tasks less
``z`` x sqrt(tasks), over the evidence's seconds. A thick perch is barely affected (50 sales, z
= 1: x 0.86), a thin one needs more unsold time before its bound is trusted (5 sales: x 0.55).
``z`` = 0 is the plain rate (main's rule). ``perch_bound_waits`` (true) applies it only in
categories where the book waits (``robust_book.book_waits``, item 19's test): in every category
it also lost train ``stationary`` 1014 x 0.92, where the bound it re-probed longer was right.
"""

from __future__ import annotations

import math

from strategies.base import under

__all__ = ["book_rival_floor", "bound_rate"]


def bound_rate(tasks: float, seconds: float, z: float) -> float:
    """The perch's sales per second for its unsold bound's evidence (module doc): ``tasks`` (its
    decayed evidence) less ``z`` Poisson deviations, over ``seconds``; 0 without evidence."""
    if seconds <= 0 or tasks <= 0:
        return 0.0
    return max(0.0, tasks - z * math.sqrt(tasks)) / seconds


def book_rival_floor(
    price: int, memory: object, now: float, seconds: float, step: int, floor: int
) -> int | None:
    """The price one ``step`` under the rival the base last saw (``memory``: its state's
    ``[price, seen at, ...]`` for the offer), while that sighting is at most ``seconds`` old and
    the book-led ``price`` is under it; None otherwise (``seconds`` = 0: off).

    **Why** (train ``publishers`` 1065, docs/strategies.md robust item 26). Where the book waits,
    its requests are publishers who never buy a posted order: the buyers who take ours are the
    takers a rival also sells to, at the rival's price. The base holds the book price one step
    under a rival *in stock*; while the rival is sold out it quotes the book price itself (1065:
    6-11 M nRLC under a rival at 33.9 M), sells the takers who come meanwhile at a fraction of
    what they pay the rival, and raises back (a cancel) when the rival restocks: 273 cancels,
    11 % of the reference in gas. The rival's last price is what the contested mode would follow
    for ``rival_memory_seconds`` after it sold out; this holds the waiting book to it too."""
    if seconds <= 0 or not isinstance(memory, list) or len(memory) < 2:
        return None
    rival, seen = memory[0], memory[1]
    if not isinstance(rival, (int, float)) or not isinstance(seen, (int, float)):
        return None
    if now - seen > seconds:
        return None
    held = under(int(rival), step, floor)
    return held if held > price else None

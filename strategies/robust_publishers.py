"""A thin perch's unsold bound is counted at its cautious sales rate (issue #14, item 22).

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

**The first trial where the book waits** (``waits_first_seconds``, item 33; 0: off). On train
1026 the XS rival (5.65 M) is bought out by its own captive requesters: the perch's count of
rivals out of stock passes its gate (``perch_out_share``) within two hours, but the first trial
waits ``perch_wait_seconds`` (6 h) at the market-led price, which reads the publishers' book
(5-17 M) while the best fixed price sells the 256 M tier: hours 0-6 earned 0.7 RLC against the
reference's 4.1. Item 21's early first trial (``perch_first_wait_seconds``) is this wait
everywhere and loses ``undercut_fast`` 1004 (its commit check meets the market-led mode's
richest hours) and, gated on the share as item 28 gates it, ``capacity_drop`` 1038. Here it is
taken only in a category where the book waits (``robust_book.book_waits``, item 19's test: the
requests our order fitted mostly stayed waiting, never buying), and, as item 28, only if the
share passes the gate at the first decision at or after it falls due; otherwise the first wait
stays as it was.
"""

from __future__ import annotations

import math

__all__ = ["bound_rate", "waits_first"]


def bound_rate(tasks: float, seconds: float, z: float) -> float:
    """The perch's sales per second for its unsold bound's evidence (module doc): ``tasks`` (its
    decayed evidence) less ``z`` Poisson deviations, over ``seconds``; 0 without evidence."""
    if seconds <= 0 or tasks <= 0:
        return 0.0
    return max(0.0, tasks - z * math.sqrt(tasks)) / seconds


def waits_first(
    due: float,
    last: float | None,
    now: float,
    *,
    share: float,
    gate: float,
    first: float,
    early: float,
) -> bool:
    """The first trial starts now (module doc, ``waits_first_seconds``): ``due`` is when it
    falls due as scheduled (``first`` after the offer was first seen), ``last`` the previous
    decision; true at the first decision at or after ``early`` from the offer's first sighting
    (only when earlier than ``first``) if the rivals' out-of-stock ``share`` passes ``gate``."""
    if early <= 0 or early >= first:
        return False
    at = due - first + early
    return (last is None or last < at) and at <= now and share >= gate

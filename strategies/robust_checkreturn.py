"""``robust``'s check of a committed perch, not ended by the rivals' return where the book waits
(guard 5, ``check_return_held``; issue #14's stationary bar, robust item 85).

A committed perch is checked when its hold runs out: guard 5 goes back to the market-led price
for ``perch_trial_seconds`` to measure it afresh against the perch. At the market-led price we
undercut the rivals again, so their buyers are ours and their stock stays on the book: the slow
count of rivals out of stock (``p_out``) falls, and once it is under half of
``perch_out_share`` the rivals' return ends the check (and the perch) before the check's own
test is asked. On a ``publishers`` market whose rivals restock slowly this is the check itself
causing the return it reads (item 33's case: our undercut keeps the rivals in stock). Train
``publishers`` 1715 (score 0.785): XS's perch at 484 M nRLC (listed at the rails' 323 M, the
best fixed price) is committed at 8.2 h and sells as ``fixed`` does; its check from 20.2 h ends
at the return at 21.1 h, and the second perch (33.4 h) ends likewise in its check at 45.4 h
(with item 68, since removed, on) or at the return before it (44.1 h): back at the
market-led 9 M robust keeps the rivals in stock and sells 524 tasks for 6.9 RLC where
``fixed`` sells 37 for 12.0 (docs/strategies.md, items 79 and 85).

With the key, in a category whose book waits (item 19's test, ``robust_book.book_waits``), the
return does not end a check: it runs to its end (or its early end) and is judged by its own
test, as a check elsewhere in time is. A check that confirms the perch doubles its hold, which
item 80 (``perch_return_checked``) then holds through the return while it pays. A trial, a
committed perch, and a check where the book does not wait are untouched.

Pure: robust.py owns the state and calls it.
"""

from __future__ import annotations

__all__ = ["check_runs_on"]


def check_runs_on(*, on: bool, p_mode: str, waits: bool) -> bool:
    """Whether the rivals' return leaves guard 5's mode ``p_mode`` running at this decision
    (item 85): only a check (``p_mode == "check"``), only with the key ``on``
    (``check_return_held``; false: never, main's behaviour) and only where the category's book
    ``waits`` (``robust_book.book_waits``)."""
    return on and waits and p_mode == "check"

"""``robust``'s scarcity markup tries a raise only where the raise can pay its cancel
(guard 2, ``markup_gas_cancels``; issue #14, robust item 74).

Guard 2 (strategies/robust.py, ``_markup``) raises the markup by ``markup_up`` **on trial** every
``markup_interval_seconds`` while the rivals are out of stock often enough and the last interval
sold something; a trial that earns less per hour is undone. Each trial re-signs our order at the
dearer price, and a raise costs one on-chain cancel per cheaper order of ours (the planner must
cancel it: an unpublished order stays matchable at its old price); the way back re-signs again.
The churn hold (``raise_horizon_seconds``) weighs the base's own raises against that gas, but the
guards' raises are exempt ("trials that pay or are undone"), and on a thin market a trial cannot
pay: train ``ample`` 1327 sells one or two XS tasks an interval at 4.56 M nRLC, so a x1.25
trial's best case is about 1.1-2.3 M nRLC of extra revenue against a 2.1 M cancel; its rivals
list a task or two, are out of stock a third of the time, and the markup toggled x1.00 -> x1.25
-> x1.56 -> x1.00 every 20 minutes: 116 cancels (0.24 RLC) on 1.03 RLC sold, and with the markup
off 47 cancels and 0.97 RLC net against 0.79 (docs/strategies.md, item 74).

**The rule.** A raise trial is tried only where its best case over the trial pays the gas it
costs: the interval's extra revenue at the raised price, ``(e^up - 1) x rate x interval`` (the
last interval's earnings per second, the very rate the trial is judged against, all sold at the
dearer price), reaches ``markup_gas_cancels`` cancels' gas. Otherwise the markup stays where it
is (the fall while the market is not short is untouched). On a market that sells tens of tasks
an interval the bound is far above a cancel and nothing changes.

**Not where the markup smooths the book.** In a category whose book waits rather than buys
(``robust_book.book_waits``, ``publishers`` markets) the markup multiplies an average of the
book mode's price (``book_base_seconds``, item 19's base) and, at x1.00, the raw book price is
quoted: it follows whichever publishers wait, re-signed as it swings (train ``publishers`` 1026
at 0.33-0.67 h: 2.18 M to 36 M nRLC and back within minutes). There a held raise costs cancels
instead of saving them (the gate everywhere: 1026 cancels 224 -> 281, 1364 163 -> 489 and its
first perch lost), so the gate does not apply in such a category (``smoothed``), whatever the
mode at the decision: the offer toggles between the book and the contested mode from one
decision to the next, and a raise held in a contested minute leaves the book's markup a step
lower for the rest of the run (the gate off in the book mode only: 1364 x 0.96, its markup at
x1.95 where main's is at x2.44).

Pure: numbers in, a verdict out; robust.py owns the state and calls it.
"""

from __future__ import annotations

import math

__all__ = ["trial_pays"]


def trial_pays(
    rate: float,
    seconds: float,
    up: float,
    cancel_cost: int,
    cancels: float,
    *,
    smoothed: bool = False,
) -> bool:
    """A markup raise trial may start (module doc): ``rate`` is the last interval's earnings in
    nRLC a second, ``seconds`` the trial's length, ``up`` the raise as a log step (``log1p`` of
    ``markup_up``), ``cancel_cost`` one cancel's gas in nRLC and ``cancels`` how many cancels' gas
    the trial's best case must reach (0: off, every trial may start). ``smoothed``: a category
    where the markup multiplies the book's smoothed price (a book that waits,
    ``book_base_seconds``), where a markup over 1 re-signs less than the raw book price it
    replaces: always true there."""
    if cancels <= 0 or smoothed:
        return True
    return math.expm1(up) * rate * seconds >= cancels * cancel_cost

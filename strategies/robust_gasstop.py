"""``robust``'s gas stop-loss: a category whose re-signs cost more gas than it sells stops
re-signing for a while (``gas_stop_seconds``; issue #14, robust item 94).

Every change of our listed price re-signs the order and cancels the one it replaces on chain
(one ``cancel_cost``, 2.1 M nRLC on the generated markets). The guards weigh that gas case by
case (item 49's net postures, item 73's cut gate, item 74's markup gate), each on its own
evidence; nothing watches the sum. Train ``undercut_fast`` 10000 (one slot, category 0 alone;
two fixed 13.3 M pools of a task each and an undercutter of two tasks repricing every 22 s, floor
2.01 M, no reset) ends at main's defaults with **-1.20 RLC** after gas: 13 tasks sold (0.14 RLC)
against 638 cancels (1.34 RLC). Guard 1's floor posture lists one nRLC under the lowest rival
seen, the undercutter steps 131 k under it within 22 s and the posture follows; the probe
rounds walk war -> floor -> hold (13.3 M) -> war and each leg re-signs. A fixed price earns
0.16 RLC at 13,299,999 and 1.35 RLC at 2,009,999 (one nRLC under the undercutter's floor);
a pricing bot that ends under zero does worse than any fixed publisher.

**The rule.** Per offer, two decayed sums with half-life ``gas_stop_seconds`` (h): the gas of
our re-signs (a change of the listed price between two decisions, :func:`resign_gas`, robust's
``cancel_cost`` each) and the nRLC we sold. Once the book covers h, when the gas reaches
``GAS_STOP_CANCELS`` cancels and exceeds ``GAS_STOP_SALES`` x the sales plus ``GAS_STOP_TASKS``
tasks at the listed price, the offer's listed price is held as it is (no re-sign, up or down) for
h; a sold-out offer is relisted at the price it asks (a fresh listing cancels nothing). After h
the guards quote again until the book trips again.

Each margin is a market the stop cost without it (docs/strategies.md, item 94): a book younger
than h and the tasks' worth spare a category whose first sale comes long after a war's first
cuts (design ``undercut_slow`` 1005's XL category 3, 0.67 RLC a task: a stop tripped by its first
five cuts held it over the rivals for 12 h, x 0.50; ``undercut_fast`` 1004's category 4, 0.70
RLC a task, sells every few hours); the factor on the sales spares a war that re-signs more than
it sells for a while but sells once it settles (class extra 1082, cheap tasks, 1,225 sold: x 0.09
with a factor of 1). What a hold forfeits (the sales the war would have made) is not seen by the
book; the margins only make the stop rare.

Pure functions over plain values; robust.py owns the state (``OfferMemory.x_book``:
``[gas, sold, at, until, listed, since]``) and calls them. Figures: docs/strategies.md, item 94.
"""

from __future__ import annotations

from strategies.robust_stepunder import half_life_keep

__all__ = [
    "BOOK",
    "GAS_STOP_CANCELS",
    "GAS_STOP_SALES",
    "GAS_STOP_TASKS",
    "book_add",
    "resign_gas",
    "stopped",
]

GAS_STOP_CANCELS = 4.0  # cancels' gas a category must have spent before the stop may trip
GAS_STOP_TASKS = 4.0  # tasks at the listed price the gas must outrun besides the sales
GAS_STOP_SALES = 3.0  # times the decayed sales the gas must outrun


def resign_gas(before: float, listed: int | None, cost: float) -> float:
    """The gas of the decision interval that ends now: ``cost`` if our listed price changed
    (``before``: the last decision's, 0: none; ``listed``: now, None: nothing listed)."""
    if before <= 0 or listed is None or listed == before:
        return 0.0
    return float(cost)


BOOK = 6  # [gas, sold, at, until, listed, since]


def book_add(
    book: list[float],
    now: float,
    gas: float,
    sold: float,
    listed: int | None,
    half_life: float,
    cost: float,
) -> list[float]:
    """``book`` (``[gas, sold, at, until, listed, since]``, empty: new, ``since`` now) decayed to
    ``now`` with ``gas`` and ``sold`` (nRLC) added and ``listed`` remembered; the stop is set to
    run until ``now + half_life`` when the book covers ``half_life``, no stop is running, and the
    gas reaches ``GAS_STOP_CANCELS`` x ``cost`` and exceeds ``GAS_STOP_SALES`` x the sales plus
    ``GAS_STOP_TASKS`` tasks at the listed price (where a few sales pay all of it, the re-signs
    are cheap beside a task)."""
    g, s, at, until, _, since = book if len(book) == BOOK else [0.0, 0.0, now, 0.0, 0.0, now]
    keep = half_life_keep(now - at, half_life)
    g, s = g * keep + gas, s * keep + sold
    worth = GAS_STOP_TASKS * float(listed or 0)
    judged = now - since >= half_life  # the book covers a half-life
    if judged and until <= now and g >= GAS_STOP_CANCELS * cost and g > GAS_STOP_SALES * s + worth:
        until = now + half_life
    return [g, s, now, until, float(listed or 0), since]


def stopped(book: list[float], now: float) -> bool:
    """Whether the stop holds the listed price at ``now``."""
    return len(book) == BOOK and book[3] > now

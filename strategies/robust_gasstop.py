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
our re-signs (a change of the listed price between two decisions, :func:`resign_gas`) and the
nRLC we sold. When the gas reaches ``GAS_STOP_CANCELS`` cancels and exceeds the sales (and a
few tasks' worth, below), the
category's listed price is held as it is (no re-sign, up or down) for h seconds; a sold-out
offer is relisted at the price it asks (a fresh listing cancels nothing). After h the guards
quote again, and the stop trips again only once the new re-signs' gas outruns the (decayed)
sales. The gas must also outrun ``GAS_STOP_TASKS`` tasks at the listed price: on a category
whose task is worth hundreds of cancels a war's first cuts come long before its first sale
(design ``undercut_slow`` 1005's XL category 3 sells 0.67 RLC a task, and a stop tripped by its
first five cuts held it over the rivals for 12 h: x 0.50; ``undercut_fast`` 1004's category 4,
0.70 RLC a task, sells every few hours).

Pure functions over plain values; robust.py owns the state (``OfferMemory.x_book``:
``[gas, sold, at, until, listed]``) and calls them. Figures: docs/strategies.md, item 94.
"""

from __future__ import annotations

__all__ = ["BOOK", "GAS_STOP_CANCELS", "GAS_STOP_TASKS", "book_add", "resign_gas", "stopped"]

GAS_STOP_CANCELS = 4.0  # cancels' gas a category must have spent before the stop may trip
GAS_STOP_TASKS = 4.0  # tasks at the listed price the gas must outrun besides the sales


def resign_gas(before: float, listed: int | None, cost: float) -> float:
    """The gas of the decision interval that ends now: ``cost`` if our listed price changed
    (``before``: the last decision's, 0: none; ``listed``: now, None: nothing listed)."""
    if before <= 0 or listed is None or listed == before:
        return 0.0
    return float(cost)


BOOK = 5  # [gas, sold, at, until, listed]


def book_add(
    book: list[float],
    now: float,
    gas: float,
    sold: float,
    listed: int | None,
    half_life: float,
    cost: float,
) -> list[float]:
    """``book`` (``[gas, sold, at, until, listed]``, empty: new) decayed to ``now`` with ``gas``
    and ``sold`` (nRLC) added and ``listed`` remembered; the stop is set to run until ``now +
    half_life`` when the gas reaches ``GAS_STOP_CANCELS`` x ``cost`` and exceeds the sales plus
    ``GAS_STOP_TASKS`` tasks at the listed price (where a few sales pay all of it, the re-signs
    are cheap beside a task), and no stop is running."""
    g, s, at, until, _ = book if len(book) == BOOK else [0.0, 0.0, now, 0.0, 0.0]
    keep = 0.5 ** (max(0.0, now - at) / half_life) if half_life > 0 else 0.0
    g, s = g * keep + gas, s * keep + sold
    worth = GAS_STOP_TASKS * float(listed or 0)
    if until <= now and g >= GAS_STOP_CANCELS * cost and g > s + worth:
        until = now + half_life
    return [g, s, now, until, float(listed or 0)]


def stopped(book: list[float], now: float) -> bool:
    """Whether the stop holds the listed price at ``now``."""
    return len(book) == BOOK and book[3] > now

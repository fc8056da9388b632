"""``robust``'s cuts under a rival that steps under us again soon: a cut must pay its cancels.

Following a rival down costs gas too, not only following it up (the churn hold, ``_hold``): our
slot's volume is listed as several small orders (the planner tops a slot up with a new order of
a task or two after each sale), and when the wanted price falls under them each of these dearer
orders is cancelled on chain (bot.pricing.planner: left valid it would idle capacity worth more
than a cancel). On train ``undercut_slow`` 1382 (two one-task undercutters, periods 24 and 33
minutes, under a fixed 8.61 M pool) 323 of robust's 352 cancels came at a cut, 2.8 a cut; on
1590 (a one-task undercutter repricing every 6 minutes) 327 of 357. Each such cut wins the
buyers who come before the rival steps under us again, up to the stock the rival holds under
our price (one task), and pays a cancel per dearer order: where a task is worth a couple of
cancels, the follow loses money (1382: about 0.47 RLC gross won by the follows over three days,
0.74 RLC of cancel gas).

So (``cut_gas_factor`` = f > 0), on a market whose rivals' recent reprices are mostly steps
under our price (item 71's share, ``tier_undercut_share``, 0.75: undercutters; a fixed pool that
restocks under us, a walker, or a captive market's rivals are left to main's cut), the
market-led price's cut under our listed price is held at the listed price while what it is
expected to win is under f x the cancels it causes:

- the cancels (:func:`cut_cancels`): our orders in the slot dearer than the cut with at least
  one cancel's worth of remaining capacity at the new price (the planner's own choice);
- the time the cut holds us under the rivals (:func:`step_interval`): the mean interval between
  the rivals' steps under our price (item 71's decayed counts, strategies/robust_stepunder.py),
  at most the horizon the demand is read over; no step counted: the whole horizon;
- what it wins (:func:`cut_gain`): the new price x the tasks the rivals under our listed price
  would sell meanwhile (their stock, at most the buyers a Poisson arrival of the category's
  recent deal rate with our pool brings in that time: :func:`expected_taken`), less the cut x the
  tasks those buyers would take from us meanwhile anyway.

Unscoped (any market), the gate cost the design block's `captive_us` 1021 x 0.76 and `collapse`
1010 x 0.84: there a cut's sales last, as no rival steps back under us. Pure functions over
plain values: robust.py owns the state and calls them. Figures, and what was tried and not
kept: docs/strategies.md, robust item 73.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = [
    "cut_cancels",
    "cut_gain",
    "cut_pays",
    "expected_taken",
    "step_interval",
]


def cut_cancels(
    orders: Iterable[tuple[int, int]], price: int, volume: int, cancel_cost: float
) -> int:
    """How many of our orders (``(price, remaining)``) a cut to ``price`` cancels: those dearer
    than it whose remaining, within the new quote's ``volume``, is worth more than a cancel at
    the new price (the planner cancels those rather than leave them valid and idle)."""
    return sum(
        1
        for o_price, remaining in orders
        if o_price > price and remaining > 0 and min(remaining, volume) * price > cancel_cost
    )


def expected_taken(stock: int, mean: float) -> float:
    """E[min(stock, N)] for N Poisson with ``mean``: the tasks ``stock`` sells to the buyers who
    arrive (``sum_{j < stock} P(N > j)``)."""
    if stock <= 0 or mean <= 0:
        return 0.0
    term = math.exp(-mean)  # P(N = 0)
    cdf = term
    total = 0.0
    for j in range(stock):
        total += 1.0 - cdf
        term *= mean / (j + 1)
        cdf += term
        if cdf >= 1.0:
            break
    return total


def step_interval(kept: list[float], half_life: float, horizon: float) -> float:
    """The mean time between the rivals' steps under our price, from item 71's decayed counts
    (``[reprices, steps under us, when]``; a steady rate r leaves about r x half-life / ln 2),
    at most ``horizon`` (no step counted: ``horizon``)."""
    if not kept or kept[1] <= 0 or half_life <= 0:
        return horizon
    rate = kept[1] * math.log(2.0) / half_life
    return min(horizon, 1.0 / rate)


def cut_gain(
    listed: int,
    price: int,
    under_stock: int,
    rate: float,
    seconds: float,
) -> float:
    """What a cut from ``listed`` to ``price`` wins over ``seconds`` (nRLC): the tasks the rivals
    under our listed price (``under_stock``) would sell to the buyers who come (``rate`` per
    second: our own recent deals in the category, the only buyers' rate we see) at the new
    price, less the cut on the tasks those buyers take from us anyway."""
    won = price * expected_taken(under_stock, rate * seconds)
    return won - (listed - price) * rate * seconds


def cut_pays(gain: float, cancels: int, cancel_cost: float, factor: float) -> bool:
    """A cut is made unless it cancels orders and wins less than ``factor`` x their gas."""
    return cancels <= 0 or gain >= factor * cancels * cancel_cost

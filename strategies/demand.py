"""``demand``: price against the request book and recent deals.

Idea: the best price is the highest one at which the volume we expect to be matched still fills
the free capacity. For a candidate price ``p`` (every visible max price and deal price, and one nRLC under each competitor) the
expected matched volume is::

    D(p) = book_weight x [ addressed(p) + max(0, open(p) - cheaper_competition(p)) ]
         + deal_weight x deals_at_or_above(p) x horizon / lookback

where ``addressed(p)`` is the remaining volume of requests naming our pool with max price >= p,
``open(p)`` the same for requests open to any pool, which cheaper (or as cheap and earlier)
competing orders serve first when ``account_competition`` is on, and the deal term extrapolates
the recent deal flow at or above ``p`` over the next ``horizon_seconds``. The quote is the highest
``p`` with ``D(p) >= fill_target x capacity``; if no price fills it, the price maximising
``p x min(D(p), capacity)``; with no demand at all, ``default_price``. With
``objective = "revenue"`` it always takes the price maximising ``p x min(D(p), capacity)``
(it may then leave capacity idle on purpose). Prices are kept within
``[min_price, max_price]``.

Parameters: ``horizon_seconds``, ``lookback_seconds``, ``book_weight``, ``deal_weight``,
``fill_target``, ``objective``, ``account_competition``, ``default_price``, ``min_price``, ``max_price``,
``empty_book``.

When no request is open at all (requesters are matched the moment they post, as in a price war)
the book says nothing, and the deals in the snapshot are only our own, at our own price: D(p)
would just echo our last price. With ``empty_book = "undercut"`` the quote is then one nRLC under
the cheapest paid competitor, the highest price at which a requester matching at once picks us;
``"deals"`` keeps the deal-only estimate.

When to use it: when requesters post real max prices (the request book is not all zeros) or the
pool has a deal history; it reacts to demand directly rather than to competitors.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import InputError
from bot.domain.model import ZERO_ADDRESS
from bot.pricing.ledger import offer_capacity
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies.base import MAX_PRICE, Decision, Strategy, param, quote_for

__all__ = ["DemandParams", "DemandStrategy", "expected_volume"]


@dataclass(frozen=True, slots=True)
class DemandParams:
    horizon_seconds: float = param(1800.0, min=1.0, max=7 * 86400.0, doc="deal flow horizon")
    lookback_seconds: float = param(6 * 3600.0, min=60.0, max=30 * 86400.0, doc="deal window")
    book_weight: float = param(1.0, min=0.0, max=10.0, doc="weight of the open request book")
    deal_weight: float = param(1.0, min=0.0, max=10.0, doc="weight of recent deal flow")
    fill_target: float = param(1.0, min=0.05, max=1.0, doc="share of capacity to fill")
    objective: str = param(
        "fill", choices=("fill", "revenue"), doc="fill capacity, or max price x volume"
    )
    account_competition: bool = param(True, doc="cheaper competitors serve open requests first")
    default_price: int = param(
        10_000_000, min=0, max=MAX_PRICE, doc="price with no demand", unit="nRLC"
    )
    min_price: int = param(0, min=0, max=MAX_PRICE, doc="lowest candidate price", unit="nRLC")
    max_price: int = param(10**10, min=0, max=MAX_PRICE, doc="highest candidate price", unit="nRLC")
    empty_book: str = param(
        "undercut",
        choices=("undercut", "deals"),
        doc="no open request seen: 1 nRLC under the cheapest paid competitor, or deals only",
    )

    def __post_init__(self) -> None:
        if self.min_price > self.max_price:
            raise InputError("strategy.params.min_price", "must be <= max_price", self.min_price)


class _Tally:
    """Volume at or above (or at or below) a price, by bisection over sorted prices."""

    __slots__ = ("cumulative", "prices")

    def __init__(self, pairs: Sequence[tuple[int, int]]) -> None:
        ordered = sorted(pairs)
        self.prices = [price for price, _ in ordered]
        self.cumulative = [0]
        for _, volume in ordered:
            self.cumulative.append(self.cumulative[-1] + volume)

    def at_or_above(self, price: int) -> int:
        return self.cumulative[-1] - self.cumulative[bisect_left(self.prices, price)]

    def at_or_below(self, price: int) -> int:
        return self.cumulative[bisect_right(self.prices, price)]


def expected_volume(
    price: int,
    addressed: Sequence[tuple[int, int]],
    open_: Sequence[tuple[int, int]],
    competition: Sequence[tuple[int, int]],
    deals: Sequence[tuple[int, int]],
    p: DemandParams,
) -> float:
    """D(price) from (price, volume) pairs; see the module docstring."""
    return _Demand(addressed, open_, competition, deals, p).at(price)


class _Demand:
    """D(p) for many candidate prices: each evaluation is a few bisections."""

    def __init__(
        self,
        addressed: Sequence[tuple[int, int]],
        open_: Sequence[tuple[int, int]],
        competition: Sequence[tuple[int, int]],
        deals: Sequence[tuple[int, int]],
        p: DemandParams,
    ) -> None:
        self.mine = _Tally(addressed)
        self.anyone = _Tally(open_)
        self.rivals = _Tally(competition)
        self.deals = _Tally(deals)
        self.p = p
        self.flow_scale = p.horizon_seconds / p.lookback_seconds

    def at(self, price: int) -> float:
        p = self.p
        anyone = self.anyone.at_or_above(price)
        if p.account_competition:
            anyone = max(0, anyone - self.rivals.at_or_below(price))
        flow = self.deals.at_or_above(price) * self.flow_scale
        return p.book_weight * (self.mine.at_or_above(price) + anyone) + p.deal_weight * flow


class DemandStrategy(Strategy[DemandParams]):
    name = "demand"
    Params = DemandParams

    def decide(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        state: dict[str, Any],
        rng: random.Random,
    ) -> Decision:
        p = self.params
        since = snapshot.at - p.lookback_seconds
        quotes = []
        for offer in offers:
            capacity = offer_capacity(snapshot.utilization, offer, snapshot.tasks)
            requests = snapshot.demand_for(offer)
            addressed = [
                (r.workerpoolmaxprice, r.remaining)
                for r in requests
                if r.workerpool != ZERO_ADDRESS
            ]
            open_ = [
                (r.workerpoolmaxprice, r.remaining)
                for r in requests
                if r.workerpool == ZERO_ADDRESS
            ]
            competition = [
                (e.price, e.remaining)
                for e in snapshot.competitors_for(offer)
                if not e.is_restricted
            ]
            deals = [
                (d.price, d.volume)
                for d in snapshot.deals
                if d.category == offer.category and since < d.at <= snapshot.at
            ]
            paid = [cp for cp, _ in competition if cp > 0]
            if p.empty_book == "undercut" and not requests and paid:
                price = min(max(min(paid) - 1, p.min_price), p.max_price)
                why = (
                    f"request book empty (requests matched at once): 1 nRLC under the cheapest "
                    f"paid competitor {min(paid)}"
                )
                quotes.append(quote_for(offer, price, capacity, f"{why}; volume {capacity}"))
                continue
            candidates = sorted(
                {
                    min(max(x, p.min_price), p.max_price)
                    for x in [mp for mp, _ in addressed + open_]
                    + [dp for dp, _ in deals]
                    + [cp - 1 for cp, _ in competition if cp > 0]
                },
                reverse=True,
            )
            need = p.fill_target * capacity
            best: tuple[float, int, float] | None = None
            chosen: tuple[int, float] | None = None
            demand = _Demand(addressed, open_, competition, deals, p)
            for c in candidates:
                d = demand.at(c)
                if p.objective == "fill" and capacity > 0 and d >= need:
                    chosen = (c, d)
                    break
                revenue = c * min(d, capacity)
                if best is None or revenue > best[0]:
                    best = (revenue, c, d)
            if chosen is not None:
                price, d = chosen
                why = f"highest price filling {need:.1f} of capacity {capacity}: D={d:.1f}"
            elif best is not None and best[0] > 0:
                price, d = best[1], best[2]
                why = (
                    f"best expected revenue at D={d:.1f} (capacity {capacity})"
                    if p.objective == "revenue"
                    else f"no price fills capacity {capacity}; best revenue at D={d:.1f}"
                )
            else:
                price = p.default_price
                why = "no demand seen: default price"
            quotes.append(quote_for(offer, price, capacity, f"{why}; volume {capacity}"))
        return Decision(tuple(quotes), state)

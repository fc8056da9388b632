"""``competitive``: position against the compatible competing orders.

Idea: requesters that do not name a pool take the cheapest compatible order (earliest first at
equal price), so being cheapest wins them. ``mode = "undercut"`` lists at the cheapest competitor
minus a step; ``mode = "kth"`` sits at the k-th cheapest competing price (``k = 1``: equal to the
cheapest, behind it in the queue) - a gentler stance that avoids price wars. Never below
``floor``. Competitors are those a requester with our tag sees (bot.pricing.snapshot); restricted orders
(they serve only their named app/dataset/requester), free orders (price 0, for free-only
requesters who never pay) and outliers far below the median are ignored. With no competitor the
quote is ``default_price``.

Parameters: ``mode``, ``step`` (nRLC), ``step_ratio`` (relative step; the larger one wins), ``k``,
``floor``, ``default_price``, ``outlier_ratio`` (ignore prices below this share of the median),
``ignore_restricted``, ``ignore_free``, ``min_remaining``. Its raise gate factor
(``raise_gain_factor``, bot.pricing.rails) is 0: off, since following the cheapest rival up at
once is the point; set ``rails.raise_gain_factor`` to hold small raises.

When to use it: a contested category where requesters shop on price (``iexec app run`` without a
pool). Mind the floor: two undercutting bots race each other down to it.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.model import BookEntry
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies.base import MAX_PRICE, param
from strategies.per_offer import NoState, OfferPrice, PerOfferStrategy

__all__ = ["CompetitiveParams", "CompetitiveStrategy", "relevant_competitors"]


@dataclass(frozen=True, slots=True)
class CompetitiveParams:
    mode: str = param("undercut", choices=("undercut", "kth"), doc="undercut or sit at k-th")
    step: int = param(100_000, min=0, max=MAX_PRICE, doc="undercut step in nRLC", unit="nRLC")
    step_ratio: float = param(0.0, min=0.0, max=0.5, doc="undercut step relative to the price")
    k: int = param(1, min=1, max=50, doc="kth mode: sit at the k-th cheapest price")
    floor: int = param(1_000_000, min=0, max=MAX_PRICE, doc="never quote below (nRLC)", unit="nRLC")
    default_price: int = param(
        50_000_000, min=0, max=MAX_PRICE, doc="price with no competitor", unit="nRLC"
    )
    outlier_ratio: float = param(0.2, min=0.0, max=1.0, doc="ignore prices < ratio x median")
    ignore_restricted: bool = param(True, doc="ignore app/dataset/requester-restricted orders")
    ignore_free: bool = param(True, doc="ignore price-0 orders (free-only demand)")
    min_remaining: int = param(1, min=1, max=10_000, doc="ignore orders with less remaining")


def relevant_competitors(
    book: Sequence[BookEntry], p: CompetitiveParams
) -> tuple[list[BookEntry], int]:
    """Competitors worth positioning against (cheapest first), and how many were ignored."""
    kept = [
        e
        for e in book
        if not (p.ignore_restricted and e.is_restricted)
        and not (p.ignore_free and e.price == 0)
        and e.remaining >= p.min_remaining
    ]
    if kept and p.outlier_ratio > 0:
        median = statistics.median(e.price for e in kept)
        kept = [e for e in kept if e.price >= p.outlier_ratio * median]
    return kept, len(book) - len(kept)


class CompetitiveStrategy(PerOfferStrategy[CompetitiveParams, NoState]):
    name = "competitive"
    Params = CompetitiveParams
    raise_gain_factor = 0.0

    def price(
        self, offer: Offer, snapshot: MarketSnapshot, state: NoState, rng: random.Random
    ) -> OfferPrice:
        p = self.params
        rivals, ignored = relevant_competitors(snapshot.competitors_for(offer), p)
        skipped = f" ({ignored} ignored)" if ignored else ""
        if not rivals:
            price = p.default_price
            why = f"no competitor{skipped}: default price {price}"
        elif p.mode == "undercut":
            cheapest = rivals[0]
            step = max(p.step, math.ceil(cheapest.price * p.step_ratio))
            price = cheapest.price - step
            why = f"undercut cheapest {cheapest.price} ({cheapest.workerpool[:10]}) by {step}"
            why += skipped
        else:
            index = min(p.k, len(rivals)) - 1
            price = rivals[index].price
            why = f"sit at #{index + 1} cheapest competing price {price}{skipped}"
        if price < p.floor:
            why += f"; raised to floor {p.floor}"
            price = p.floor
        return OfferPrice(price, why)

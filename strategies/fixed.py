"""``fixed``: a fixed price and volume per category - the baseline.

Idea: what the official iexec-order-publisher container does today: list every offer at a price
set by hand. Parameters: ``price`` (nRLC, for every category not in ``prices``), ``prices``
(a per-category table, e.g. ``{0 = 10000000, 1 = 40000000}``), ``volume`` / ``volumes`` (volume per
category; 0 means "what the free capacity allows", and a configured volume is still capped by
it). When to use it: as the benchmark every other strategy must beat in a backtest, or when the
owner already knows the price the pool's captive requesters accept.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.pricing.snapshot import STANDARD_TIME_REFS, MarketSnapshot, Offer
from strategies.base import MAX_PRICE, param, table
from strategies.per_offer import NoState, OfferPrice, PerOfferStrategy

__all__ = ["FixedParams", "FixedStrategy"]


@dataclass(frozen=True, slots=True)
class FixedParams:
    price: int = param(
        10_000_000, min=0, max=MAX_PRICE, doc="nRLC per task when not in prices", unit="nRLC"
    )
    prices: dict[int, int] = table(  # noqa: RUF009
        min=0, max=MAX_PRICE, doc="nRLC per task, by category id", unit="nRLC"
    )
    volume: int = param(0, min=0, max=10_000, doc="volume per offer; 0 = free capacity")
    volumes: dict[int, int] = table(min=0, max=10_000, doc="volume by category id; 0 = capacity")  # noqa: RUF009


class FixedStrategy(PerOfferStrategy[FixedParams, NoState]):
    name = "fixed"
    Params = FixedParams
    # The owner's price is an instruction, not a guess: a new price is listed at once, its
    # cancels paid (rails.raise_gain_factor still overrides).
    raise_gain_factor = 0.0

    @staticmethod
    def prices_by_category(params: FixedParams) -> dict[int, int]:
        """The price of every standard category and every category in the table."""
        cats = sorted(set(STANDARD_TIME_REFS) | set(params.prices))
        return {c: params.prices.get(c, params.price) for c in cats}

    def price(
        self, offer: Offer, snapshot: MarketSnapshot, state: NoState, rng: random.Random
    ) -> OfferPrice:
        p = self.params
        price = p.prices.get(offer.category, p.price)
        wanted = p.volumes.get(offer.category, p.volume)
        return OfferPrice(
            price, f"fixed price {price} for category {offer.category}", wanted or None
        )

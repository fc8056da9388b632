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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.pricing.ledger import offer_capacity
from bot.pricing.snapshot import STANDARD_TIME_REFS, MarketSnapshot, Offer
from strategies.base import MAX_PRICE, Decision, Strategy, param, quote_for, table

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


class FixedStrategy(Strategy[FixedParams]):
    name = "fixed"
    Params = FixedParams

    @staticmethod
    def prices_by_category(params: FixedParams) -> dict[int, int]:
        """The price of every standard category and every category in the table."""
        cats = sorted(set(STANDARD_TIME_REFS) | set(params.prices))
        return {c: params.prices.get(c, params.price) for c in cats}

    def decide(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        state: dict[str, Any],
        rng: random.Random,
    ) -> Decision:
        p = self.params
        quotes = []
        for offer in offers:
            price = p.prices.get(offer.category, p.price)
            capacity = offer_capacity(snapshot.utilization, offer, snapshot.tasks)
            wanted = p.volumes.get(offer.category, p.volume)
            volume = capacity if wanted == 0 else min(wanted, capacity)
            quotes.append(
                quote_for(
                    offer,
                    price,
                    volume,
                    f"fixed price {price} for category {offer.category}; volume {volume} "
                    f"(capacity {capacity})",
                )
            )
        return Decision(tuple(quotes), state)

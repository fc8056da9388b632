"""A third-party-style strategy, loaded through a (fake) entry point in the tests."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies.base import Decision, Strategy, param, quote_for


@dataclass(frozen=True, slots=True)
class EchoParams:
    price: int = param(7, min=0, max=100, doc="price")


class EchoStrategy(Strategy[EchoParams]):
    name = "echo"
    Params = EchoParams

    def decide(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        state: dict[str, Any],
        rng: random.Random,
    ) -> Decision:
        n = int(state.get("n", 0)) + 1
        return Decision(tuple(quote_for(o, self.params.price, 1, "echo") for o in offers), {"n": n})


class NotAStrategy:
    pass

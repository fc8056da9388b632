"""The per-offer strategy API: one hook that prices one offer, the rest done once for everyone.

Every built-in used to repeat the same loop: for each configured offer, ask the ledger what the
pool can still sell, pick a price, build the quote with a reason. A pool owner writing a plug-in
should write only the part that is theirs, the price::

    class Mine(PerOfferStrategy[MineParams, NoState]):
        name = "mine"
        Params = MineParams

        def price(self, offer, snapshot, state, rng):
            best = snapshot.best_competitor_price(offer)  # or anything the snapshot shows
            return OfferPrice(best - 1, "one nRLC under the best competitor")

The base class turns the answers into quotes: the volume defaults to what the ledger says the pool
can still deliver for that offer before the deadlines (bot.pricing.ledger.offer_capacity), and an
explicit volume is capped by it; ``None`` lists nothing for that offer.

State is typed too: a frozen dataclass (``StateType``) the base class hands to :meth:`prepare` once per
decision, and stores as plain JSON between decisions (the journal persists it). JSON turns dict
keys into strings and tuples into lists; pydantic's validation turns them back into what the
dataclass declares, so a strategy never parses its own memory. The rails still clamp everything
afterwards (floor, ceiling, step, stake, admission).
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from pydantic import TypeAdapter

from bot.pricing.ledger import offer_capacity
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies.base import Decision, State, Strategy, quote_for

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["NoState", "OfferPrice", "PerOfferStrategy"]

P = TypeVar("P", covariant=True)
S = TypeVar("S", bound="DataclassInstance")


@dataclass(frozen=True, slots=True)
class NoState:
    """The state of a strategy that remembers nothing."""


@dataclass(frozen=True, slots=True)
class OfferPrice:
    """One offer's answer: a price (nRLC per task), why, and optionally a volume.

    ``volume=None`` means "what the pool can still deliver" (the ledger's capacity for the offer);
    a number is capped by that capacity.
    """

    price: int
    reason: str
    volume: int | None = None


@cache
def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


class PerOfferStrategy(Strategy[P], Generic[P, S]):
    """A strategy written as one :meth:`price` per offer (module doc)."""

    StateType: ClassVar[type[DataclassInstance]] = NoState
    """The frozen dataclass this strategy remembers between decisions (JSON-serialisable fields)."""

    def initial_state(self) -> State:
        return self.encode_state(cast(S, self.StateType()))

    @classmethod
    def decode_state(cls, raw: State) -> S:
        """The typed state from its stored JSON (fields missing from an older journal: defaults)."""
        return cast(S, _adapter(cls.StateType).validate_python(raw))

    @classmethod
    def encode_state(cls, state: S) -> State:
        return cast(State, _adapter(cls.StateType).dump_python(state, mode="json"))

    def prepare(self, snapshot: MarketSnapshot, offers: Sequence[Offer], state: S) -> S:
        """Once per decision, before any offer is priced: learn from the snapshot (default: no-op)."""
        return state

    @abstractmethod
    def price(
        self, offer: Offer, snapshot: MarketSnapshot, state: S, rng: random.Random
    ) -> OfferPrice | None:
        """This offer's price and reason, or None to list nothing for it."""

    def decide(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        state: State,
        rng: random.Random,
    ) -> Decision:
        typed = self.prepare(snapshot, offers, self.decode_state(state))
        quotes = []
        for offer in offers:
            answer = self.price(offer, snapshot, typed, rng)
            if answer is None:
                continue
            capacity = offer_capacity(snapshot.utilization, offer, snapshot.tasks)
            volume = capacity if answer.volume is None else min(answer.volume, capacity)
            reason = f"{answer.reason}; volume {volume} (capacity {capacity})"
            quotes.append(quote_for(offer, answer.price, volume, reason))
        return Decision(tuple(quotes), self.encode_state(typed))

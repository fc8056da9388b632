"""The per-offer API: the base class supplies the loop, the capacity and the state's storage."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

import pytest

from bot.pricing.ledger import offer_capacity
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies import EmptyParams, NoState, OfferPrice, PerOfferStrategy, run_fenced
from strategies.fixed import FixedParams, FixedStrategy
from tests.support.factories import offer, snap, util


@dataclass(frozen=True, slots=True)
class Memory:
    ticks: int = 0
    last_price: dict[int, int] = field(default_factory=dict)


class Counting(PerOfferStrategy[EmptyParams, Memory]):
    """Prices category c at 1000 + c + ticks seen; lists nothing for category 2."""

    name = "counting"
    StateType = Memory

    def prepare(self, snapshot: MarketSnapshot, offers: object, state: Memory) -> Memory:
        return Memory(
            state.ticks + 1, {o.category: 1000 + o.category + state.ticks for o in offers}
        )  # type: ignore[attr-defined]

    def price(
        self, offer: Offer, snapshot: MarketSnapshot, state: Memory, rng: random.Random
    ) -> OfferPrice | None:
        if offer.category == 2:
            return None
        return OfferPrice(
            state.last_price[offer.category], "counted", volume=3 if offer.category == 1 else None
        )


def test_volume_defaults_to_the_ledger_capacity_and_an_explicit_one_is_capped() -> None:
    offers = [offer(0), offer(1), offer(2)]
    s = snap(offers=offers, utilization=util(registered=2))
    d = Counting().decide(s, offers, Counting().initial_state(), random.Random(1))
    by_cat = {q.category: q for q in d.quotes}
    assert set(by_cat) == {0, 1}  # None lists nothing
    assert by_cat[0].volume == offer_capacity(s.utilization, offers[0], s.tasks) > 0
    assert by_cat[1].volume == min(3, offer_capacity(s.utilization, offers[1], s.tasks))
    assert by_cat[0].price == 1000 and by_cat[1].price == 1001
    assert by_cat[0].reason.startswith("counted; volume ")


def test_typed_state_survives_the_journal_json_round_trip() -> None:
    offers = [offer(0), offer(3)]
    s = snap(offers=offers)
    strategy = Counting()
    state = strategy.initial_state()
    for _ in range(3):
        state = json.loads(json.dumps(strategy.decide(s, offers, state, random.Random(1)).state))
    assert state == {"ticks": 3, "last_price": {"0": 1002, "3": 1005}}
    typed = Counting.decode_state(state)
    assert typed == Memory(3, {0: 1002, 3: 1005})  # int keys back, not strings


def test_a_state_that_does_not_fit_is_fenced_not_crashing_the_cycle() -> None:
    offers = [offer(0)]
    d = run_fenced(
        Counting(),
        snap(offers=offers),
        offers,
        {"ticks": "many"},
        random.Random(1),
        on_error="abstain",
    )
    assert d.abstain


@pytest.mark.parametrize("volume", [0, 2, 10_000])
def test_fixed_on_the_per_offer_api_keeps_its_quotes(volume: int) -> None:
    offers = [offer(0), offer(1)]
    s = snap(offers=offers, utilization=util(registered=3))
    params = FixedParams(price=7, prices={1: 9}, volume=volume)
    d = FixedStrategy(params).decide(s, offers, {}, random.Random(1))
    for q, o in zip(d.quotes, offers, strict=True):
        cap = offer_capacity(s.utilization, o, s.tasks)
        assert q.price == (9 if o.category == 1 else 7)
        assert q.volume == (cap if volume == 0 else min(volume, cap))
        assert (
            q.reason
            == f"fixed price {q.price} for category {o.category}; volume {q.volume} (capacity {cap})"
        )
    assert d.state == {} and FixedStrategy().initial_state() == {}
    assert isinstance(FixedStrategy.decode_state({}), NoState)

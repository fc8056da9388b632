"""The raise gate is a rail: a plug-in that never calls it still has its raises held, through the
whole tick (real rails, planner, executor on the fake world), with the factor it declares or
the owner's ``rails.raise_gain_factor``."""

from __future__ import annotations

import dataclasses
import random

import pytest

from bot.adapters.journal import MemoryJournal
from bot.engine.cycle import Cycle, CycleSettings
from bot.pricing.rails import RailsConfig
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies import EmptyParams, NoState, OfferPrice, PerOfferStrategy
from tests.support.fakes import POOL, FakeSigner, FakeWorld, fake_ports, rival_order

OFFER = Offer(category=0, task_seconds=300, max_volume=10)
# A raise from 99,000 to 119,000 nRLC on the 10 tasks left gains 200,000 nRLC: less than one
# cancel's gas here.
RAILS = RailsConfig(floor=1_000, ceiling=10**9, max_step=0.5, cancel_gas_cost=1_000_000)


class Under(PerOfferStrategy[EmptyParams, NoState]):
    """A plug-in as an owner writes it: 1,000 nRLC under the cheapest rival, no gate code."""

    name = "under"
    Params = EmptyParams

    def price(
        self, offer: Offer, snapshot: MarketSnapshot, state: NoState, rng: random.Random
    ) -> OfferPrice:
        cheapest = min(r.price for r in snapshot.competitors_for(offer))
        return OfferPrice(cheapest - 1_000, "under the cheapest")


class Eager(Under):
    raise_gain_factor = 0.0


@pytest.mark.parametrize(
    ("strategy", "rails", "price"),
    [
        (Under(), RAILS, 99_000),  # the default factor 1: held at the listed price
        (Eager(), RAILS, 119_000),  # the strategy turned the gate off
        (Under(), dataclasses.replace(RAILS, raise_gain_factor=0), 119_000),  # the owner did
        (Eager(), dataclasses.replace(RAILS, raise_gain_factor=1), 99_000),  # the owner's wins
    ],
)
def test_a_plugin_gets_the_raise_gate(strategy: Under, rails: RailsConfig, price: int) -> None:
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    ports = fake_ports(world, MemoryJournal(keep_records=True), FakeSigner())
    settings = CycleSettings(workerpool=POOL, offers=(OFFER,), rails=rails, live=True)
    cycle = Cycle(ports, settings, strategy, rng=random.Random(1))
    cycle.tick()
    world.book["r"] = rival_order(120_000)
    world.clock.t += 60
    result = cycle.tick()
    (listed,) = world.listed.values()
    assert listed.order.workerpoolprice == price
    assert result.rails is not None
    held = [n.detail for n in result.rails.notes if n.rule == "raise-gate"]
    assert held == (
        ["raise to 119000 held at 99000: gain 200000 nRLC < 1 x cancel gas 1000000 x 1"]
        if price == 99_000
        else []
    )

"""Two offers that differ only in trust are two slots: each keeps its own capacity.

The config allows them (same category and tag, trust 0 and 1, different task times); keying
capacity by (category, tag) folds them into one entry, and whichever offer comes last decides the
capacity the executor and reconcile check against. Here the trust-1 offer's tasks take a whole
contribution window (one task per slot: 8 tasks on 8 slots) while the trust-0 offer's take a
seventh of it (56 tasks): folded, a trust-1 order is checked against 56.
"""

from __future__ import annotations

import random

from bot.adapters.journal import MemoryJournal
from bot.domain.errors import RejectedError
from bot.domain.model import PoolUtilization, SignedWorkerpoolOrder, WorkerpoolOrder
from bot.domain.signing import sign_order
from bot.engine.cycle import Cycle, CyclePorts, CycleSettings
from bot.engine.reconcile import run_reconcile
from bot.pricing.rails import RailsConfig
from bot.pricing.snapshot import Offer
from strategies import create
from tests.support.fakes import NETWORK, OWNER_KEY, POOL, ChainView, FakeSigner, FakeWorld

# 8 CPU slots; category 0's contribution window is 7 x 300 s = 2100 s.
SLOW = Offer(category=0, task_seconds=2100, max_volume=10, trust=1)  # window: 8 tasks
FAST = Offer(category=0, task_seconds=300, max_volume=0, trust=0)  # window: 56 tasks (unsold)
RAILS = RailsConfig(floor=1_000, ceiling=10**9, max_step=0.5, stale_after_seconds=600)


def make_cycle(world: FakeWorld, price: int) -> Cycle:
    ports = CyclePorts(
        clock=world.clock,
        market=world,
        writer=world,
        chain=ChainView(world),
        signer=FakeSigner(),
        metrics=world,
        journal=MemoryJournal(keep_records=True),
    )
    settings = CycleSettings(
        workerpool=POOL,
        offers=(SLOW, FAST),  # the fast one last: folded, its window is the one kept
        rails=RAILS,
        live=True,
    )
    return Cycle(ports, settings, create("fixed", {"price": price}), rng=random.Random(1))


def slow_order(price: int, volume: int, salt: int) -> SignedWorkerpoolOrder:
    order = WorkerpoolOrder(
        workerpool=POOL,
        workerpoolprice=price,
        volume=volume,
        tag="0x" + "0" * 64,
        category=0,
        trust=1,
        salt="0x" + format(salt, "064x"),
    )
    return sign_order(NETWORK, order, OWNER_KEY)


def test_the_executor_checks_the_trust_1_slot_against_its_own_capacity():
    world = FakeWorld(util=PoolUtilization(registered_cpu=8, computing_cpu=0))
    cycle = make_cycle(world, 2000)
    first = cycle.tick()
    assert [(s.kind, s.outcome, s.volume) for s in first.report.steps] == [("publish", "ok", 8)]
    (old,) = world.listed.values()
    assert old.order.trust == 1

    # The price goes up: the old (cheaper) order must be closed before the new one is listed.
    # The close fails, so the old 8 tasks stay valid: 8 more would need 16 of 8 slots.
    cycle.strategy = create("fixed", {"price": 3000})
    world.cancel_failures.append(RejectedError("revert", None))
    world.clock.t += 60
    second = cycle.tick()
    steps = [(s.kind, s.outcome) for s in second.report.steps]
    assert steps == [("unpublish", "ok"), ("cancel", "failed"), ("publish", "skipped")]
    assert "cap" in second.report.steps[2].detail
    assert world.listed == {}


def test_reconcile_checks_the_trust_1_slot_against_its_own_capacity():
    world = FakeWorld(util=PoolUtilization(registered_cpu=8, computing_cpu=0))
    cycle = make_cycle(world, 2000)
    listed = slow_order(2000, 8, salt=1)  # on the market: the whole window of the slot
    unlisted = slow_order(3000, 8, salt=2)  # valid on chain, not listed, dearer: over the cap
    world.listed[listed.order_hash] = listed
    cycle.state.sampler.track(listed)
    cycle.state.sampler.track(unlisted)
    report = run_reconcile(cycle.ports, cycle.settings, cycle.state, cycle.executor)
    assert [(s.kind, getattr(s, "order_hash", None)) for s in report.steps] == [
        ("cancel", unlisted.order_hash)
    ]
    assert "capacity" in report.steps[0].reason
    assert world.consumed[unlisted.order_hash] == 8

"""The ledger: capacity (window, load) and stake, which orders count, and the fit checks."""

from __future__ import annotations

import math

import pytest

from bot.domain.model import PoolUtilization, Quote, Slot
from bot.pricing.ledger import (
    Ledger,
    Tally,
    allocate,
    free_slots,
    load,
    offer_capacity,
    required_stake,
    starts_per_slot,
    window_capacity,
)
from bot.pricing.rails import RailsConfig
from tests.support.factories import offer, own, snap, util

GPU = 1 << 8


@pytest.mark.parametrize(
    ("registered", "computing", "backlog", "category", "task_seconds", "expected"),
    [
        # XS window = 7 x 300 s = 2100 s; 300 s tasks -> 7 per slot
        (10, 0, 0, 0, 300, 70),
        (10, 4, 2, 0, 300, 64),  # busy slots give up one start each
        (1, 1, 0, 0, 300, 6),  # a sale shrinks capacity by one, like our remaining volume
        (2, 0, 0, 0, 2100, 2),  # exactly one task fits the window
        (2, 0, 0, 0, 2101, 0),  # a task longer than the window can never be contributed
        (10, 10, 5, 0, 300, 55),
        (3, 3, 30, 0, 300, 0),  # backlog larger than the window can absorb
        (4, 0, 0, 2, 3600, 28),  # M: 7 h window, 1 h tasks
    ],
)
def test_window_capacity(
    registered: int,
    computing: int,
    backlog: int,
    category: int,
    task_seconds: float,
    expected: int,
) -> None:
    o = offer(category=category, task_seconds=task_seconds)
    assert window_capacity(util(registered, computing, backlog), o) == expected


def test_offer_capacity_is_capped_by_max_volume_and_zero_when_unknown() -> None:
    o = offer(max_volume=5)
    assert offer_capacity(util(10), o) == 5
    assert offer_capacity(None, o) == 0
    assert free_slots(None) == 0


def test_gpu_offers_use_gpu_slots() -> None:
    u = PoolUtilization(registered_cpu=16, computing_cpu=0, registered_gpu=2, computing_gpu=1)
    o = offer(tag=GPU, task_seconds=700)  # 3 per slot in the XS window
    assert starts_per_slot(o) == 3
    assert window_capacity(u, o) == 2 * 3 - 1
    assert free_slots(u, gpu=True) == 1
    assert free_slots(u) == 16


def test_one_rule_for_a_resources_slots_and_busy_tasks_the_backlog_counts_for_both() -> None:
    u = PoolUtilization(
        registered_cpu=16, computing_cpu=4, registered_gpu=2, computing_gpu=1, backlog=1
    )
    assert u.slots_and_busy() == (16, 5)
    assert u.slots_and_busy(gpu=True) == (2, 2)
    o = offer(tag=GPU, task_seconds=700)
    assert window_capacity(u, o) == 2 * 3 - 2
    assert free_slots(u, gpu=True) == 0
    assert free_slots(u) == u.free_slots == u.free() == 11
    assert u.free(gpu=True) == 0
    assert u.ratio == 5 / 16


def test_load() -> None:
    assert load(0, 0) == 0
    assert load(5, 10) == 0.5
    assert load(1, 0) == float("inf")


@pytest.mark.parametrize(
    ("price", "remaining", "expected"),
    [(1000, 10, 3000), (7, 3, 6), (3, 5, 0), (1_000_003, 2, 600_000), (0, 9, 0)],
)
def test_required_stake_is_floored_per_task(price: int, remaining: int, expected: int) -> None:
    assert required_stake(price, remaining) == expected


def test_offers_a_trust_apart_are_two_slots_with_their_own_window() -> None:
    slow = offer(trust=1, task_seconds=2100)  # 1 task per slot per window
    fast = offer(trust=0, task_seconds=300)  # 7
    ledger = Ledger.build(utilization=util(8), offers=[slow, fast], free_stake=None)
    assert slow.slot != fast.slot
    assert ledger.window(slow.slot) == 8 and ledger.window(fast.slot) == 56
    assert ledger.load(slow.slot, 8) == 1.0
    assert ledger.load(fast.slot, 8) == pytest.approx(8 / 56)
    order = own("a", 100, 8, trust=1)
    assert order.slot == slow.slot
    assert Quote(category=0, price=1, volume=1, trust=1).slot == slow.slot


def test_a_slot_no_offer_sells_is_charged_seven_tasks_per_slot() -> None:
    ledger = Ledger.build(utilization=util(2), offers=[], free_stake=None)
    assert ledger.window(Slot(0, 0, 0)) == 14
    assert ledger.window(Slot(9, 0, 0)) is None  # no standard workClockTimeRef
    assert ledger.load(Slot(9, 0, 0), 1) == math.inf


@pytest.mark.parametrize(
    ("published", "pragmatic", "price", "wanted", "counts"),
    [
        (True, True, 900, 100, True),  # listed: always
        (False, False, 900, 100, True),  # strict mode: every valid order
        (False, True, 900, 100, False),  # pragmatic: dearer and unlisted does not count
        (False, True, 100, 900, True),  # cheaper always counts
        (False, True, 100, 100, True),
    ],
)
def test_which_orders_count(
    published: bool, pragmatic: bool, price: int, wanted: int, counts: bool
) -> None:
    rules = RailsConfig(count_dearer_unpublished=not pragmatic)
    o = own("a", price, 5, published=published)
    ledger = Ledger.of(snap(own_orders=[o]), [offer()], rules)
    account = ledger.wanting(by_slot([Quote(category=0, price=wanted, volume=1)]))
    assert account.counts(o) is counts
    # unquoted slot: judged against the cheapest quote with volume in its category
    other = account.wanting(by_slot([Quote(category=0, price=wanted, volume=1, tag=1)]))
    assert other.counts(o) is counts
    # nothing wanted in its category: it counts
    assert account.wanting({}).counts(o)
    assert account.counts(o, listed=True)


def test_tally_and_fits() -> None:
    xs = offer(task_seconds=300)
    orders = [own("a", 1000, 14), own("b", 2000, 7, published=False)]
    s = snap(own_orders=orders, utilization=util(3), free_stake=10**6)
    ledger = Ledger.of(s, [xs], RailsConfig(max_volume=30))
    t = ledger.tally(orders)
    assert t == Tally(1.0, 21, 300 * 14 + 600 * 7)
    assert ledger.fits(t)
    assert not ledger.fits(t.plus(ledger.claim(xs.slot, 1, 1)))  # load over 1
    assert not ledger.volume_fits(Tally(0.0, 31, 0))
    assert not ledger.stake_fits(Tally(0.0, 0, 10**6 + 1))


def test_unknown_limits_do_not_block() -> None:
    ledger = Ledger.build(utilization=None, offers=[offer()], free_stake=None)
    assert ledger.window(offer().slot) == 0  # nothing to sell blind
    assert ledger.fits(Tally(math.inf, 10**9, 10**18))


def test_violation_names_the_limit() -> None:
    xs = offer(task_seconds=2100)  # window = slots
    held = [own("a", 1000, 8, published=False)]
    ledger = Ledger.build(utilization=util(10), offers=[xs], free_stake=10**9)
    assert ledger.violation(held, Quote(category=0, price=1000, volume=2)) is None
    cap = ledger.violation(held, Quote(category=0, price=1000, volume=3))
    assert cap is not None and cap.startswith("cap:")
    poor = Ledger.build(utilization=util(10), offers=[xs], free_stake=2699)
    stake = poor.violation(held, Quote(category=0, price=1000, volume=1))
    assert stake is not None and stake.startswith("stake:")


def test_allocate_serves_existing_volume_first() -> None:
    assert allocate([10, 10], [0, 0], [1.0, 1.0], 20) == [10, 10]
    assert allocate([10, 10], [8, 0], [1.0, 1.0], 12) == [8, 3]  # extra scaled by 4/12
    assert allocate([10, 10], [8, 8], [1.0, 1.0], 8) == [4, 4]


def by_slot(quotes: list[Quote]) -> dict[Slot, Quote]:
    return {q.slot: q for q in quotes}

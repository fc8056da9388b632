"""Fills (issue #15): which waiting requests we fill, at what price, and how much the rails allow.

Tables of rules (request in, candidate or reason out), the price policy, and properties: whatever
the pool, the stake, our orders and the requests, the fills the rails return never exceed the
ledger's window, the free stake, the request's cap, what is left of the four orders, or the
deadline test, and the quotes share only what the fills leave.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bot.domain.errors import InputError
from bot.domain.fill_orders import (
    AppOrder,
    DatasetOrder,
    FillBook,
    ListedOrder,
    RequestOrder,
    SignedOrder,
)
from bot.domain.model import (
    ZERO_ADDRESS,
    ZERO_BYTES32,
    MarketStatus,
    PoolTask,
    PoolUtilization,
    Quote,
    Slot,
    tag_to_bytes32,
)
from bot.pricing.admission import Batch, Committed, feasible
from bot.pricing.fills import (
    LIFETIMES,
    MIN_REVEALED,
    RAISE_MARGIN,
    FillIntent,
    FillMemory,
    FillPolicy,
    Revealed,
    _best_listing,
    _within_throughput,
    candidates,
    displaced_per_task,
    expected_idle,
    fill_price,
    fill_terms,
    idle_for_fills,
    listing_for_fills,
    posted_view,
    posted_waiting,
    propose_fills,
)
from bot.pricing.ledger import LOAD_EPSILON, Ledger, committed_of, required_stake
from bot.pricing.rails import RailRule, RailsConfig, RailsResult, apply_rails
from bot.pricing.runtimes import RunTimeSamples, task_board
from bot.pricing.snapshot import MarketSnapshot, Offer, compatible_requests
from tests.support.factories import (
    APP,
    NOW,
    POOL,
    REQUESTER,
    deal,
    h,
    offer,
    own,
    request,
    request_order,
    snap,
    util,
)

OTHER_POOL = "0x" + "b" * 40
OTHER_APP = "0x" + "f" * 40
DATASET = "0x" + "9" * 40
SIGN = "0x" + "11" * 65


def req(
    label: str,
    cap: int,
    volume: int = 1,
    *,
    remaining: int | None = None,
    status: MarketStatus = MarketStatus.OPEN,
    app: str = APP,
    appmaxprice: int = 0,
    dataset: str = ZERO_ADDRESS,
    datasetmaxprice: int = 0,
    workerpool: str = ZERO_ADDRESS,
    tag: int = 0,
    trust: int = 0,
    category: int = 0,
    requester: str = REQUESTER,
) -> ListedOrder[RequestOrder]:
    order = request_order(
        requester=requester,
        app=app,
        appmaxprice=appmaxprice,
        dataset=dataset,
        datasetmaxprice=datasetmaxprice,
        workerpool=workerpool,
        workerpoolmaxprice=cap,
        volume=volume,
        tag=tag_to_bytes32(tag),
        category=category,
        trust=trust,
        params='{"iexec_args":"x"}',
        salt=h("salt" + label),
    )
    return ListedOrder(
        SignedOrder(order, SIGN, h(label)),
        volume if remaining is None else remaining,
        status,
        NOW - 30,
    )


def app_order(
    label: str, price: int = 0, *, tag: int = 0, remaining: int = 1000, **kw: str
) -> ListedOrder[AppOrder]:
    order = AppOrder(
        app=kw.pop("app", APP), appprice=price, volume=1000, tag=tag_to_bytes32(tag), **kw
    )
    return ListedOrder(SignedOrder(order, SIGN, h(label)), remaining)


def dataset_order(label: str, price: int = 0, **kw: str) -> ListedOrder[DatasetOrder]:
    order = DatasetOrder(dataset=DATASET, datasetprice=price, volume=1000, **kw)
    return ListedOrder(SignedOrder(order, SIGN, h(label)), 1000)


def fill_offer(**kw: object) -> Offer:
    kw.setdefault("fill_apps", (APP,))
    return offer(**kw)


FLOOR = 1_000


def terms(request: ListedOrder[RequestOrder], *orders: ListedOrder[object], offers=None):  # type: ignore[no-untyped-def]
    apps = tuple(o for o in orders if isinstance(o.order, AppOrder))
    datasets = tuple(o for o in orders if isinstance(o.order, DatasetOrder))
    book = FillBook((request,), apps, datasets)  # type: ignore[arg-type]
    return fill_terms(request, book, offers or [fill_offer()], POOL, FLOOR)


@pytest.mark.parametrize(
    ("request_", "orders", "offers", "why"),
    [
        (req("r", 5_000, status=MarketStatus.DEAD), [app_order("a")], None, "dead"),
        (req("r", 5_000, remaining=0), [app_order("a")], None, "nothing left"),
        (req("r", 5_000, workerpool=OTHER_POOL), [app_order("a")], None, "restricted to"),
        (req("r", 999), [app_order("a")], None, "below our floor 1000"),
        (req("r", 5_000), [], None, "no open app order"),
        (req("r", 5_000), [app_order("a", 10)], None, "no open app order"),  # appmaxprice 0
        (req("r", 5_000), [app_order("a", workerpoolrestrict=OTHER_POOL)], None, "no open app"),
        (
            req("r", 5_000),
            [app_order("a", requesterrestrict=OTHER_POOL)],
            None,
            "no open app order",
        ),
        (req("r", 5_000, dataset=DATASET), [app_order("a")], None, "no open dataset order"),
        (
            req("r", 5_000, app=OTHER_APP),
            [app_order("a", app=OTHER_APP)],
            None,
            "allowlist",
        ),
        (req("r", 5_000, trust=2), [app_order("a")], None, "no offer of ours fits"),
        (req("r", 5_000, category=1), [app_order("a")], None, "no offer of ours fits"),
        # a TEE request on a TEE offer, but the app order is not TEE: the bit must come from it
        (
            req("r", 5_000, tag=1),
            [app_order("a")],
            [fill_offer(tag=9, trust=1)],
            "no offer of ours fits",
        ),
        # the app's tag is more than the offer carries
        (req("r", 5_000), [app_order("a", tag=0x100)], None, "no offer of ours fits"),
    ],
)
def test_fill_rules_refuse(
    request_: ListedOrder[RequestOrder],
    orders: list[ListedOrder[object]],
    offers: list[Offer] | None,
    why: str,
) -> None:
    got = terms(request_, *orders, offers=offers)
    assert isinstance(got, str) and why in got


def test_fill_takes_the_cheapest_admitting_app_and_dataset_order() -> None:
    r = req("r", 5_000, volume=5, appmaxprice=50, dataset=DATASET, datasetmaxprice=20)
    got = terms(
        r,
        app_order("dear", 40),
        app_order("cheap", 10),
        app_order("too-dear", 60),
        app_order("for-others", 1, workerpoolrestrict=OTHER_POOL),
        dataset_order("d1", 15),
        dataset_order("d0", 5, apprestrict=OTHER_APP),
        dataset_order("d2", 12),
    )
    assert not isinstance(got, str)
    assert got.apporder.order_hash == h("cheap")
    assert got.datasetorder is not None and got.datasetorder.order_hash == h("d2")
    assert got.volume == 5 and got.cap == 5_000


def test_a_tee_request_fills_with_a_tee_app_on_a_tdx_offer() -> None:
    got = terms(req("r", 5_000, tag=1), app_order("a", tag=9), offers=[fill_offer(tag=9, trust=1)])
    assert not isinstance(got, str)
    # a request restricted to our pool is fillable too
    assert not isinstance(terms(req("r", 5_000, workerpool=POOL), app_order("a")), str)


def test_volume_is_the_least_left_of_the_orders() -> None:
    got = terms(req("r", 5_000, volume=9, remaining=7), app_order("a", remaining=3))
    assert not isinstance(got, str) and got.volume == 3


@pytest.mark.parametrize(
    ("cap", "listed", "mode", "ceiling", "price"),
    [
        (5_000, 3_000, "listed", 10**9, 3_000),  # never more than our public offer
        (2_000, 3_000, "listed", 10**9, 2_000),  # the requester's cap below it
        (5_000, 3_000, "cap", 10**9, 5_000),  # the owner's explicit choice
        (5_000, None, "listed", 10**9, 5_000),  # nothing listed in the slot: the cap
        (5_000, None, "listed", 4_000, 4_000),  # never above the ceiling
        (5_000, 3_000, "cap", 4_000, 4_000),
    ],
)
def test_fill_price(cap: int, listed: int | None, mode: str, ceiling: int, price: int) -> None:
    assert fill_price(cap, listed, mode, ceiling) == price  # type: ignore[arg-type]


def _policy(**kw: object) -> FillPolicy:
    kw.setdefault("enabled", True)
    kw.setdefault("match_gas_cost", 0)
    return FillPolicy(**kw)  # type: ignore[arg-type]


def test_policy_proposes_dearest_first_and_skips_unprofitable_and_pending() -> None:
    o = fill_offer()
    book = FillBook(
        (req("low", 2_000), req("high", 9_000, volume=2), req("tiny", 1_500), req("busy", 8_000)),
        (app_order("a"),),
    )
    got = propose_fills(
        book,
        [o],
        POOL,
        {o.slot: 5_000},
        _policy(match_gas_cost=1_800),
        FLOOR,
        10**9,
        skip=frozenset({h("busy")}),
    )
    assert [(i.request_hash, i.price, i.volume) for i in got] == [
        (h("high"), 5_000, 2),
        (h("low"), 2_000, 1),
    ]
    assert propose_fills(book, [o], POOL, {}, FillPolicy(enabled=False), FLOOR, 10**9) == ()


def test_a_request_above_a_climbing_listing_waits_for_the_higher_price() -> None:
    o = fill_offer()
    book = FillBook((req("dear", 9_000), req("cheap", 4_000)), (app_order("a"),))

    def proposed(climbing: frozenset[Slot], **kw: object) -> list[tuple[str, int]]:
        got = propose_fills(
            book, [o], POOL, {o.slot: 5_000}, _policy(**kw), FLOOR, 10**9, climbing=climbing
        )
        return [(i.request_hash, i.price) for i in got]

    # the listing rises this tick: the request above it waits, the one below pays its cap now
    assert proposed(frozenset({o.slot})) == [(h("cheap"), 4_000)]
    # a listing that is not rising, the switch off, or price = "cap": both fill now
    assert proposed(frozenset()) == [(h("dear"), 5_000), (h("cheap"), 4_000)]
    off = proposed(frozenset({o.slot}), wait_for_listing=False)
    assert off == [(h("dear"), 5_000), (h("cheap"), 4_000)]
    assert proposed(frozenset({o.slot}), price="cap") == [(h("dear"), 9_000), (h("cheap"), 4_000)]


def test_a_fill_must_pay_its_gas_and_the_posted_sales_it_displaces() -> None:
    o = fill_offer()
    book = FillBook((req("a", 5_000), req("b", 3_000, volume=2)), (app_order("a"),))

    def proposed(displaced: float) -> list[str]:
        got = propose_fills(
            book,
            [o],
            POOL,
            {o.slot: 5_000},
            _policy(match_gas_cost=1_000),
            FLOOR,
            10**9,
            displaced={o.slot: displaced},
        )
        return [i.request_hash for i in got]

    # a: 5,000 - 1,000 gas = 4,000 for one task; b: 6,000 - 1,000 = 5,000 for two (2,500 each)
    assert proposed(0.0) == [h("a"), h("b")]
    assert proposed(2_499.0) == [h("a"), h("b")]
    assert proposed(2_500.0) == [h("a")]
    assert proposed(3_999.0) == [h("a")]
    assert proposed(4_000.0) == []


def test_a_fills_task_is_valued_at_the_posted_sales_a_full_pool_turns_away() -> None:
    o = fill_offer()  # task_seconds 300
    policy = _policy()
    fill = deal("f", 9_000_000, 2, ago=100.0)  # a fill of ours is not a posted sale
    posted = tuple(deal(f"d{i}", 1_000_000, 1, ago=60.0 * i + 30) for i in range(10))
    memory = FillMemory().record([fill.deal_id], NOW - 100)
    idle = memory.measure(
        snap(offers=[o], deals=(fill, *posted), utilization=util(2)), [o], 3_600, policy
    )
    per_slot_s = 10_000_000 / (10 * 300)  # what posted sales earn per second of slot time used
    assert idle.slot_value[False] == (pytest.approx(per_slot_s), 0.0, NOW, NOW)
    # an idle pool: its slot time is worth nothing to posted sales yet
    assert displaced_per_task(idle, [o], policy) == {o.slot: 0.0}
    # an hour later the pool is full and nothing sold since: the value stays, the pool is full
    full = snap(offers=[o], at=NOW + 3_600, utilization=util(2, computing=2))
    later = idle.measure(full, [o], 3_600, policy)
    assert later.slot_value[False] == (pytest.approx(per_slot_s), 1.0, NOW + 3_600, NOW)
    # a full pool values a fill's task at what the posted sales get for it: 1,000,000 here
    assert displaced_per_task(later, [o], policy) == {o.slot: pytest.approx(1_000_000)}
    half = displaced_per_task(later, [o], _policy(displacement=0.5))
    assert half == {o.slot: pytest.approx(500_000)}
    assert displaced_per_task(later, [o], _policy(displacement=0.0)) == {}
    # without the pool's size nothing is measured
    unsized = dataclasses.replace(snap(offers=[o], deals=posted), utilization=None)
    assert memory.measure(unsized, [o], 3_600, policy) is memory


def test_a_gpu_pools_busy_share_counts_the_backlog_as_its_capacity_does() -> None:
    o = fill_offer(tag=1 << 8)  # a GPU offer
    gpu = PoolUtilization(
        registered_cpu=8, computing_cpu=0, registered_gpu=4, computing_gpu=2, backlog=2
    )
    posted = deal("d", 1_000_000, 1, ago=30.0)
    got = FillMemory().measure(
        snap(offers=[o], deals=(posted,), utilization=gpu), [o], 3_600, _policy()
    )
    assert got.slot_value[True][1] == 1.0  # (2 computing + 2 queued) / 4 GPU slots


def test_busy_posted_only_counts_only_the_posted_sales_share_of_a_busy_pool() -> None:
    o = fill_offer()  # task_seconds 300
    fill = deal("f", 9_000_000, 3, ago=100.0)  # 3 tasks of fills against 1 posted
    posted = deal("d", 1_000_000, 1, ago=200.0)
    memory = FillMemory().record([fill.deal_id], NOW - 100)
    full = snap(offers=[o], deals=(fill, posted), utilization=util(2, computing=2))
    every = memory.measure(full, [o], 3_600, _policy())
    assert every.slot_value[False][1] == 1.0  # the fills' own tasks make the pool busy
    own = memory.measure(full, [o], 3_600, _policy(busy_posted_only=True))
    assert own.slot_value[False][1] == pytest.approx(0.25)  # the posted sales' share of it
    assert displaced_per_task(own, [o], _policy()) == {o.slot: pytest.approx(250_000)}


def test_a_posted_buyer_waiting_for_our_capacity_values_a_fills_task_at_our_listing() -> None:
    o = fill_offer()  # task_seconds 300
    listing = own("o", 5_000, 1)
    none = {False: 0, True: 0}

    def waiting(*requests: object, **kw: object) -> dict[bool, tuple[float, int]]:
        kw.setdefault("utilization", util(4, computing=1))
        s = snap(offers=[o], requests=requests, own_orders=[listing], **kw)  # type: ignore[arg-type]
        in_book = FillBook((req("pub", 9_000),), (app_order("a"),))
        s = dataclasses.replace(s, fill_book=in_book)
        return posted_waiting(s, [o], {o.slot: 5_000}, kw.get("holding", none))  # type: ignore[arg-type]

    # three tasks wanted at a cap above our listing, one left in our order: two wait for room
    got = waiting(request("buyer", 8_000, 3))
    assert list(got) == [False]
    assert got[False][0] == pytest.approx(5_000 / 300)
    assert got[False][1] == 2
    # not waiting for us: a cap under our price, our order covers it, or a request we fill
    assert waiting(request("cheap", 4_000, 3)) == {}
    assert waiting(request("one", 8_000, 1)) == {}
    assert waiting(request("pub", 9_000, 3)) == {}
    # a fill at min(cap, listed) in that slot cannot pay for the sale it takes
    policy = _policy()
    displaced = displaced_per_task(FillMemory(), [o], policy, got)
    assert displaced == {o.slot: pytest.approx(5_000)}
    book = FillBook((req("w", 9_000),), (app_order("a"),))
    args = (book, [o], POOL, {o.slot: 5_000}, policy, FLOOR, 10**9)
    assert propose_fills(*args, displaced=displaced) == ()
    assert [i.price for i in propose_fills(*args, displaced={})] == [5_000]


def test_a_pool_full_of_posted_work_is_a_posted_buyer_waiting_one_full_of_fills_is_not() -> None:
    o = fill_offer()
    listing = own("o", 5_000, 1)
    s = snap(offers=[o], own_orders=[listing], utilization=util(4, computing=3, backlog=1))
    assert posted_waiting(s, [o], {o.slot: 5_000}, {False: 0}) == {False: (5_000 / 300, 1)}
    # two of the four busy tasks are our fills': the posted work no longer fills the pool
    assert posted_waiting(s, [o], {o.slot: 5_000}, {False: 2}) == {}


def test_a_fills_tasks_hold_the_pool_for_their_run_time_and_their_queue() -> None:
    o = fill_offer()  # task_seconds 300
    fresh, older = deal("f1", 9_000, 2, ago=100.0), deal("f2", 9_000, 3, ago=400.0)
    posted = deal("p", 9_000, 5, ago=50.0)
    memory = FillMemory().record([fresh.deal_id, older.deal_id], NOW - 100)
    deals = (fresh, older, posted)
    idle = snap(offers=[o], deals=deals, utilization=util(4, computing=2))
    assert memory.holding(idle, [o]) == {False: 2, True: 0}
    # a backlog twice the slots: a task waits about one run time before it starts
    queued = snap(offers=[o], deals=deals, utilization=util(4, computing=4, backlog=4))
    assert memory.holding(queued, [o]) == {False: 5, True: 0}
    assert FillMemory().holding(queued, [o]) == {False: 0, True: 0}


@settings(max_examples=60, deadline=None)
@given(
    caps=st.lists(st.tuples(st.integers(1_000, 20_000), st.integers(1, 4)), min_size=1, max_size=6),
    listed=st.integers(1_000, 20_000),
    gas=st.integers(0, 10_000),
    displaced=st.floats(0.0, 20_000.0, allow_nan=False),
)
def test_every_fill_proposed_pays_its_gas_and_what_it_displaces_and_no_other_is_dropped(
    caps: list[tuple[int, int]], listed: int, gas: int, displaced: float
) -> None:
    o = fill_offer()
    book = FillBook(
        tuple(req(f"p{i}", c, volume=v) for i, (c, v) in enumerate(caps)), (app_order("a"),)
    )

    def propose(lost: float) -> tuple[FillIntent, ...]:
        return propose_fills(
            book,
            [o],
            POOL,
            {o.slot: listed},
            _policy(match_gas_cost=gas),
            FLOOR,
            10**9,
            displaced={o.slot: lost},
        )

    got = propose(displaced)
    for i in got:
        assert i.price * i.volume - gas > displaced * i.volume
    # the rule only removes fills: those it drops are exactly the ones that do not pay for it
    kept = {i.request_hash for i in got}
    for i in propose(0.0):
        pays = i.price * i.volume - gas > displaced * i.volume
        assert (i.request_hash in kept) == pays


def test_strategy_intents_pass_the_same_rules() -> None:
    book = FillBook(
        (req("ok", 5_000), req("dead", 5_000, status=MarketStatus.DEAD)), (app_order("a"),)
    )
    intents = [
        FillIntent(h("ok"), 4_000, 1),
        FillIntent(h("ok"), 4_000, 1),
        FillIntent(h("dead"), 4_000, 1),
        FillIntent(h("gone"), 4_000, 1),
    ]
    ok, refused = candidates(intents, book, [fill_offer()], POOL, FLOOR)
    assert [c.request_hash for _, c in ok] == [h("ok")]
    assert [why for _, why in refused] == [
        "a second fill of the same request",
        "request is dead in the marketplace",
        "request not in the book",
    ]


# -- the rails ------------------------------------------------------------------------------------


def _rails(
    quotes: list[Quote],
    snapshot: MarketSnapshot,
    offers: list[Offer],
    cfg: RailsConfig,
    intents: list[FillIntent],
) -> RailsResult:
    ok, _ = candidates(intents, snapshot.fill_book, offers, POOL, cfg.floor)
    return apply_rails(quotes, snapshot, Ledger.of(snapshot, offers, cfg), cfg, fills=ok)


CFG = RailsConfig(floor=FLOOR, ceiling=10**9, max_step=1.0, max_volume=10**6)


def test_a_fill_is_sized_first_and_the_quote_shares_what_it_leaves() -> None:
    o = fill_offer(task_seconds=2100.0)  # one task per slot in the XS window
    book = FillBook((req("r", 5_000, volume=4),), (app_order("a"),))
    base = dataclasses.replace(snap(offers=[o], utilization=util(registered=10)), fill_book=book)
    quote = Quote(category=0, price=3_000, volume=10, reason="t")
    result = _rails([quote], base, [o], CFG, [FillIntent(h("r"), 3_000, 4)])
    assert [(f.price, f.volume) for f in result.fills] == [(3_000, 4)]
    assert result.quotes[0].volume == 6
    # the fill's restricted order: our offer's slot restricted to that app and requester
    assert result.fills[0].slot[3:] == (APP, ZERO_ADDRESS, REQUESTER)


def test_fill_above_cap_is_refused_and_above_ceiling_lowered() -> None:
    o = fill_offer()
    book = FillBook((req("r", 5_000),), (app_order("a"),))
    base = dataclasses.replace(snap(offers=[o]), fill_book=book)
    over = _rails([], base, [o], CFG, [FillIntent(h("r"), 5_001, 1)])
    assert over.fills == () and "above the request's cap" in over.notes[0].detail
    low_ceiling = dataclasses.replace(CFG, ceiling=4_000)
    got = _rails([], base, [o], low_ceiling, [FillIntent(h("r"), 5_000, 1)])
    assert [f.price for f in got.fills] == [4_000]


def test_a_second_fit_does_not_repeat_the_fill_notes() -> None:
    """Pragmatic mode fits again when the volume cap took a category's last volume (an
    unpublished dearer order there counts again); the refused fill is said once, not per fit."""
    o, o1 = fill_offer(), fill_offer(category=1)
    book = FillBook((req("r", 5_000),), (app_order("a"),))
    dearer = own("d", 6_000, 1, category=0, published=False)
    base = dataclasses.replace(snap(offers=[o, o1], own_orders=[dearer]), fill_book=book)
    cfg = dataclasses.replace(CFG, max_volume=5, count_dearer_unpublished=False)
    quotes = [
        Quote(category=0, price=3_000, volume=1, reason="t"),
        Quote(category=1, price=3_000, volume=5, reason="t"),
    ]
    got = _rails(quotes, base, [o, o1], cfg, [FillIntent(h("r"), 5_001, 1)])
    assert [(q.category, q.volume) for q in got.quotes] == [(0, 0), (1, 4)]  # fitted twice
    assert [n.rule for n in got.notes].count(RailRule.FILL_REFUSED) == 1
    cuts = [(n.slot.category, n.detail.split(":")[0]) for n in got.notes if n.slot]
    assert cuts[1:] == [(0, "1 -> 0"), (1, "5 -> 4")]  # the volume cuts are said, after the fill


def test_fill_keeps_out_of_what_orders_in_unquoted_slots_hold() -> None:
    o = fill_offer(task_seconds=2100.0)
    book = FillBook((req("r", 5_000, volume=8),), (app_order("a"),))
    held = own("old", 3_000, 7, category=0)  # a slot nobody quotes keeps its load
    other_offer = fill_offer(category=0, tag=0x100, task_seconds=2100.0)
    base = dataclasses.replace(
        snap(offers=[o, other_offer], utilization=util(registered=10), own_orders=[held]),
        fill_book=book,
    )
    got = _rails([], base, [o, other_offer], CFG, [FillIntent(h("r"), 3_000, 8)])
    assert [f.volume for f in got.fills] == [3]


def test_fill_within_free_stake() -> None:
    o = fill_offer()
    book = FillBook((req("r", 10_000, volume=50),), (app_order("a", remaining=1000),))
    base = dataclasses.replace(snap(offers=[o], free_stake=4 * 3_000 + 2_999), fill_book=book)
    got = _rails([], base, [o], CFG, [FillIntent(h("r"), 10_000, 50)])
    assert [f.volume for f in got.fills] == [4]  # 3,000 nRLC of stake per task


# -- properties -----------------------------------------------------------------------------------


@st.composite
def worlds(draw: st.DrawFn) -> tuple[MarketSnapshot, list[Offer], list[Quote], list[FillIntent]]:
    offers = [
        fill_offer(category=0, task_seconds=float(draw(st.sampled_from([60, 300, 2100])))),
        fill_offer(category=2, task_seconds=float(draw(st.sampled_from([600, 3600])))),
    ]
    registered = draw(st.integers(0, 12))
    computing = draw(st.integers(0, registered))
    backlog = draw(st.integers(0, 6))
    n_req = draw(st.integers(0, 6))
    requests = [
        req(
            f"r{i}",
            draw(st.integers(0, 20_000)),
            draw(st.integers(1, 30)),
            category=draw(st.sampled_from([0, 2])),
            status=draw(st.sampled_from([MarketStatus.OPEN, MarketStatus.OPEN, MarketStatus.DEAD])),
        )
        for i in range(n_req)
    ]
    held = [
        own(f"o{i}", draw(st.integers(1_000, 9_000)), draw(st.integers(1, 20)), category=c)
        for i, c in enumerate(draw(st.lists(st.sampled_from([0, 2]), max_size=3)))
    ]
    book = FillBook(tuple(requests), (app_order("a", remaining=draw(st.integers(1, 40))),))
    base = snap(
        offers=offers,
        utilization=util(registered=registered, computing=computing, backlog=backlog),
        own_orders=held,
        free_stake=draw(st.integers(0, 200_000)),
    )
    if draw(st.booleans()):
        tasks = [
            PoolTask(f"t{i}", 2, NOW - 100, NOW - 100 + 7 * 3600, NOW - 100)
            for i in range(draw(st.integers(0, 8)))
        ]
        # the board's run times: the offers' task_seconds (what the sampler gives a category with
        # no samples yet), or other figures (what it learned since); the rails use the board's
        priors = draw(
            st.sampled_from([{o.category: o.task_seconds for o in offers}, {0: 300.0, 2: 3600.0}])
        )
        board = task_board(NOW, tasks, RunTimeSamples(), priors, {0: 300, 2: 3600})
        base = dataclasses.replace(base, tasks=board)
    base = dataclasses.replace(base, fill_book=book)
    quotes = [
        Quote(category=c, price=draw(st.integers(1_000, 9_000)), volume=draw(st.integers(0, 50)))
        for c in draw(st.lists(st.sampled_from([0, 2]), max_size=2, unique=True))
    ]
    intents = [
        FillIntent(r.order_hash, draw(st.integers(0, 25_000)), draw(st.integers(0, 40)))
        for r in requests
    ]
    return base, offers, quotes, intents


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_fills_never_exceed_capacity_cap_stake_or_the_deadline_test(
    world: tuple[MarketSnapshot, list[Offer], list[Quote], list[FillIntent]],
) -> None:
    snapshot, offers, quotes, intents = world
    cfg = RailsConfig(floor=FLOOR, ceiling=15_000, max_step=1.0, max_volume=10**6)
    result = _rails(quotes, snapshot, offers, cfg, intents)
    book = snapshot.fill_book
    assert book is not None
    ledger = Ledger.of(snapshot, offers, cfg).wanting({q.slot: q for q in result.quotes})
    total = ledger.tally_unquoted(snapshot.own_by_slot).plus(
        ledger.tally_quotes({q.slot: q for q in result.quotes})
    )
    fill_volume: dict[str, int] = {}
    for f in result.fills:
        listed = book.by_hash[f.candidate.request_hash]
        assert listed.status is MarketStatus.OPEN
        assert cfg.floor <= f.price <= min(f.candidate.cap, cfg.ceiling)
        assert 0 < f.volume <= min(listed.remaining, f.candidate.apporder.remaining)
        fill_volume[f.candidate.request_hash] = (
            fill_volume.get(f.candidate.request_hash, 0) + f.volume
        )
        total = total.plus(ledger.claim(f.candidate.offer.slot, f.price, f.volume))
    intent_volume = {i.request_hash: i.volume for i in intents}
    assert all(v <= intent_volume[k] for k, v in fill_volume.items())
    # fills and quotes together: within the window, the volume cap and the free stake (when
    # orders of unquoted slots already break them, the planner cancels; no fill is made then)
    assert snapshot.stake is not None
    if result.fills:
        assert total.load <= 1.0 + LOAD_EPSILON
        assert total.stake <= snapshot.stake.free
    assert sum(required_stake(f.price, f.volume) for f in result.fills) <= snapshot.stake.free
    # and the deadline test passes with the fills as work in front of the quotes, at the board's
    # run times (the learned quantile; the offer's task_seconds is only its prior)
    board, u = snapshot.tasks, snapshot.utilization
    if board is not None and u is not None and result.fills:
        run = {o.category: board.run_seconds(o.category, o.task_seconds) for o in offers}
        windows = {0: 7 * 300.0, 2: 7 * 3600.0}
        batches = [
            Batch(windows[f.candidate.offer.category], run[f.candidate.offer.category], f.volume)
            for f in result.fills
        ]
        assert feasible(u.registered_cpu, committed_of(u, board), batches)


@st.composite
def deadline_worlds(draw: st.DrawFn) -> tuple[MarketSnapshot, list[Offer], list[FillIntent]]:
    """Worlds where the deadline test binds: few slots, queued and running tasks of the pool
    with deadlines from minutes away to a whole window, long runs, two fills wanted in two
    categories (windows of 7 x 300 s and 7 x 3600 s), stake and volume to spare. (A slot's
    window is itself what the EDF test admits for that offer alone; across categories and
    after a first fill, only the deadline test sees the queue.)"""
    offers = [
        fill_offer(category=0, task_seconds=float(draw(st.sampled_from([200, 600, 1200])))),
        fill_offer(category=2, task_seconds=float(draw(st.sampled_from([1800, 3600, 9000])))),
    ]
    slots = draw(st.integers(1, 4))
    tasks = []
    for i in range(draw(st.integers(0, 12))):
        category = draw(st.sampled_from([0, 2]))
        window = 7 * (300 if category == 0 else 3600)
        age = draw(st.integers(0, window - 60))
        started = NOW - draw(st.integers(0, age)) if draw(st.booleans()) else None
        tasks.append(PoolTask(f"t{i}", category, NOW - age, NOW - age + window, NOW - age, started))
    board = task_board(NOW, tasks, RunTimeSamples(), {0: 300.0, 2: 3600.0}, {0: 300, 2: 3600})
    running = sum(1 for t in tasks if t.started_at is not None)
    base = snap(
        offers=offers,
        utilization=util(registered=slots, computing=min(slots, running)),
        free_stake=10**12,
    )
    wants = [draw(st.integers(1, 30)), draw(st.integers(1, 30))]
    book = FillBook(
        (req("a", 5_000, wants[0]), req("b", 4_000, wants[1], category=2)), (app_order("a"),)
    )
    intents = [FillIntent(h("a"), 5_000, wants[0]), FillIntent(h("b"), 4_000, wants[1])]
    return dataclasses.replace(base, tasks=board, fill_book=book), offers, intents


@settings(max_examples=300, deadline=None)
@given(deadline_worlds())
def test_each_fill_is_the_largest_the_deadline_test_admits(
    world: tuple[MarketSnapshot, list[Offer], list[FillIntent]],
) -> None:
    snapshot, offers, intents = world
    cfg = RailsConfig(floor=FLOOR, ceiling=15_000, max_step=1.0, max_volume=10**6)
    got = {
        f.candidate.request_hash: f.volume for f in _rails([], snapshot, offers, cfg, intents).fills
    }
    a, b = got.get(h("a"), 0), got.get(h("b"), 0)
    board, u = snapshot.tasks, snapshot.utilization
    assert board is not None and u is not None
    committed = committed_of(u, board)
    runs = {o.category: board.run_seconds(o.category, o.task_seconds) for o in offers}

    def fits(va: int, vb: int) -> bool:
        batches = [Batch(7 * 300.0, runs[0], va), Batch(7 * 3600.0, runs[2], vb)]
        return feasible(u.registered_cpu, committed, [x for x in batches if x.volume])

    # never more than the deadline test admits, both fills together as work in front
    assert fits(a, b)
    # the first fill is the largest the deadline test admits alone (its slot's window is that)
    assert a == intents[0].volume or not fits(a + 1, 0)
    # the second: the largest after the first, unless the ledger's window load binds first
    account = Ledger.of(snapshot, offers, cfg).wanting({})
    slot_a, slot_b = offers[0].slot, offers[1].slot
    load = account.load_room(account.claim(slot_a, 5_000, a))
    window_b = account.window(slot_b) or 0
    by_load = math.floor(load * window_b + 1e-9)
    assert b == intents[1].volume or b == by_load or not fits(a, b + 1)
    deadline_bound = b < min(intents[1].volume, by_load)
    event(f"the deadline test cut the second fill below the ledger's room: {deadline_bound}")


def _one_slot_world(priors: dict[int, float]) -> tuple[MarketSnapshot, list[Offer]]:
    """The example Hypothesis found: one CPU slot, a category-0 offer whose task_seconds (2100 s)
    equals its window (7 x 300 s), a volume-2 request at cap 1,000 and three at cap 0."""
    offers = [
        fill_offer(category=0, task_seconds=2100.0),
        fill_offer(category=2, task_seconds=600.0),
    ]
    requests = (req("r0", 0), req("r1", 0), req("r2", 1_000, 2), req("r3", 0))
    base = snap(offers=offers, utilization=util(registered=1), free_stake=600)
    board = task_board(NOW, [], RunTimeSamples(), priors, {0: 300, 2: 3600})
    book = FillBook(requests, (app_order("a", remaining=2),))
    return dataclasses.replace(base, tasks=board, fill_book=book), offers


ONE_SLOT_INTENTS = [
    FillIntent(h("r0"), 0, 0),
    FillIntent(h("r1"), 0, 0),
    FillIntent(h("r2"), 1_000, 2),
    FillIntent(h("r3"), 0, 0),
]
ONE_SLOT_CFG = RailsConfig(floor=FLOOR, ceiling=15_000, max_step=1.0, max_volume=10**6)


def test_a_task_as_long_as_its_window_fills_once_per_slot() -> None:
    # the board as the sampler builds it: no samples, the offer's 2100 s as the run time
    snapshot, offers = _one_slot_world({0: 2100.0, 2: 600.0})
    got = _rails([], snapshot, offers, ONE_SLOT_CFG, ONE_SLOT_INTENTS)
    assert [(f.price, f.volume) for f in got.fills] == [(1_000, 1)]
    assert [n.rule for n in got.notes] == [RailRule.FILL_SIZE]
    assert not feasible(1, Committed(), [Batch(2100.0, 2100.0, 2)])


def test_fills_are_sized_at_the_boards_run_time_not_the_offers_prior() -> None:
    # the board learned 300 s for category 0 (the offer still says 2100 s): the window holds
    # seven such tasks, so both tasks of the request fit, as the quotes' admission would say
    snapshot, offers = _one_slot_world({0: 300.0, 2: 3600.0})
    got = _rails([], snapshot, offers, ONE_SLOT_CFG, ONE_SLOT_INTENTS)
    assert [(f.price, f.volume) for f in got.fills] == [(1_000, 2)]
    assert feasible(1, Committed(), [Batch(2100.0, 300.0, 2)])


def test_fills_change_nothing_when_there_are_none() -> None:
    o = fill_offer()
    base = snap(offers=[o], own_orders=[own("x", 3_000, 5)])
    quote = Quote(category=0, price=3_000, volume=10, reason="t")
    ledger = Ledger.of(base, [o], CFG)
    assert apply_rails([quote], base, ledger, CFG) == apply_rails(
        [quote], base, ledger, CFG, fills=()
    )
    assert ZERO_BYTES32.startswith("0x")


# -- the listing with fills (listing_for_fills) ---------------------------------------------------


def _memory(caps: list[int], o: Offer) -> FillMemory:
    book = FillBook(tuple(req(f"m{i}", c) for i, c in enumerate(caps)), (app_order("a"),))
    seen = FillMemory().observe(book, NOW - 3_600, lambda r: True)
    # posted sales at the quote measured over a whole memory_hours already (the raise's gate)
    hours = 3_600.0 * FillPolicy().memory_hours
    return dataclasses.replace(seen, posted={o.slot: (0.0, NOW - hours, NOW - hours - 3_600)})


def _listing(
    caps: list[int],
    *,
    deals: tuple[object, ...] = (),
    rivals: tuple[object, ...] = (),
    **kw: object,
) -> int:
    o = fill_offer()
    quote = Quote(category=0, price=1_000_000, volume=5)
    snapshot = snap(offers=[o], deals=deals, book=rivals)  # type: ignore[arg-type]
    policy = _policy(match_gas_cost=kw.pop("gas", 100_000), **kw)
    quotes, memory = listing_for_fills(
        [quote], snapshot, [o], _memory(caps, o), policy, 10**12, 3_600
    )
    if len(caps) >= MIN_REVEALED and policy.enabled and policy.price == "listed":
        assert memory.posted  # the posted rate at the quote is remembered
    return quotes[0].price


CAPS = [50_000_000, 40_000_000, 30_000_000, 20_000_000, 10_000_000, 5_000_000, 2_000_000, 900_000]


def test_waiting_requests_raise_the_listing_when_nothing_sells_posted() -> None:
    # no posted sale at the quote: the best listing makes every fill pay its whole cap
    assert _listing(CAPS) == 50_000_000


def test_posted_sales_at_the_quote_hold_the_listing_where_they_are_worth_more() -> None:
    busy = tuple(deal(f"d{i}", 1_000_000, 50, ago=60.0 * i) for i in range(50))  # 2.5 RLC/h
    assert _listing(CAPS, deals=busy) == 1_000_000


def test_a_raise_must_win_by_the_margin_over_all_posted_sales_it_may_lose() -> None:
    # the raise to 50 mRLC earns ~150 mRLC/h more from these fills (gas 0.1 mRLC each)
    some = tuple(deal(f"d{i}", 1_000_000, 2, ago=600.0 * i) for i in range(6))  # 12 mRLC/h
    assert _listing(CAPS, deals=some) == 50_000_000
    near = tuple(deal(f"d{i}", 1_000_000, 5, ago=120.0 * i) for i in range(25))  # 125 mRLC/h
    assert RAISE_MARGIN > 150 / 125
    assert _listing(CAPS, deals=near) == 1_000_000


def test_too_few_revealed_requests_fills_off_or_cap_keep_the_strategys_price() -> None:
    some = tuple(deal(f"d{i}", 1_000_000, 2, ago=600.0 * i) for i in range(6))  # sells posted
    assert _listing(CAPS[: MIN_REVEALED - 1], deals=some) == 1_000_000
    assert _listing(CAPS[: MIN_REVEALED - 1], min_revealed_unsold=MIN_REVEALED) == 1_000_000
    assert _listing(CAPS, enabled=False) == 1_000_000
    assert _listing(CAPS, price="cap") == 1_000_000


def test_a_thin_slot_where_nothing_sells_posted_prices_on_the_few_requests_it_saw() -> None:
    # nothing sold posted at the quote over the memory: a raise loses nothing measured, so one
    # revealed request is enough (fills.min_revealed_unsold); the dearest cap is the listing
    assert _listing(CAPS[:1]) == 50_000_000
    assert _listing(CAPS[2:4]) == 30_000_000


def test_no_raise_before_the_posted_sales_were_seen_over_a_whole_window() -> None:
    o = fill_offer()
    quote = Quote(category=0, price=1_000_000, volume=5)
    book = FillBook(tuple(req(f"m{i}", c) for i, c in enumerate(CAPS)), (app_order("a"),))
    young = FillMemory().observe(book, NOW - 600, lambda r: True)  # 10 minutes of evidence
    got, _ = listing_for_fills([quote], snap(offers=[o]), [o], young, _policy(), 10**12, 3_600)
    assert got[0].price == 1_000_000


def test_the_start_up_gate_opens_on_revealed_requests_where_nothing_sold_posted() -> None:
    o = fill_offer()
    quote = Quote(category=0, price=1_000_000, volume=5)
    seen = _memory(CAPS, o)
    # the posted sales measured for 2 h only: under memory_hours, the gate is still closed
    young = dataclasses.replace(seen, posted={o.slot: (0.0, NOW - 3_600, NOW - 7_200)})

    def listed(**kw: object) -> int:
        got, _ = listing_for_fills(
            [quote], snap(offers=[o]), [o], young, _policy(**kw), 10**12, 3_600
        )
        return got[0].price

    assert listed() == 1_000_000  # off: the gate waits memory_hours
    assert listed(open_revealed=len(CAPS) + 1) == 1_000_000  # not enough evidence yet
    assert listed(open_revealed=len(CAPS)) == 50_000_000
    # where posted sales were seen, their measure needs its memory_hours whatever was revealed
    young = dataclasses.replace(young, posted={o.slot: (1e-9, NOW - 3_600, NOW - 7_200)})
    assert listed(open_revealed=len(CAPS)) == 1_000_000


def test_the_listing_is_never_lowered_nor_above_the_ceiling() -> None:
    assert _listing([10] * 20) == 1_000_000  # every cap below the quote
    o = fill_offer()
    quote = Quote(category=0, price=1_000_000, volume=5)
    got, _ = listing_for_fills(
        [quote], snap(offers=[o]), [o], _memory(CAPS, o), _policy(), 35_000_000, 3_600
    )
    assert got[0].price <= 35_000_000 and got[0].price > 1_000_000


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 100), st.integers(1, 3)), min_size=1, max_size=20),
    st.integers(1, 100),
    st.floats(0, 20),
    st.sampled_from([0, 20, 50]),
    st.integers(50, 120),
)
def test_best_listing_is_the_brute_force_argmax(
    reqs: list[tuple[int, int]], quote: int, rate: float, gas: int, ceiling: int
) -> None:
    revealed = [Revealed(0.0, 0, 0, 0, c, v) for c, v in reqs]

    def fills(p: int) -> float:
        return sum(max(0, min(c, p) * v - gas) for c, v in reqs) / 10.0

    best = quote
    for p in sorted({c for c, _ in reqs if quote < c <= ceiling}):
        if fills(p) > fills(best) + 1e-9:
            best = p
    want = best if fills(best) - fills(quote) > RAISE_MARGIN * rate + 1e-9 else quote
    got = _best_listing(quote, revealed, rate, 10.0, gas, ceiling)
    assert got >= quote and (got == quote or got <= ceiling)
    if abs(fills(best) - fills(quote) - RAISE_MARGIN * rate) > 1e-6:  # not on the edge
        assert fills(got) == pytest.approx(fills(want))


def test_the_strategy_and_the_listing_see_posted_sales_only() -> None:
    o = fill_offer()
    sold = deal("posted", 1_000_000, 50)
    filled = deal("filled", 1_000_000, 50)
    snapshot = snap(offers=[o], deals=(sold, filled))
    memory = _memory(CAPS, o).record([filled.deal_id], NOW - 60)
    assert posted_view(snapshot, memory, FillPolicy()).deals == (sold,)
    assert posted_view(snapshot, FillMemory(), FillPolicy()) is snapshot
    # the fill's deal is not a posted sale the listing would lose by raising
    quote = Quote(category=0, price=1_000_000, volume=5)
    _, with_fill = listing_for_fills([quote], snapshot, [o], memory, _policy(), 10**12, 3_600)
    _, without = listing_for_fills(
        [quote], snap(offers=[o], deals=(sold,)), [o], _memory(CAPS, o), _policy(), 10**12, 3_600
    )
    assert with_fill.posted == without.posted


# -- what a posted-price strategy sees with fills on, the thin slots' memory ----------------------


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),  # category
            st.integers(0, 3),  # tag
            st.integers(0, 50),  # cap
            st.booleans(),  # taken by our fill (left the book)
            st.sampled_from([0.0, 1.0, 3.9, 4.0, 4.1, 12.0]),  # hours since published
        ),
        max_size=12,
    )
)
def test_the_posted_view_is_the_book_as_without_our_fills(
    rows: list[tuple[int, int, int, bool, float]],
) -> None:
    offers = [offer(0, 0), offer(1, 0), offer(2, 1)]
    policy = FillPolicy(enabled=True)  # took_hours 4
    views = [
        dataclasses.replace(
            request(f"r{i}", cap, category=c, tag=t), published_at=NOW - age * 3_600
        )
        for i, (c, t, cap, _, age) in enumerate(rows)
    ]
    taken = [v for v, row in zip(views, rows, strict=True) if row[3]]
    book = [v for v in views if v not in taken]  # what the marketplace shows after our fills
    memory = FillMemory().taking(taken)
    seen = posted_view(snap(offers=offers, requests=book), memory, policy)
    # every request still waiting, and each one we took until took_hours after it was published
    back = {v.order_hash for v in taken if NOW - v.published_at <= policy.took_s}
    assert {r.order_hash for r in seen.requests} == {v.order_hash for v in book} | back
    without_fills = snap(
        offers=offers, requests=[v for v in views if v in book or v.order_hash in back]
    )
    for o in offers:
        # every demand view holds what the book would show had nobody filled them (dearest
        # first; equal caps in any order)
        assert sorted(seen.demand_for(o), key=lambda r: r.order_hash) == sorted(
            without_fills.demand_for(o), key=lambda r: r.order_hash
        )
        assert seen.demand_for(o) == compatible_requests(seen.requests, o, POOL)
    if not back:
        assert seen.requests == snap(offers=offers, requests=book).requests
    # the memory forgets them once they would have left the view
    kept = memory.observe(None, NOW, bool, policy).took
    assert set(kept) == back


def test_a_request_taken_twice_or_still_in_the_book_is_not_doubled() -> None:
    o = fill_offer()
    r = request("r", 40)
    memory = FillMemory().taking([r]).taking([r])
    seen = posted_view(snap(offers=[o], requests=[r]), memory, FillPolicy(enabled=True))
    assert [x.order_hash for x in seen.requests] == [r.order_hash]
    assert seen.demand_for(o) == (r,)


def _aged(label: str, hours: float, category: int = 0) -> ListedOrder[RequestOrder]:
    """A waiting request of the fill book published ``hours`` before NOW."""
    got = req(label, 5_000, category=category)
    return dataclasses.replace(got, published_at=NOW - hours * 3_600)


def test_took_learned_keeps_a_taken_request_as_long_as_unfilled_requests_waited() -> None:
    learned = _policy(took_learned=True)
    # eight requests wait in the book and leave it unfilled after 9 h (their requesters gave up);
    # a ninth we fill (it leaves because of us: its lifetime is not counted)
    book = FillBook(
        (*(_aged(f"w{i}", 9.0) for i in range(MIN_REVEALED)), _aged("ours", 1.0)),
        (app_order("a"),),
    )
    ours = dataclasses.replace(request("ours", 5_000), published_at=NOW - 3_600)
    memory = FillMemory().observe(book, NOW, bool, learned)
    assert memory.took_horizon(learned, 0) == learned.took_s  # nothing left the book yet: 4 h
    memory = memory.taking([ours])
    later = memory.observe(FillBook((), (app_order("a"),)), NOW + 60, bool, learned)
    assert len(later.lifetimes[0]) == MIN_REVEALED  # the one we took is not a lifetime
    assert later.took_horizon(learned, 0) == pytest.approx(9.0 * 3_600)
    # 6 h after it was published the taken request is still shown (took_hours 4 would drop it),
    # as it would have waited there without our fill; 10.5 h after, it is gone
    at6 = later.observe(None, NOW + 5 * 3_600, bool, learned)
    assert ours.order_hash in at6.took
    seen = posted_view(snap(at=NOW + 5 * 3_600), at6, learned)
    assert [r.order_hash for r in seen.requests] == [ours.order_hash]
    assert later.observe(None, NOW + 9.5 * 3_600, bool, learned).took == {}
    # off (the default): the fixed took_hours, and nothing about the book is remembered
    fixed = _policy()
    off = FillMemory().observe(book, NOW, bool, fixed).taking([ours])
    off = off.observe(FillBook(), NOW + 60, bool, fixed)
    assert off.lifetimes == {} and off.listed == {}
    assert off.observe(None, NOW + 5 * 3_600, bool, fixed).took == {}
    assert posted_view(snap(at=NOW + 5 * 3_600), off, fixed).requests == ()


def test_took_learned_keeps_a_taken_request_while_an_older_one_of_its_category_still_waits() -> (
    None
):
    learned = _policy(took_learned=True)
    # nothing has left the book yet (no lifetime): a request of category 0 has waited 7 h, one of
    # category 1 only 1 h; we took a category-0 and a category-1 request published 5 h ago
    book = FillBook((_aged("old", 7.0), _aged("young", 1.0, category=1)), (app_order("a"),))
    taken = [
        dataclasses.replace(request("t0", 5_000), published_at=NOW - 5 * 3_600),
        dataclasses.replace(request("t1", 5_000, category=1), published_at=NOW - 5 * 3_600),
    ]
    memory = FillMemory().taking(taken).observe(book, NOW, bool, learned)
    # category 0: a requester still waits 7 h, so ours (5 h) would still wait; category 1: 4 h
    assert set(memory.took) == {h("t0")}
    seen = posted_view(snap(), memory, learned)
    assert [r.order_hash for r in seen.requests] == [h("t0")]
    # off: both dropped at took_hours (4 h)
    off = FillMemory().taking(taken).observe(book, NOW, bool, _policy())
    assert off.took == {}


def test_took_learned_is_per_category_waits_for_enough_lifetimes_and_keeps_the_last() -> None:
    learned = _policy(took_learned=True)
    few = FillMemory(lifetimes={0: (3_600.0,) * (MIN_REVEALED - 1)})
    assert few.took_horizon(learned, 0) == learned.took_s
    short = (1.0, 2.0, 3.0, *(7_200.0,) * (MIN_REVEALED - 3))
    enough = FillMemory(lifetimes={0: short, 1: (36_000.0,) * MIN_REVEALED})
    assert enough.took_horizon(learned, 0) == 7_200.0  # the median, not the mean
    assert enough.took_horizon(learned, 1) == 36_000.0  # each category its own
    # a category with too few: the median of every category's
    mixed = FillMemory(lifetimes={0: (7_200.0,) * 5, 1: (36_000.0,) * 4})
    assert mixed.took_horizon(learned, 0) == 7_200.0
    assert mixed.took_horizon(learned, 2) == 7_200.0
    assert enough.took_horizon(_policy(), 1) == _policy().took_s  # the switch off
    # a long history keeps only the last LIFETIMES of a category
    book = FillBook(
        (
            *(_aged(f"x{i}", 2.0) for i in range(LIFETIMES + 5)),
            _aged("other", 5.0, category=1),
        ),
        (app_order("a"),),
    )
    memory = FillMemory(lifetimes={0: (99.0,) * LIFETIMES}).observe(book, NOW, bool, learned)
    gone = memory.observe(FillBook(), NOW + 60, bool, learned)
    assert gone.lifetimes == {0: (2.0 * 3_600,) * LIFETIMES, 1: (5.0 * 3_600,)}


def _revealed_at(ages_h: list[float], o: Offer, policy: FillPolicy) -> tuple[list[float], float]:
    seen = {
        h(f"r{i}"): Revealed(NOW - a * 3_600, o.category, o.tag, o.trust, 10 + i, 1)
        for i, a in enumerate(ages_h)
    }
    memory = FillMemory(seen=seen, since=NOW - 100 * 3_600).observe(None, NOW, bool, policy)
    got, span = memory.revealed(o, NOW, policy)
    return sorted(round((NOW - r.at) / 3_600, 3) for r in got), span / 3_600


def test_a_thin_slot_prices_on_its_last_requests_back_to_thin_memory_hours() -> None:
    o, policy = fill_offer(), FillPolicy(min_revealed=4)
    # busy: four within memory_hours, the older ones are not used
    assert _revealed_at([1, 2, 3, 5, 7, 30], o, policy) == ([1, 2, 3, 5], 6.0)
    # thin: the last four, over the span from the oldest of them
    assert _revealed_at([1, 10, 30, 50, 60], o, policy) == ([1, 10, 30, 50], 50.0)
    # never beyond thin_memory_hours (72 h): forgotten by observe
    assert _revealed_at([1, 80], o, policy) == ([1], 6.0)
    # the memory keeps no more old ones than min_revealed per slot
    many = FillMemory(
        seen={h(f"o{i}"): Revealed(NOW - (10 + i) * 3_600, 0, 0, 0, 10, 1) for i in range(20)}
    ).observe(None, NOW, bool, policy)
    assert len(many.seen) == policy.min_revealed


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 100), st.integers(1, 4)), max_size=30),
    st.integers(0, 8),
    st.floats(60.0, 86_400.0),
)
def test_the_fills_a_raise_counts_never_exceed_the_pools_throughput(
    reqs: list[tuple[int, int]], slots: int, span: float
) -> None:
    o = fill_offer(task_seconds=3_600)
    revealed = [Revealed(NOW, 0, 0, 0, c, v) for c, v in reqs]
    got = _within_throughput(revealed, span, o, util(slots))
    room = max(1, int(slots * span / 3_600))
    total = sum(v for _, v in reqs)
    assert sum(r.volume for r in got) == min(total, room)
    if got and len(got) < len(revealed):  # what is left out is never dearer than what is kept
        kept = sorted((r.cap for r in got for _ in range(r.volume)), reverse=True)
        best = sorted((c for c, v in reqs for _ in range(v)), reverse=True)[: len(kept)]
        assert kept == best
    assert _within_throughput(revealed, span, o, None) == revealed


def test_no_raise_before_posted_sales_were_measured_at_the_quote_over_memory_hours() -> None:
    o = fill_offer()
    quote = Quote(category=0, price=1_000_000, volume=5)
    fresh = dataclasses.replace(_memory(CAPS, o), posted={})  # first measured now
    got, memory = listing_for_fills([quote], snap(offers=[o]), [o], fresh, _policy(), 10**12, 3_600)
    assert got[0].price == 1_000_000
    assert memory.posted[o.slot][2] == NOW - 3_600  # its measure began a window ago
    later = memory.posted[o.slot]
    six_h = dataclasses.replace(
        memory, posted={o.slot: (later[0], later[1], NOW - FillPolicy().memory_s)}
    )
    got, _ = listing_for_fills([quote], snap(offers=[o]), [o], six_h, _policy(), 10**12, 3_600)
    assert got[0].price == 50_000_000


def test_full_unmeasured_keeps_the_posted_measure_while_the_pool_is_full() -> None:
    # train 1012 (docs/backtesting.md, "Fills 10b"): a full pool sold nothing posted, the
    # measure read zero and the listing was raised to the caps
    o = fill_offer()
    quote = Quote(category=0, price=1_000_000, volume=5)
    hours = FillPolicy().memory_s
    sold = dataclasses.replace(
        _memory(CAPS, o), posted={o.slot: (2_000.0, NOW - 3_600, NOW - hours - 3_600)}
    )
    full = snap(offers=[o], utilization=util(2, computing=2))  # nothing sold posted in the window
    _, off = listing_for_fills([quote], full, [o], sold, _policy(), 10**12, 3_600)
    assert off.posted[o.slot][0] < 2_000.0  # off: the empty window is a reading, the rate decays
    on = _policy(full_unmeasured=True)
    _, kept = listing_for_fills([quote], full, [o], sold, on, 10**12, 3_600)
    assert kept.posted[o.slot] == (2_000.0, NOW, NOW - hours - 3_600)  # no decay
    assert kept.full_at == {False: NOW}
    # room again, but the full time is still in the window: still no reading
    later = dataclasses.replace(snap(offers=[o], utilization=util(2, computing=1)), at=NOW + 1_800)
    _, still = listing_for_fills([quote], later, [o], kept, on, 10**12, 3_600)
    assert still.posted[o.slot][0] == 2_000.0
    # a whole window with room: read again (nothing sold, so the rate decays)
    after = dataclasses.replace(later, at=NOW + 3_600)
    _, read = listing_for_fills([quote], after, [o], still, on, 10**12, 3_600)
    assert read.posted[o.slot][0] < 2_000.0


def test_full_weight_keeps_the_full_time_out_of_the_posted_measure() -> None:
    # train 1012 (docs/backtesting.md, "Fills 11"): the pool was full for hours, the strategy
    # quoted no volume so the slot went unmeasured, and the first reading after it covered the
    # whole memory: the mean jumped to that window's zero and the listing was raised
    o = fill_offer()
    quote = Quote(category=0, price=1_000_000, volume=5)
    hours = FillPolicy().memory_s
    last = NOW - hours  # last reading a whole memory ago, the pool full since
    sold = dataclasses.replace(_memory(CAPS, o), posted={o.slot: (2_000.0, last, last - hours)})
    full = snap(offers=[o], utilization=util(2, computing=2))  # nothing sold posted since
    _, off = listing_for_fills([quote], full, [o], sold, _policy(), 10**12, 3_600)
    assert off.posted[o.slot][0] == 0.0  # off: the whole gap ages the mean, it reads zero
    assert off.full_spans == {}
    on = _policy(full_weight=True)
    spanned = dataclasses.replace(sold, full_spans={False: ((last, NOW - 60),)}, ticked=NOW - 60)
    _, kept = listing_for_fills([quote], full, [o], spanned, on, 10**12, 3_600)
    assert kept.posted[o.slot] == (2_000.0, NOW, last - hours)  # the full time weighs nothing
    assert kept.full_spans == {False: ((last, NOW),)} and kept.ticked == NOW
    # a minute with room: read again, weighed as a minute (the mean moves, a little)
    room = dataclasses.replace(snap(offers=[o], utilization=util(2, computing=1)), at=NOW + 60)
    _, read = listing_for_fills([quote], room, [o], kept, on, 10**12, 3_600)
    assert 1_990.0 < read.posted[o.slot][0] < 2_000.0
    assert read.full_spans == {False: ((last, NOW),)}  # no room-time added to the spans
    # the same minute with the full gap forgotten (no spans): the whole gap ages the mean
    _, bare = listing_for_fills([quote], full, [o], sold, on, 10**12, 3_600)
    assert bare.posted[o.slot][0] == 0.0
    with pytest.raises(InputError):
        FillPolicy(full_weight=1)  # type: ignore[arg-type]


def test_gap_unmeasured_reads_no_window_that_covers_ticks_the_slot_listed_nothing() -> None:
    # train 1012 with --crn, 1274 (docs/backtesting.md, "Fills 12"): robust quoted no volume for
    # hours (a full pool); the first reading after that gap weighed 1, its window read zero, and
    # min_revealed_unsold let the listing go to the caps, which froze the zero
    o = fill_offer()
    hours = FillPolicy().memory_s
    last = NOW - hours  # last reading a whole memory ago: the slot listed nothing since
    sold = dataclasses.replace(_memory(CAPS, o), posted={o.slot: (20_000.0, last, last - hours)})
    held = Quote(category=0, price=1_000_000, volume=0)
    quote = Quote(category=0, price=1_000_000, volume=5)
    s = snap(offers=[o])  # nothing sold posted in the window
    # off: the gap ages the mean, it reads zero and the listing goes to the dearest cap
    got, off = listing_for_fills([quote], s, [o], sold, _policy(), 10**12, 3_600)
    assert off.posted[o.slot][0] == 0.0 and got[0].price == 50_000_000
    assert off.relisted == {}
    on = _policy(gap_unmeasured=True)
    before = dataclasses.replace(s, at=NOW - 60)
    _, gap = listing_for_fills([held], before, [o], sold, on, 10**12, 3_600)
    assert gap.relisted == {o.slot: math.inf} and gap.posted == sold.posted
    _, gone = listing_for_fills([], before, [o], sold, on, 10**12, 3_600)  # no quote at all
    assert gone.relisted == {o.slot: math.inf}
    got, back = listing_for_fills([quote], s, [o], gap, on, 10**12, 3_600)
    assert back.relisted == {o.slot: NOW}
    assert back.posted[o.slot] == (20_000.0, NOW, last - hours)  # its window covers the gap
    assert got[0].price == 1_000_000  # the listing stays at the quote
    # listed a whole window since: read again, the gap and that window aging nothing
    later = dataclasses.replace(s, at=NOW + 3_600 + 60)
    _, read = listing_for_fills([quote], later, [o], back, on, 10**12, 3_600)
    assert 19_900.0 < read.posted[o.slot][0] < 20_000.0
    assert read.posted[o.slot][1] == NOW + 3_660
    with pytest.raises(InputError):
        FillPolicy(gap_unmeasured=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("memory_hours", 0),
        ("memory_hours", "6"),
        ("thin_memory_hours", 1.0),  # below memory_hours
        ("min_revealed", -1),
        ("min_revealed", 2.5),
        ("raise_margin", -0.5),
        ("displacement", -1.0),
    ],
)
def test_bad_listing_settings_name_their_key(key: str, value: object) -> None:
    with pytest.raises(InputError) as err:
        FillPolicy(**{key: value})  # type: ignore[arg-type]
    assert f"fills.{key}" in str(err.value)


# -- fills.idle_under_listing: the opportunity-cost guard -----------------------------------------


@pytest.mark.parametrize(
    ("slots", "busy", "per_s", "run_s", "waiting", "idle"),
    [
        (10, 2, 0.0, 300.0, 0, 8.0),  # nothing sells posted: every free slot stays idle
        (10, 2, 0.01, 300.0, 0, 5.0),  # 3 posted tasks start over the fill's 300 s
        (10, 2, 0.01, 300.0, 4, 1.0),  # and 4 posted buyers wait for our capacity now
        (4, 6, 0.0, 300.0, 0, -2.0),  # over-subscribed: the backlog counts
        (10, 0, -1.0, -5.0, -3, 10.0),  # nonsense rates, run times and waits count as none
    ],
)
def test_expected_idle_is_free_slots_less_posted_starts_and_waiting_buyers(
    slots: int, busy: int, per_s: float, run_s: float, waiting: int, idle: float
) -> None:
    assert expected_idle(slots, busy, per_s, run_s, waiting) == pytest.approx(idle)


def test_idle_for_fills_reads_the_pool_our_posted_rate_and_the_waiting_buyers() -> None:
    o = fill_offer()  # task_seconds 300
    fill = deal("f", 9_000, 5, ago=100.0)  # a fill of ours: not a posted sale
    posted = tuple(deal(f"p{i}", 5_000, 3, ago=600.0 * i + 30) for i in range(4))  # 12 an hour
    memory = FillMemory().record([fill.deal_id], NOW - 100)
    s = snap(offers=[o], deals=(fill, *posted), utilization=util(10, computing=3, backlog=1))
    # 10 slots - 4 busy - 12 tasks / 3,600 s x 300 s = 5
    assert idle_for_fills(s, [o], memory, 3_600.0) == {o.slot: pytest.approx(5.0)}
    assert idle_for_fills(s, [o], memory, 3_600.0, {False: (1.0, 2)}) == {
        o.slot: pytest.approx(3.0)
    }
    # a fill is not a posted sale only when we know it is ours
    assert idle_for_fills(s, [o], FillMemory(), 3_600.0) == {
        o.slot: pytest.approx(5.0 - 5 * 300 / 3_600)
    }
    # no pool size: nothing is known to be idle
    unsized = dataclasses.replace(s, utilization=None)
    assert idle_for_fills(unsized, [o], memory, 3_600.0) == {}


def test_the_guard_holds_a_fill_under_the_listing_where_the_pool_is_expected_busy() -> None:
    o = fill_offer()
    # "at": cap at the listing; "under": cap under it, two tasks; "small": under it, one task
    book = FillBook(
        (req("at", 9_000), req("under", 4_000, volume=2), req("small", 3_000)),
        (app_order("a"),),
    )

    def proposed(idle: dict[Slot, float] | None, **kw: object) -> list[tuple[str, int]]:
        got = propose_fills(
            book, [o], POOL, {o.slot: 5_000}, _policy(**kw), FLOOR, 10**9, idle=idle
        )
        return [(i.request_hash, i.price) for i in got]

    every = [(h("at"), 5_000), (h("under"), 4_000), (h("small"), 3_000)]
    # off (the default): main's policy whatever the pool
    assert proposed({o.slot: 0.0}) == every
    assert proposed(None) == every
    # on, a busy pool: the fill at the listing is made, those under it are not
    assert proposed({o.slot: 0.0}, idle_under_listing=True) == [(h("at"), 5_000)]
    assert proposed({o.slot: -3.0}, idle_under_listing=True) == [(h("at"), 5_000)]
    assert proposed(None, idle_under_listing=True) == [(h("at"), 5_000)]
    assert proposed({}, idle_under_listing=True) == [(h("at"), 5_000)]
    # on, room for the fill at the listing and one more task: "under" (2) waits, "small" fits
    assert proposed({o.slot: 2.0}, idle_under_listing=True) == [
        (h("at"), 5_000),
        (h("small"), 3_000),
    ]
    # on, an idle pool: every fill, as main
    assert proposed({o.slot: 4.0}, idle_under_listing=True) == every
    # price = "cap": a fill at its cap is under the listing only where the cap is
    assert proposed({o.slot: 0.0}, idle_under_listing=True, price="cap") == [(h("at"), 9_000)]


def test_the_guard_shares_a_resources_idle_slots_between_its_offers() -> None:
    a, b = fill_offer(), fill_offer(category=1)
    book = FillBook((req("a", 4_000), req("b", 3_000, category=1)), (app_order("x"),))
    listed = {a.slot: 5_000, b.slot: 5_000}
    policy = _policy(idle_under_listing=True)
    got = propose_fills(
        book, [a, b], POOL, listed, policy, FLOOR, 10**9, idle={a.slot: 1.0, b.slot: 1.0}
    )
    assert [i.request_hash for i in got] == [h("a")]  # one idle CPU slot: the second waits
    got = propose_fills(
        book, [a, b], POOL, listed, policy, FLOOR, 10**9, idle={a.slot: 2.0, b.slot: 2.0}
    )
    assert [i.request_hash for i in got] == [h("a"), h("b")]


def test_the_guard_in_a_scene_blocks_on_a_busy_pool_and_allows_on_an_idle_one() -> None:
    o = fill_offer()  # task_seconds 300
    listing = own("o", 5_000, 1)
    book = FillBook((req("w", 4_000),), (app_order("a"),))
    posted = tuple(deal(f"p{i}", 5_000, 2, ago=300.0 * i + 30) for i in range(12))  # 24 an hour
    policy = _policy(idle_under_listing=True)

    def fills(utilization: PoolUtilization) -> list[str]:
        s = snap(offers=[o], own_orders=[listing], deals=posted, utilization=utilization)
        s = dataclasses.replace(s, fill_book=book)
        waiting = posted_waiting(s, [o], {o.slot: 5_000}, {False: 0})
        idle = idle_for_fills(s, [o], FillMemory(), 3_600.0, waiting)
        got = propose_fills(book, [o], POOL, {o.slot: 5_000}, policy, FLOOR, 10**9, idle=idle)
        return [i.request_hash for i in got]

    # 4 slots, 1 busy, 2 posted tasks expected over the fill's 300 s: one slot idle, it fills
    assert fills(util(4, computing=1)) == [h("w")]
    # 4 slots, 2 busy: the posted sales will want the two free ones, the fill at 4,000 under
    # our 5,000 listing would take a posted sale's slot: held
    assert fills(util(4, computing=2)) == []


def test_idle_under_listing_must_be_a_bool() -> None:
    with pytest.raises(InputError) as err:
        FillPolicy(idle_under_listing=1)  # type: ignore[arg-type]
    assert "fills.idle_under_listing" in str(err.value)
    assert FillPolicy().idle_under_listing is False

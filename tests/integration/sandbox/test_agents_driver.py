"""The agents driver's decisions, against an in-memory market and chain (no processes)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.domain.model import BookEntry, SignedWorkerpoolOrder
from bot.domain.signing import address_of
from bot.sandbox.agents_driver import AgentsDriver, Competitor, Requester, Wallet
from bot.sandbox.anvil import ANVIL_KEYS
from bot.sandbox.poco import PocoDeployment
from bot.sim.agents import (
    EnteringLeaving,
    FixedCompetitor,
    IntDist,
    PriceDist,
    RandomWalkCompetitor,
    RequesterModel,
)

DEP = PocoDeployment(
    rpc_url="http://127.0.0.1:1",
    chain_id=31337,
    hub="0x" + "1" * 40,
    rlc="0x" + "2" * 40,
    app_registry="0x" + "3" * 40,
    dataset_registry="0x" + "4" * 40,
    workerpool_registry="0x" + "5" * 40,
    deployer=address_of(ANVIL_KEYS[0]),
)
OURS = "0x" + "a" * 40
POOL_A = "0x" + "b" * 40
POOL_B = "0x" + "c" * 40
APP = "0x" + "d" * 40


class FakeMarket:
    """Listing semantics of the marketplace: publish adds, unpublish removes, fills reduce."""

    def __init__(self) -> None:
        self.orders: dict[str, tuple[SignedWorkerpoolOrder, int, float]] = {}
        self.requests: list[str] = []
        self.clock = 0.0

    def book(self, category: int, wallet: Any = None) -> tuple[list[BookEntry], dict[str, Any]]:
        entries, signed = [], {}
        for h, (s, remaining, at) in self.orders.items():
            if s.order.category != category or remaining <= 0:
                continue
            o = s.order
            entries.append(
                BookEntry(
                    h,
                    o.workerpool,
                    "0x" + "0" * 40,
                    o.workerpoolprice,
                    o.volume,
                    remaining,
                    o.category,
                    o.tag_int,
                    o.trust,
                    at,
                )
            )
            signed[h] = s
        entries.sort(key=lambda e: (e.price, e.published_at, e.order_hash))
        return entries, signed

    def publish_workerpool(self, signed: SignedWorkerpoolOrder, wallet: Wallet) -> None:
        self.clock += 1
        self.orders[signed.order_hash] = (signed, signed.order.volume, self.clock)

    def unpublish_workerpool(self, order_hash: str, wallet: Wallet) -> None:
        self.orders.pop(order_hash, None)

    def publish_app(self, order: Mapping[str, Any], wallet: Wallet) -> None:
        pass

    def publish_request(self, order: Mapping[str, Any], wallet: Wallet) -> None:
        self.requests.append(str(order["orderHash"]))

    def unpublish_request(self, order_hash: str, wallet: Wallet) -> None:
        self.requests.remove(order_hash)


class FakeChain:
    def __init__(self, market: FakeMarket) -> None:
        self.market = market
        self.consumed_by: dict[str, int] = {}
        self.matches: list[tuple[str, int]] = []

    def consumed(self, order_hash: str) -> int:
        return self.consumed_by.get(order_hash, 0)

    def match(self, app: Any, workerpool: SignedWorkerpoolOrder, request: Any, key: str) -> str:
        h = workerpool.order_hash
        volume = min(int(request["volume"]), workerpool.order.volume - self.consumed_by.get(h, 0))
        self.consumed_by[h] = self.consumed_by.get(h, 0) + volume
        self.matches.append((h, volume))
        if h in self.market.orders:
            s, remaining, at = self.market.orders[h]
            self.market.orders[h] = (s, remaining - volume, at)
        return "0x" + "e" * 64


def _driver(
    competitors: list[Any], requesters: list[RequesterModel], market: FakeMarket
) -> tuple[AgentsDriver, FakeChain]:
    chain = FakeChain(market)
    driver = AgentsDriver(
        deployment=DEP,
        market=market,  # type: ignore[arg-type]
        chain=chain,  # type: ignore[arg-type]
        app=APP,
        app_wallet=Wallet(ANVIL_KEYS[9], "10.0.0.9"),
        competitors=[
            Competitor(m, Wallet(ANVIL_KEYS[3 + i], f"10.0.0.{i}"), random.Random(i))
            for i, m in enumerate(competitors)
        ],
        requesters=[
            Requester(m, Wallet(ANVIL_KEYS[7], "10.0.1.1"), random.Random(7)) for m in requesters
        ],
        watched_pool=OURS,
        clock=lambda: 0.0,
    )
    return driver, chain


def _prices(market: FakeMarket, pool: str) -> list[int]:
    return sorted(
        s.order.workerpoolprice
        for s, r, _ in market.orders.values()
        if s.order.workerpool == pool and r > 0
    )


def test_a_competitor_replaces_its_order_when_its_price_moves() -> None:
    market = FakeMarket()
    walk = RandomWalkCompetitor(POOL_A, 0, start=30, floor=10, ceiling=60, sigma=0.5, period_s=10)
    driver, _ = _driver([walk], [], market)
    driver.step(0.0)
    assert _prices(market, POOL_A) == [30]
    driver.step(5.0)  # before its period: nothing moves
    assert _prices(market, POOL_A) == [30]
    driver.step(10.0)
    assert len(market.orders) == 1  # the old order was unpublished, one new order listed
    assert _prices(market, POOL_A) == [walk.price]


def test_a_filled_order_is_topped_up_before_the_period_ends() -> None:
    market = FakeMarket()
    driver, _ = _driver([FixedCompetitor(POOL_A, 0, price=20, volume=1, period_s=100)], [], market)
    driver.step(0.0)
    (h,) = market.orders
    s, _, at = market.orders[h]
    market.orders[h] = (s, 0, at)  # filled by a requester
    driver.step(1.0)
    assert _prices(market, POOL_A) == [20]
    assert h not in {k for k, v in market.orders.items() if v[1] > 0}


def test_a_pool_out_of_the_market_withdraws_its_orders() -> None:
    market = FakeMarket()
    comp = EnteringLeaving(FixedCompetitor(POOL_A, 0, price=20, period_s=5), windows=((0, 10),))
    driver, _ = _driver([comp], [], market)
    driver.step(0.0)
    assert _prices(market, POOL_A) == [20]
    driver.step(10.0)
    assert _prices(market, POOL_A) == []


def test_requesters_buy_the_cheapest_compatible_order_and_wait_when_too_dear() -> None:
    market = FakeMarket()
    comps = [
        FixedCompetitor(POOL_A, 0, price=30, volume=5),
        FixedCompetitor(POOL_B, 0, price=20, volume=3),
    ]
    capped = RequesterModel(
        "capped",
        "capped",
        0,
        rate_per_min=600.0,
        max_price=PriceDist(value=25),
        volume=IntDist(1, 1),
        patience_s=30.0,
    )
    driver, chain = _driver(comps, [capped], market)
    driver.step(0.0)
    driver.step(1.0)  # ~10 arrivals in one second; pool B lists only 3 tasks at a time
    assert set(driver.stats.matched_tasks) == {POOL_B}  # never the dearer pool A
    assert driver.stats.matched_tasks[POOL_B] == sum(v for _, v in chain.matches) >= 3
    assert driver.stats.requested_tasks > driver.stats.matched_tasks[POOL_B]
    assert market.requests  # the rest waits in the request book


def _our_order(market: FakeMarket, price: int) -> str:
    from bot.domain.model import WorkerpoolOrder, tag_to_bytes32
    from bot.domain.signing import random_salt, sign_order
    from bot.sandbox.poco import network_of

    order = WorkerpoolOrder(OURS, price, 10, tag_to_bytes32(0), 0, 0, salt=random_salt())
    signed = sign_order(network_of(DEP), order, ANVIL_KEYS[1])
    market.publish_workerpool(signed, Wallet(ANVIL_KEYS[1], "10.0.9.1"))
    return signed.order_hash


def test_only_the_adversary_takes_an_unlisted_order_that_is_still_valid() -> None:
    taker = RequesterModel("taker", "taker", 0, rate_per_min=600.0, max_price=PriceDist(value=100))
    for share, expect_taken in ((0.0, False), (1.0, True)):
        market = FakeMarket()
        model = replace(taker, adversarial_share=share)
        driver, chain = _driver([FixedCompetitor(POOL_A, 0, price=30, volume=50)], [model], market)
        ours = _our_order(market, price=5)  # the cheapest order in the book
        driver.step(0.0)  # every requester saw it listed; no arrival yet
        assert ours in driver.seen_orders()
        market.unpublish_workerpool(ours, Wallet(ANVIL_KEYS[1], "10.0.9.1"))  # not cancelled
        driver.step(1.0)
        assert chain.matches  # requesters did buy (from pool A at least)
        taken = ours in {h for h, _ in chain.matches}
        assert taken is expect_taken
        assert (driver.stats.adversarial_tasks > 0) is expect_taken

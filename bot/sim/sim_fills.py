"""The simulator's fill ports (issue #15): the fill book, a request's re-read, and matchOrders.

Publishers (requester kind ``publisher``, bot.sim.agents) post a request and wait in the request
book, never matching it themselves; posted workerpool orders do not match them either. Our bot
fills them through these ports exactly as the live adapters do (bot.engine.fill_ports): the cycle reads
the book after ``MarketSim.advance``, so a fill happens at the first tick after a request starts
waiting. The simulator plays the chain: a match consumes the request, locks our stake
(floor(price x 30 / 100) per task), queues the tasks on our pool and records the deal.

Orders here are the simulator's own, not EIP-712 signed (``FillPorts.trusted``); every app a
request names is listed with one free unrestricted app order, and the backtest puts the apps of
the run's requests on each offer's ``fill_apps`` (the simulated pool runs them all). Gas per match is ``DEFAULT_MATCH_GAS``, measured on
anvil (bot.pricing.fills), with no Arbitrum L1 data charge.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import ChainRevert
from bot.domain.fill_orders import AppOrder, FillBook, ListedOrder, RequestOrder, SignedOrder
from bot.domain.model import ZERO_ADDRESS, tag_to_bytes32
from bot.engine.fill_ports import FillPorts, MatchOrders, MatchReceipt
from bot.pricing.fills import DEFAULT_MATCH_GAS
from bot.sim.agents import RequestIntent
from bot.sim.market_sim import MarketSim

__all__ = ["SIM_APP", "FillCounters", "SimFills", "sim_fill_ports"]

SIM_APP = "0x" + "a9" * 20
"""The app of a simulated request that names none."""


def _app_order(app: str) -> ListedOrder[AppOrder]:
    """The app's one free, unrestricted app order (the simulator lists one per app)."""
    h = "0x" + app[2:].rjust(64, "0")
    return ListedOrder(SignedOrder(AppOrder(app=app, appprice=0, volume=10**12), "0x", h), 10**12)


@dataclass(slots=True)
class FillCounters:
    """What our fills did in the run (the summary's ``fills``, ``fill_tasks``...)."""

    fills: int = 0
    fill_tasks: int = 0
    fill_revenue_nrlc: int = 0  # price x tasks at the match (tasks that later fail included)
    match_gas_used: int = 0
    races_lost: int = 0


def _request(intent: RequestIntent, left: int, order_hash: str) -> ListedOrder[RequestOrder]:
    order = RequestOrder(
        app=SIM_APP if intent.app == ZERO_ADDRESS else intent.app,
        appmaxprice=0,
        dataset=intent.dataset,
        datasetmaxprice=0,
        workerpool=intent.workerpool,
        workerpoolmaxprice=intent.max_price,
        requester=intent.requester,
        volume=intent.volume,
        tag=tag_to_bytes32(intent.tag),
        category=intent.category,
        trust=intent.trust,
        beneficiary=intent.requester,
        callback=ZERO_ADDRESS,
        params="",
        salt=order_hash,
    )
    return ListedOrder(SignedOrder(order, "0x", order_hash), left, published_at=intent.at)


class SimFills:
    """FillReader and Matcher over a MarketSim (see the module doc)."""

    def __init__(self, sim: MarketSim) -> None:
        self.sim = sim
        self.counters = FillCounters()
        self._book: tuple[int, FillBook] = (-1, FillBook())
        # Built orders, reused while they stay the same: a request waits many ticks, and building
        # one validates all fifteen fields (most of a run's fill-book cost). Keyed by (hash, left):
        # a request's hash names its intent, and only what is left of it changes.
        self._listed: dict[tuple[str, int], ListedOrder[RequestOrder]] = {}
        self._apps: dict[str, ListedOrder[AppOrder]] = {}

    def _listed_request(
        self, intent: RequestIntent, left: int, order_hash: str
    ) -> ListedOrder[RequestOrder]:
        key = (order_hash, left)
        got = self._listed.get(key)
        if got is None:
            got = self._listed[key] = _request(intent, left, order_hash)
        return got

    def _app(self, app: str) -> ListedOrder[AppOrder]:
        got = self._apps.get(app)
        if got is None:
            got = self._apps[app] = _app_order(app)
        return got

    def _waiting(self) -> dict[str, tuple[RequestIntent, int]]:
        now = self.sim.clock.t
        return {
            h: (i, left)
            for i, left, h in self.sim._open
            if i.kind == "publisher" and left > 0 and now <= i.at + i.patience_s
        }

    # -- FillReader -----------------------------------------------------------------------------

    def fill_book(self, workerpool: str) -> FillBook:
        version, book = self._book
        if version != self.sim._open_version:
            kept = {
                (h, left): self._listed_request(i, left, h)
                for h, (i, left) in self._waiting().items()
                if i.workerpool in (ZERO_ADDRESS, workerpool)
            }
            self._listed = kept  # forget the orders no longer listed (filled, expired, partly)
            requests = tuple(kept.values())
            apps = tuple(self._app(a) for a in sorted({r.order.app for r in requests}))
            book = FillBook(requests, apps)
            self._book = (self.sim._open_version, book)
        return book

    def request(self, order_hash: str) -> ListedOrder[RequestOrder] | None:
        got = self._waiting().get(order_hash)
        return None if got is None else self._listed_request(got[0], got[1], order_hash)

    # -- Matcher --------------------------------------------------------------------------------

    def _check(self, orders: MatchOrders) -> tuple[RequestIntent, int, int]:
        h = orders.request.order_hash
        got = self._waiting().get(h)
        if got is None:
            raise ChainRevert("iExecV5-matchOrders-0x60", f"request {h[:10]} has nothing left")
        intent, left = got
        wp = orders.workerpool.order
        if wp.workerpoolprice > intent.max_price:
            raise ChainRevert("iExecV5-matchOrders-0x05", "price above the request's cap")
        volume = min(left, wp.volume - self.sim._consumed.get(orders.workerpool.order_hash, 0))
        lock = wp.workerpoolprice * 30 // 100
        if lock > 0:
            volume = min(volume, self.sim.stake_free // lock)
        if volume <= 0:
            raise ChainRevert("iExecV5-matchOrders-0x60", "no volume to match")
        return intent, volume, lock

    def estimate_match(self, orders: MatchOrders) -> int:
        self._check(orders)
        return DEFAULT_MATCH_GAS

    def match(self, orders: MatchOrders) -> MatchReceipt:
        sim = self.sim
        intent, volume, lock = self._check(orders)
        now = sim.clock.t
        wp = orders.workerpool
        price = wp.order.workerpoolprice
        sim._accept(intent, wp.order_hash, price, volume, lock, now)
        sim._consumed[wp.order_hash] = sim._consumed.get(wp.order_hash, 0) + volume
        if sim._consumed[wp.order_hash] >= wp.order.volume:
            sim._closed.add(wp.order_hash)  # used up: a later cancel finds nothing to close
        h = orders.request.order_hash
        sim._open = [(i, left - volume if rh == h else left, rh) for i, left, rh in sim._open]
        sim._open = [o for o in sim._open if o[1] > 0]
        sim._open_version += 1
        deal = intent.deal(sim._next_hash("deal"), sim.pool, price, volume, now)
        sim.deals.append(deal)
        sim.our_deals.append(deal)
        sim.clock.t += sim.costs.tx_latency_s
        c = self.counters
        c.fills += 1
        c.fill_tasks += volume
        c.fill_revenue_nrlc += price * volume
        c.match_gas_used += DEFAULT_MATCH_GAS
        return MatchReceipt(deal.deal_id, volume, DEFAULT_MATCH_GAS, sim._next_hash("tx"), True)


def sim_fill_ports(sim: MarketSim) -> tuple[FillPorts, SimFills]:
    fills = SimFills(sim)
    return FillPorts(reader=fills, matcher=fills, trusted=True), fills

"""Drive the pure agent models (``bot.sim.agents``) against the real local marketplace and chain.

The backtester calls the same models in-process; here each decision becomes real traffic:

- a competitor's quotes become signed workerpool orders, published (and replaced when the price
  moves or the order is filled) through the marketplace HTTP API with the competitor's own wallet;
- a requester's arrivals become signed request orders, matched on chain with ``matchOrders``
  against the cheapest compatible order in the book, so remaining volumes and locked stake change
  for real; what cannot be matched now waits in the request book until the requester's patience
  runs out;
- an adversarial requester also remembers every order it ever saw listed and matches those that
  were unpublished but are still valid on chain (why the bot's cancel policy matters).

Each agent sends its own ``x-real-ip`` so the marketplace's per-client rate limit does not charge
the bot for the sandbox's traffic. Failures of one agent's step are logged and never stop the
others: the world keeps turning while the bot is tested.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx
from web3.exceptions import Web3Exception

from bot.domain.errors import BotError, ChainRevert, RejectedError, TransientError
from bot.domain.model import (
    ZERO_ADDRESS,
    BookEntry,
    MarketStatus,
    Quote,
    SignedWorkerpoolOrder,
    Slot,
    WorkerpoolOrder,
    norm_address,
    tag_to_bytes32,
)
from bot.domain.signing import (
    address_of,
    gateway_challenge_hash,
    random_salt,
    sign_gateway_challenge,
)
from bot.domain.signing import sign_order as sign_workerpool_order
from bot.sandbox import poco
from bot.sim.agents import CompetitorModel, RequesterModel, RequestIntent, match

__all__ = [
    "AgentStats",
    "AgentsDriver",
    "ChainOps",
    "Competitor",
    "MarketHttp",
    "Requester",
    "Wallet",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Wallet:
    """An agent's key (anvil's public test keys only) and the client id it shows the market."""

    key: str
    client_ip: str

    @property
    def address(self) -> str:
        return address_of(self.key)


def _parse_time(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return 0.0


def _signed_from_record(record: dict[str, Any]) -> SignedWorkerpoolOrder:
    o = record["order"]
    order = WorkerpoolOrder(
        workerpool=o["workerpool"],
        workerpoolprice=int(o["workerpoolprice"]),
        volume=int(o["volume"]),
        tag=o["tag"],
        category=int(o["category"]),
        trust=int(o["trust"]),
        apprestrict=o["apprestrict"],
        datasetrestrict=o["datasetrestrict"],
        requesterrestrict=o["requesterrestrict"],
        salt=o["salt"],
    )
    return SignedWorkerpoolOrder(order=order, sign=o["sign"], order_hash=record["orderHash"])


def _entry_from_record(record: dict[str, Any], signed: SignedWorkerpoolOrder) -> BookEntry:
    o = signed.order
    return BookEntry(
        order_hash=signed.order_hash,
        workerpool=o.workerpool,
        owner=norm_address(record.get("signer") or ZERO_ADDRESS, "signer"),
        price=o.workerpoolprice,
        volume=o.volume,
        remaining=int(record.get("remaining", o.volume)),
        category=o.category,
        tag=o.tag_int,
        trust=o.trust,
        published_at=_parse_time(record.get("publicationTimestamp")),
        apprestrict=o.apprestrict,
        datasetrestrict=o.datasetrestrict,
        requesterrestrict=o.requesterrestrict,
        status=MarketStatus(record.get("status", "open")),
    )


class MarketHttp:
    """The few marketplace routes agents use, spoken over HTTP like the iExec SDK does."""

    def __init__(self, base_url: str, chain_id: int, *, timeout: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._chain_id = chain_id
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _request(
        self,
        method: str,
        path: str,
        wallet: Wallet | None,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        auth: bool = False,
    ) -> dict[str, Any]:
        headers = {"x-real-ip": wallet.client_ip} if wallet is not None else {}
        if auth:
            assert wallet is not None
            headers["authorization"] = self._authorization(wallet)
        query = {"chainId": str(self._chain_id), **(params or {})}
        try:
            resp = self._http.request(
                method, self._base + path, params=query, json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise TransientError(f"{method} {path}: {exc}") from exc
        try:
            data: dict[str, Any] = resp.json()
        except ValueError as exc:
            raise TransientError(f"{method} {path}: HTTP {resp.status_code}, not JSON") from exc
        if resp.status_code >= 500 or resp.status_code == 429:
            raise TransientError(f"{method} {path}: HTTP {resp.status_code} {data.get('error')}")
        if resp.status_code >= 400 or not data.get("ok", False):
            raise RejectedError(str(data.get("error", "")), resp.status_code)
        return data

    def _authorization(self, wallet: Wallet) -> str:
        data = self._request("GET", "/challenge", wallet, params={"address": wallet.address})
        challenge = data["data"]["message"]["challenge"]
        digest = gateway_challenge_hash(self._chain_id, challenge)
        signature = sign_gateway_challenge(self._chain_id, challenge, wallet.key)
        return f"{digest}_{signature}_{wallet.address}"

    def book(
        self, category: int, wallet: Wallet | None = None
    ) -> tuple[list[BookEntry], dict[str, SignedWorkerpoolOrder]]:
        """Every open public workerpool order of a category, cheapest first, with its signature."""
        entries: list[BookEntry] = []
        signed: dict[str, SignedWorkerpoolOrder] = {}
        page = 0
        while True:
            data = self._request(
                "GET",
                "/workerpoolorders",
                wallet,
                params={"category": category, "pageSize": 1000, "pageIndex": page},
            )
            for record in data.get("orders", []):
                s = _signed_from_record(record)
                signed[s.order_hash] = s
                entries.append(_entry_from_record(record, s))
            if "nextPage" not in data or not data.get("orders"):
                return entries, signed
            page += 1

    def publish_workerpool(self, signed: SignedWorkerpoolOrder, wallet: Wallet) -> None:
        order = dict(signed.order.fields())
        order["sign"] = signed.sign
        self._request("POST", "/workerpoolorders", wallet, body={"order": order}, auth=True)

    def unpublish_workerpool(self, order_hash: str, wallet: Wallet) -> None:
        body = {"target": "unpublish_orderHash", "orderHash": order_hash}
        self._request("PUT", "/workerpoolorders", wallet, body=body, auth=True)

    def publish_app(self, order: Mapping[str, Any], wallet: Wallet) -> None:
        body = {"order": {k: v for k, v in order.items() if k != "orderHash"}}
        self._request("POST", "/apporders", wallet, body=body, auth=True)

    def publish_request(self, order: Mapping[str, Any], wallet: Wallet) -> None:
        body = {"order": {k: v for k, v in order.items() if k != "orderHash"}}
        self._request("POST", "/requestorders", wallet, body=body, auth=True)

    def unpublish_request(self, order_hash: str, wallet: Wallet) -> None:
        body = {"target": "unpublish_orderHash", "orderHash": order_hash}
        self._request("PUT", "/requestorders", wallet, body=body, auth=True)


class ChainOps:
    """The on-chain half of a requester: ``matchOrders`` and ``viewConsumed`` on the hub."""

    def __init__(self, deployment: poco.PocoDeployment) -> None:
        self._dep = deployment
        self._hub = poco.hub_contract(poco.web3_for(deployment.rpc_url), deployment.hub)
        self._lock = threading.Lock()

    def consumed(self, order_hash: str) -> int:
        try:
            return int(self._hub.functions.viewConsumed(bytes.fromhex(order_hash[2:])).call())
        except (Web3Exception, OSError) as exc:
            raise TransientError(f"viewConsumed: {exc}") from exc

    def match(
        self,
        app: Mapping[str, Any],
        workerpool: SignedWorkerpoolOrder,
        request: Mapping[str, Any],
        key: str,
    ) -> str:
        """Send matchOrders from the requester's wallet; returns the deal id."""
        with self._lock:
            try:
                return poco.match_orders(self._dep, key, app, None, workerpool, request)
            except Web3Exception as exc:
                raise ChainRevert(str(exc), f"matchOrders failed: {exc}") from exc
            except OSError as exc:
                raise TransientError(f"matchOrders: {exc}") from exc


@dataclass(slots=True)
class Competitor:
    """A competing pool: its model, its owner wallet, and what it has listed now."""

    model: CompetitorModel
    wallet: Wallet
    rng: random.Random
    next_at: float = 0.0
    listed: dict[Slot, tuple[Quote, str]] = field(default_factory=dict)


@dataclass(slots=True)
class Requester:
    """A requester population with the wallet that signs and pays for its requests."""

    model: RequesterModel
    wallet: Wallet
    rng: random.Random
    last_at: float | None = None
    pending: list[_Pending] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    """A request order with volume left, waiting in the request book for a cheap enough offer."""

    intent: RequestIntent
    request: dict[str, Any]
    left: int
    published: bool = False


@dataclass(slots=True)
class AgentStats:
    """What the agents did, for the demo's summary and the tests."""

    intents: int = 0
    requested_tasks: int = 0
    matched_tasks: dict[str, int] = field(default_factory=dict)
    revenue: dict[str, int] = field(default_factory=dict)
    adversarial_tasks: int = 0
    competitor_publishes: int = 0
    errors: int = 0
    # (time, best competing price, our best price): the last hour at one step per second
    prices: deque[tuple[float, int | None, int | None]] = field(
        default_factory=lambda: deque(maxlen=3600)
    )


class AgentsDriver:
    """Steps every agent at its own pace; ``run`` does it on a thread until stopped."""

    def __init__(
        self,
        *,
        deployment: poco.PocoDeployment,
        market: MarketHttp,
        chain: ChainOps,
        app: str,
        app_wallet: Wallet,
        competitors: Sequence[Competitor],
        requesters: Sequence[Requester],
        watched_pool: str | None = None,
        categories: Sequence[int] = (0,),
        clock: Callable[[], float],
    ) -> None:
        self._dep = deployment
        self._network = poco.network_of(deployment)
        self._market = market
        self._chain = chain
        self._app = norm_address(app, "app")
        self._app_wallet = app_wallet
        self._competitors = list(competitors)
        self._requesters = list(requesters)
        self._watched = norm_address(watched_pool, "watched_pool") if watched_pool else None
        self._categories = tuple(categories)
        self._clock = clock
        self._app_order: dict[str, Any] | None = None
        self._seen: dict[str, SignedWorkerpoolOrder] = {}  # the adversary's memory
        self._lock = threading.Lock()
        self.stats = AgentStats()

    def seen_orders(self) -> set[str]:
        """Hashes of the watched pool's orders the adversary has seen listed and still holds."""
        with self._lock:
            return set(self._seen)

    # -- set-up ------------------------------------------------------------------------------

    def app_order(self) -> dict[str, Any]:
        """One large free app order, published so request orders pass the marketplace checks."""
        if self._app_order is None:
            order = poco.sign_app_order(
                self._dep, poco.app_order(self._app, volume=1_000_000), self._app_wallet.key
            )
            try:
                self._market.publish_app(order, self._app_wallet)
            except BotError as exc:
                log.info("apporder not published (%s); matching on chain only", exc)
            self._app_order = order
        return self._app_order

    # -- one step ----------------------------------------------------------------------------

    def step(self, now: float | None = None) -> None:
        with self._lock:
            now = self._clock() if now is None else now
            books = {c: self._read_book(c) for c in self._categories}
            for comp in self._competitors:
                self._guard(self._step_competitor, comp, now, books)
            books = {c: self._read_book(c) for c in self._categories}
            for req in self._requesters:
                self._guard(self._step_requester, req, now, books)
            self._record_best(now, books)

    def _guard(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except BotError as exc:
            self.stats.errors += 1
            log.info("agent step failed: %s", exc)

    def _read_book(self, category: int) -> tuple[list[BookEntry], dict[str, SignedWorkerpoolOrder]]:
        try:
            entries, signed = self._market.book(category)
        except BotError as exc:
            self.stats.errors += 1
            log.info("book read failed: %s", exc)
            return [], {}
        for h, s in signed.items():
            if self._watched is None or s.order.workerpool == self._watched:
                self._seen[h] = s
        return entries, signed

    def _record_best(
        self, now: float, books: dict[int, tuple[list[BookEntry], dict[str, Any]]]
    ) -> None:
        entries, _ = books.get(self._categories[0], ([], {}))
        others = [
            e.price
            for e in entries
            if not e.is_restricted and e.remaining > 0 and e.workerpool != self._watched
        ]
        ours = [e.price for e in entries if e.workerpool == self._watched and e.remaining > 0]
        self.stats.prices.append(
            (now, min(others) if others else None, min(ours) if ours else None)
        )

    def _step_competitor(
        self,
        comp: Competitor,
        now: float,
        books: dict[int, tuple[list[BookEntry], dict[str, SignedWorkerpoolOrder]]],
    ) -> None:
        model = comp.model
        listed_hashes = {
            e.order_hash for entries, _ in books.values() for e in entries if e.remaining > 0
        }
        gone = any(h not in listed_hashes for _, h in comp.listed.values())
        if now < comp.next_at and not gone:
            return
        comp.next_at = now + model.period_s
        book = [e for entries, _ in books.values() for e in entries]
        wanted = {q.slot: q for q in model.quotes(now, book, comp.rng)}
        for key, (quote, order_hash) in list(comp.listed.items()):
            same = key in wanted and wanted[key].price == quote.price
            if same and order_hash in listed_hashes:
                del wanted[key]
                continue
            if order_hash in listed_hashes:
                try:
                    self._market.unpublish_workerpool(order_hash, comp.wallet)
                except RejectedError as exc:
                    log.debug("competitor unpublish: %s", exc)
            del comp.listed[key]
        for key, quote in wanted.items():
            order = WorkerpoolOrder(
                workerpool=model.pool,
                workerpoolprice=quote.price,
                volume=max(1, quote.volume),
                tag=tag_to_bytes32(quote.tag),
                category=quote.category,
                trust=quote.trust,
                apprestrict=quote.apprestrict,
                datasetrestrict=quote.datasetrestrict,
                requesterrestrict=quote.requesterrestrict,
                salt=random_salt(),
            )
            signed = sign_workerpool_order(self._network, order, comp.wallet.key)
            self._market.publish_workerpool(signed, comp.wallet)
            comp.listed[key] = (quote, signed.order_hash)
            self.stats.competitor_publishes += 1

    def _hidden(self, listed: dict[str, SignedWorkerpoolOrder]) -> list[BookEntry]:
        """Orders the adversary kept that the book no longer lists but the chain still honours."""
        hidden: list[BookEntry] = []
        for h, s in list(self._seen.items()):
            if h in listed:
                continue
            remaining = s.order.volume - self._chain.consumed(h)
            if remaining <= 0:
                del self._seen[h]
                continue
            o = s.order
            hidden.append(
                BookEntry(
                    order_hash=h,
                    workerpool=o.workerpool,
                    owner=ZERO_ADDRESS,
                    price=o.workerpoolprice,
                    volume=o.volume,
                    remaining=remaining,
                    category=o.category,
                    tag=o.tag_int,
                    trust=o.trust,
                    published_at=0.0,
                    apprestrict=o.apprestrict,
                    datasetrestrict=o.datasetrestrict,
                    requesterrestrict=o.requesterrestrict,
                )
            )
        return hidden

    def _step_requester(
        self,
        req: Requester,
        now: float,
        books: dict[int, tuple[list[BookEntry], dict[str, SignedWorkerpoolOrder]]],
    ) -> None:
        start = now if req.last_at is None else req.last_at
        req.last_at = now
        arrivals = req.model.arrivals(start, now, req.rng) if now > start else []
        for intent in arrivals:
            self.stats.intents += 1
            self.stats.requested_tasks += intent.volume
            request = poco.sign_request_order(
                self._dep,
                poco.request_order(
                    self._app,
                    req.wallet.address,
                    workerpoolmaxprice=intent.max_price,
                    category=intent.category,
                    volume=intent.volume,
                    workerpool=intent.workerpool,
                    tag=tag_to_bytes32(intent.tag),
                    trust=intent.trust,
                ),
                req.wallet.key,
            )
            req.pending.append(_Pending(intent, request, intent.volume))
        still: list[_Pending] = []
        for p in req.pending:
            entries, signed = books.get(p.intent.category, ([], {}))
            p.left = self._fill(req, p.intent, p.request, p.left, entries, signed)
            if p.left <= 0:
                continue
            if now >= p.intent.at + p.intent.patience_s:
                if p.published:
                    self._try_unpublish_request(p.request, req.wallet)
                continue
            if not p.published:
                p.published = self._try_publish_request(p.request, req.wallet)
            still.append(p)
        req.pending = still

    def _fill(
        self,
        req: Requester,
        intent: RequestIntent,
        request: dict[str, Any],
        left: int,
        entries: list[BookEntry],
        signed: dict[str, SignedWorkerpoolOrder],
    ) -> int:
        hidden = self._hidden(signed) if intent.adversarial else []
        known = {e.order_hash: self._seen[e.order_hash] for e in hidden}
        known.update(signed)
        for fill in match(intent, left, entries, hidden):
            wp = known.get(fill.order_hash)
            if wp is None:
                continue
            try:
                self._chain.match(self.app_order(), wp, request, req.wallet.key)
            except ChainRevert as exc:
                log.info("match against %s failed: %s", fill.order_hash[:10], exc.reason[:120])
                continue
            pool = fill.workerpool
            self.stats.matched_tasks[pool] = self.stats.matched_tasks.get(pool, 0) + fill.volume
            self.stats.revenue[pool] = self.stats.revenue.get(pool, 0) + fill.price * fill.volume
            if not fill.published:
                self.stats.adversarial_tasks += fill.volume
            for e in entries:  # the book we hold is now stale for this order: apply the fill
                if e.order_hash == fill.order_hash:
                    entries[entries.index(e)] = replace(
                        e, remaining=max(0, e.remaining - fill.volume)
                    )
                    break
            left -= fill.volume
            if left <= 0:
                break
        return left

    def _try_publish_request(self, request: dict[str, Any], wallet: Wallet) -> bool:
        """Show unmet demand in the request book; a market without request orders is fine."""
        try:
            self._market.publish_request(request, wallet)
        except RejectedError as exc:
            log.debug("request order not published: %s", exc)
            return "already published" in exc.server_message
        except TransientError as exc:
            log.debug("request order not published: %s", exc)
            return False
        return True

    def _try_unpublish_request(self, request: dict[str, Any], wallet: Wallet) -> None:
        try:
            self._market.unpublish_request(str(request["orderHash"]), wallet)
        except BotError as exc:
            log.debug("request order not unpublished: %s", exc)

    # -- life cycle --------------------------------------------------------------------------

    def withdraw_all(self) -> None:
        """Unpublish every competitor order (best effort), e.g. when the sandbox stops."""
        for comp in self._competitors:
            for _, order_hash in comp.listed.values():
                with contextlib.suppress(BotError):
                    self._market.unpublish_workerpool(order_hash, comp.wallet)
            comp.listed.clear()

    def run(self, stop: threading.Event, period: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # the world must keep turning; the log says what broke
                self.stats.errors += 1
                log.exception("agents step crashed")
            stop.wait(period)

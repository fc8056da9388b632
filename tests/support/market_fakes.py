"""An in-process marketplace behind ``httpx.MockTransport`` for the client's unit tests.

It follows iexec-market-api closely enough for the client's contract (envelopes, codes, messages,
one-use challenges returned again until used, pagination with ``nextPage``), verifies the
authorization header with real EIP-712 recovery, and takes scripted faults per route. The
real local server (bot/sandbox/market_server) is exercised by test_live_server.py.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx

from bot.adapters.signer import LocalKeySigner
from bot.domain.model import SignedWorkerpoolOrder, WorkerpoolOrder, norm_address
from bot.domain.networks import Network, local_network
from bot.domain.signing import (
    GATEWAY_CHALLENGE_PREFIX,
    address_of,
    gateway_challenge_hash,
    gateway_challenge_payload,
    hash_order,
    random_salt,
    recover_signer,
    sign_order,
)

CHAIN_ID = 31337
HUB = "0x" + "ab" * 20
NETWORK: Network = local_network(CHAIN_ID, HUB, market_url="http://market.test")
OWNER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil #1
OTHER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"  # anvil #2
POOL = "0x" + "11" * 20
OTHER_POOL = "0x" + "22" * 20
OWNER = address_of(OWNER_KEY)
PREFIX = GATEWAY_CHALLENGE_PREFIX


class KeySigner(LocalKeySigner):
    """The production signer (real EIP-712, the network's rules) that also notes each login
    challenge it signs, so a test can check which challenge the client answered."""

    def __init__(self, key: str = OWNER_KEY, network: Network = NETWORK) -> None:
        super().__init__(network, key)
        self.challenges_signed: list[str] = []

    def sign_gateway_challenge(self, chain_id: int, challenge: str) -> str:
        self.challenges_signed.append(challenge)
        return super().sign_gateway_challenge(chain_id, challenge)


def make_order(
    price: int = 1000, volume: int = 5, pool: str = POOL, key: str = OWNER_KEY, **kw: Any
) -> SignedWorkerpoolOrder:
    order = WorkerpoolOrder(
        workerpool=pool,
        workerpoolprice=price,
        volume=volume,
        tag=kw.pop("tag", "0x" + "0" * 64),
        category=kw.pop("category", 0),
        trust=kw.pop("trust", 0),
        salt=kw.pop("salt", random_salt()),
        **kw,
    )
    return sign_order(NETWORK, order, key)


def make_listed(price: int, volume: int = 1, pool: str = POOL) -> SignedWorkerpoolOrder:
    """A book entry without a real hash or signature: for bulk tests on a client that does not
    verify hashes (real signing costs about 18 ms an order without coincurve)."""
    order = WorkerpoolOrder(
        workerpool=pool,
        workerpoolprice=price,
        volume=volume,
        tag="0x" + "0" * 64,
        category=0,
        trust=0,
        salt=random_salt(),
    )
    return SignedWorkerpoolOrder(order=order, sign="0x" + "11" * 65, order_hash=random_salt())


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def record(
    signed: SignedWorkerpoolOrder,
    *,
    signer: str | None = None,
    status: str = "open",
    remaining: int | None = None,
    ts: float = 1_700_000_000.0,
    chain_id: int | str = CHAIN_ID,
) -> dict[str, Any]:
    order: dict[str, Any] = {**signed.order.fields(), "sign": signed.sign}
    return {
        "orderHash": signed.order_hash,
        "order": order,
        "chainId": chain_id,
        "remaining": signed.order.volume if remaining is None else remaining,
        "status": status,
        "publicationTimestamp": iso(ts),
        "signer": signer or OWNER,
    }


def request_record(
    maxprice: int,
    pool: str = "0x" + "00" * 20,
    *,
    category: int = 0,
    ts: float = 1_700_000_000.0,
    remaining: int = 1,
) -> dict[str, Any]:
    zero = "0x" + "00" * 20
    return {
        "orderHash": random_salt(),
        "order": {
            "app": "0x" + "33" * 20,
            "appmaxprice": 0,
            "dataset": zero,
            "datasetmaxprice": 0,
            "workerpool": pool,
            "workerpoolmaxprice": maxprice,
            "requester": "0x" + "44" * 20,
            "volume": remaining,
            "tag": "0x" + "00" * 32,
            "category": category,
            "trust": 0,
            "beneficiary": "0x" + "44" * 20,
            "callback": zero,
            "params": "{}",
            "salt": random_salt(),
            "sign": "0x" + "aa" * 65,
        },
        "chainId": CHAIN_ID,
        "remaining": remaining,
        "status": "open",
        "publicationTimestamp": iso(ts),
        "signer": "0x" + "44" * 20,
    }


def deal_record(
    price: int, ts: float, pool: str = POOL, *, block: int = 1, category: int = 0
) -> dict[str, Any]:
    zero = "0x" + "00" * 20
    return {
        "dealid": random_salt(),
        "chainId": CHAIN_ID,
        "app": {"pointer": "0x" + "33" * 20, "owner": "0x" + "55" * 20, "price": 0},
        "dataset": {"pointer": zero, "owner": zero, "price": 0},
        "workerpool": {"pointer": pool, "owner": OWNER, "price": price},
        "appHash": random_salt(),
        "datasetHash": "0x" + "00" * 32,
        "workerpoolHash": random_salt(),
        "requestHash": random_salt(),
        "requester": "0x" + "44" * 20,
        "beneficiary": "0x" + "44" * 20,
        "callback": zero,
        "params": "{}",
        "volume": 1,
        "category": category,
        "tag": "0x" + "00" * 32,
        "trust": 0,
        "startTime": int(ts),
        "botFirst": 0,
        "botSize": 1,
        "schedulerRewardRatio": 1,
        "workerStake": 0,
        "blockNumber": block,
        "blockTimestamp": iso(ts),
        "transactionHash": random_salt(),
    }


Fault = Callable[[httpx.Request], httpx.Response | None]


def respond(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Fault:
    def fault(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return fault


def raise_(exc_type: type[Exception]) -> Fault:
    def fault(request: httpx.Request) -> httpx.Response:
        raise exc_type("injected", request=request)  # type: ignore[call-arg]

    return fault


@dataclass
class FakeMarket:
    """Stores workerpool orders; ``faults[(method, route)]`` is a queue consumed one per call.

    A fault may return a response (served instead of the real answer), or None to let the real
    handler run (used with ``after`` to process the request and then lose the answer).
    """

    chain_id: int = CHAIN_ID
    page_max: int = 1000
    max_open: int = 50
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    challenges: dict[str, str] = field(default_factory=dict)  # address -> value
    faults: dict[tuple[str, str], list[Fault]] = field(default_factory=dict)
    after: dict[tuple[str, str], list[Fault]] = field(default_factory=dict)
    log: list[httpx.Request] = field(default_factory=list)
    challenge_override: Callable[[str], Any] | None = None
    clock: float = 1_700_000_000.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail(self, method: str, route: str, *faults: Fault) -> None:
        self.faults.setdefault((method, route), []).extend(faults)

    def fail_after(self, method: str, route: str, *faults: Fault) -> None:
        self.after.setdefault((method, route), []).extend(faults)

    def calls(self, method: str, route: str) -> int:
        return sum(1 for r in self.log if r.method == method and _route(r) == route)

    def add(self, signed: SignedWorkerpoolOrder, **kw: Any) -> dict[str, Any]:
        self.clock += 1
        rec = record(signed, ts=kw.pop("ts", self.clock), **kw)
        self.orders[signed.order_hash] = rec
        return rec

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        key = (request.method, _route(request))
        queue = self.faults.get(key)
        if queue:
            resp = queue.pop(0)(request)
            if resp is not None:
                return resp
        with self.lock:
            resp = self._dispatch(request)
        queue = self.after.get(key)
        if queue:
            lost = queue.pop(0)(request)
            if lost is not None:
                return lost
        return resp

    def _dispatch(self, request: httpx.Request) -> httpx.Response:
        q = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        if q.get("chainId") != str(self.chain_id):
            return _err(400, "chainId is a required field")
        route = _route(request)
        path = request.url.path
        if route == "/challenge":
            return self._challenge(q)
        if route == "/workerpoolorders" and request.method == "GET":
            return self._list(q)
        if route == "/workerpoolorders/:hash":
            rec = self.orders.get(path.rsplit("/", 1)[1].lower())
            if rec is None:
                return _err(404, "workerpoolorder not found")
            return _ok({**rec, "chainId": str(self.chain_id)})
        if route == "/workerpoolorders" and request.method == "POST":
            return self._publish(request)
        if route == "/workerpoolorders" and request.method == "PUT":
            return self._unpublish(request)
        if route == "/requestorders":
            return self._page(self._requests(q), q, "orders")
        if route == "/deals":
            items = [
                d
                for d in self.deals
                if "workerpool" not in q or d["workerpool"]["pointer"] == q["workerpool"].lower()
            ]
            return self._page(items, q, "deals")
        if route == "/categories":
            return self._page(self.categories, q, "categories")
        return _err(404, "not found")

    def _page(self, items: list[Any], q: dict[str, str], key: str) -> httpx.Response:
        size = int(q.get("pageSize", 20))
        index = int(q.get("pageIndex", 0))
        if not 10 <= size <= self.page_max:
            return _err(400, "pageSize must be greater than or equal to 10")
        skip = size * index
        chunk = items[skip : skip + size]
        body: dict[str, Any] = {key: chunk, "count": len(items)}
        if len(chunk) == size:
            body["nextPage"] = skip + size
        return _ok(body)

    def _challenge(self, q: dict[str, str]) -> httpx.Response:
        address = norm_address(q["address"])
        value = self.challenges.setdefault(address, secrets.token_hex(16))
        data: Any = gateway_challenge_payload(q["chainId"], PREFIX + value)
        if self.challenge_override is not None:
            data = self.challenge_override(json.dumps(data))
        return _ok({"data": data})

    def _caller(self, request: httpx.Request) -> str | None:
        """checkAuthorization: one-use challenge bound to the address, signature recovered."""
        auth = request.headers.get("authorization", "")
        parts = auth.split("_")
        if len(parts) != 3:
            return None
        h, sig, address = parts
        address = address.lower()
        value = self.challenges.get(address)
        if value is None or gateway_challenge_hash(self.chain_id, PREFIX + value) != h:
            return None
        try:
            if recover_signer(h, sig) != address:
                return None
        except Exception:
            return None
        del self.challenges[address]
        return address

    def _publish(self, request: httpx.Request) -> httpx.Response:
        caller = self._caller(request)
        if caller is None:
            return _err(403, "invalid authorization")
        o = json.loads(request.content)["order"]
        order = WorkerpoolOrder(**{k: v for k, v in o.items() if k != "sign"})
        h = hash_order(NETWORK, order)
        existing = self.orders.get(h)
        if existing is not None and existing["status"] != "dead":
            return _err(403, "order already published")
        if recover_signer(h, o["sign"]) != caller:
            return _err(403, "invalid sign")
        open_count = sum(
            1 for r in self.orders.values() if r["signer"] == caller and r["status"] == "open"
        )
        if open_count >= self.max_open:
            return _err(
                403,
                f"maximun of {self.max_open} published open workerpoolorder has been reached "
                f"for wallet {caller}",
            )
        signed = SignedWorkerpoolOrder(order=order, sign=o["sign"], order_hash=h)
        rec = self.add(signed, signer=caller)
        return _ok({"published": rec})

    def _unpublish(self, request: httpx.Request) -> httpx.Response:
        caller = self._caller(request)
        if caller is None:
            return _err(403, "invalid authorization")
        body = json.loads(request.content)
        target = body.get("target", "unpublish_orderHash")
        if target == "unpublish_orderHash":
            h = body["orderHash"]
            rec = self.orders.get(h)
            if rec is None or rec["status"] != "open":
                return _err(403, f"workerpoolorder with orderHash {h} is not published")
            if rec["signer"] != caller:
                return _err(403, f"only order signer {rec['signer']} can unpublish an order")
            del self.orders[h]
            return _ok({"unpublished": [h]})
        pool = body["workerpool"].lower()
        mine = sorted(
            (
                r
                for r in self.orders.values()
                if r["order"]["workerpool"] == pool
                and r["signer"] == caller
                and r["status"] == "open"
            ),
            key=lambda r: r["publicationTimestamp"],
        )
        if not mine:
            return _err(
                403, f"no open workerpoolorder published by signer {caller} for workerpool {pool}"
            )
        chosen = mine[-1:] if target == "unpublish_last" else mine
        for r in chosen:
            del self.orders[r["orderHash"]]
        return _ok({"unpublished": [r["orderHash"] for r in chosen]})

    def _list(self, q: dict[str, str]) -> httpx.Response:
        items = [r for r in self.orders.values() if r["status"] == "open"]
        if "workerpool" in q and q["workerpool"] != "any":
            items = [r for r in items if r["order"]["workerpool"] == q["workerpool"].lower()]
        if "category" in q:
            items = [r for r in items if r["order"]["category"] == int(q["category"])]
        for name, field_ in (
            ("app", "apprestrict"),
            ("dataset", "datasetrestrict"),
            ("requester", "requesterrestrict"),
        ):
            wanted = q.get(name)
            if wanted is None:
                items = [r for r in items if r["order"][field_] == "0x" + "00" * 20]
            elif wanted != "any":
                items = [
                    r for r in items if r["order"][field_] in ("0x" + "00" * 20, wanted.lower())
                ]
        items.sort(
            key=lambda r: (
                r["order"]["workerpoolprice"],
                r["publicationTimestamp"],
                r["orderHash"],
            )
        )
        return self._page(items, q, "orders")

    def _requests(self, q: dict[str, str]) -> list[dict[str, Any]]:
        zero = "0x" + "00" * 20
        pool = q.get("workerpool")
        allowed = {zero} if pool is None else {zero, pool.lower()}
        items = [r for r in self.requests if r["order"]["workerpool"] in allowed]
        return sorted(items, key=lambda r: -r["order"]["workerpoolmaxprice"])


def _route(request: httpx.Request) -> str:
    path = request.url.path
    if path.startswith("/workerpoolorders/"):
        return "/workerpoolorders/:hash"
    return path


def _ok(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, **body})


def _err(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"ok": False, "error": message})


class FakeTime:
    """A clock and a sleep that advance together: waits are recorded, never slept."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

"""The marketplace's behaviour, independent of HTTP: reads, challenge auth, publish checks,
unpublish, and the status changes the watcher applies.

Each rule mirrors iexec-market-api (``api/src/services/order.js``, ``auth.js``,
``watcher/src/services/order.js``); see docs/marketplace.md for the list and the few places
this server knowingly differs. Writes are serialised by one lock, so the per-wallet cap and
the "already published" check cannot be raced.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.domain.signing import (
    GATEWAY_CHALLENGE_PREFIX,
    gateway_challenge_hash,
    gateway_challenge_payload,
    recover_signer,
)

from . import _validate as v
from ._chain import ChainReader, ResourceKind
from ._config import MarketServerConfig
from ._errors import AuthError, BusinessError, NotFoundError, ValidationError
from ._hashing import order_hash
from ._storage import OrderRecord, Storage

__all__ = ["ADDRESS_FIELD", "Marketplace"]

OPEN, FILLED, CANCELED, DEAD = "open", "filled", "canceled", "dead"
ZERO = v.ZERO_ADDRESS
TEE_BIT = 1

# Which address field identifies the resource an order is about, for unpublish last/all.
ADDRESS_FIELD: dict[str, str] = {
    "workerpoolorder": "workerpool",
    "apporder": "app",
    "datasetorder": "dataset",
    "requestorder": "requester",
}
_RESOURCE: dict[str, ResourceKind] = {
    "workerpoolorder": "workerpool",
    "apporder": "app",
    "datasetorder": "dataset",
}
_SORT: dict[str, str] = {
    "workerpoolorder": "price ASC, published_at ASC, order_hash ASC",
    "apporder": "price ASC, published_at ASC, order_hash ASC",
    "datasetorder": "price ASC, published_at ASC, order_hash ASC",
    "requestorder": "price DESC, published_at ASC, order_hash ASC",
}
_TARGETS = ("unpublish_orderHash", "unpublish_last", "unpublish_all")
_ALPHANUM = string.ascii_letters + string.digits


def _iso(ts: float) -> str:
    return (
        datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{int(ts * 1000) % 1000:03d}Z"
    )


def _restrict_clause(column: str, value: str | None, strict: bool) -> tuple[str, list[Any]] | None:
    """Upstream ``getAddressOrAnyRestrictClause``: absent -> public only; ``any`` -> no filter."""
    if value is None:
        return (f"{column} = ?", [ZERO])
    if value == v.ANY:
        return None
    if strict:
        return (f"{column} = ?", [value.lower()])
    return (f"{column} IN (?, ?)", [ZERO, value.lower()])


class Marketplace:
    """One chain's orderbook. ``clock`` is injectable so tests can pin publication times."""

    def __init__(
        self,
        config: MarketServerConfig,
        storage: Storage,
        chain: ChainReader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.storage = storage
        self.chain = chain
        self._clock = clock
        self._write_lock = threading.Lock()
        self.max_open_orders = config.max_open_orders

    # --- auth -------------------------------------------------------------------------------

    def challenge(self, query: Mapping[str, str]) -> dict[str, Any]:
        chain_id = v.chain_id(query, self.config.chain_id)
        if query.get("address") is None:
            raise ValidationError("address is a required field")
        address = v.address("address", query.get("address"))
        current = self.storage.challenge_for(address)
        if current is None:
            value = "".join(secrets.choice(_ALPHANUM) for _ in range(32))
            text = GATEWAY_CHALLENGE_PREFIX + value
            self.storage.save_challenge(address, gateway_challenge_hash(chain_id, text), value)
        else:
            value = current[1]
        return gateway_challenge_payload(chain_id, GATEWAY_CHALLENGE_PREFIX + value)

    def authorize(self, query: Mapping[str, str], authorization: str | None) -> str:
        """Check ``<hash>_<signature>_<address>`` and consume the challenge; return the address.

        Every failure is an AuthError, shown as ``invalid authorization`` (the real API hides
        the cause too); the reason is kept in the exception for logs and tests.
        """
        chain_id = v.chain_id(query, self.config.chain_id)
        if not authorization:
            raise AuthError("missing Authorization, please first sign a challenge")
        parts = authorization.split("_")
        if len(parts) != 3:
            raise AuthError("Authorization check failed")
        hash_, signature, raw_address = parts
        try:
            address = v.address("address", raw_address)
        except ValidationError as exc:
            raise AuthError("Authorization check failed") from exc
        if address == ZERO:
            raise AuthError("Null address")
        with self.storage.locked():
            current = self.storage.challenge_for(address)
            if current is None or current[0] != hash_.lower():
                raise AuthError("Challenge not valid. Need to request a new challenge.")
            text = GATEWAY_CHALLENGE_PREFIX + current[1]
            digest = gateway_challenge_hash(chain_id, text)
            try:
                signer = recover_signer(digest, signature)
            except Exception as exc:
                raise AuthError("Authorization check failed") from exc
            if signer != address.lower():
                raise AuthError("Failed to verify signer, addresses mismatch.")
            self.storage.delete_challenge(address, current[0])
        return address

    # --- reads ------------------------------------------------------------------------------

    def get_order(
        self, kind: v.OrderKind, query: Mapping[str, str], raw_hash: str
    ) -> dict[str, Any]:
        chain_id = v.chain_id(query, self.config.chain_id)
        h = v.bytes32("orderHash", raw_hash)
        rec = self.storage.get_order(kind, h)
        if rec is None:
            raise NotFoundError(f"{kind} not found")
        out = rec.to_json()
        out["chainId"] = str(chain_id)
        return out

    def list_orders(self, kind: v.OrderKind, query: Mapping[str, str]) -> dict[str, Any]:
        v.chain_id(query, self.config.chain_id)
        clauses = self._list_clauses(kind, query)
        page = v.page(query, self.config.default_page_size)
        records, count = self.storage.find_orders(
            kind, clauses, _SORT[kind], skip=page.skip, limit=page.limit
        )
        out: dict[str, Any] = {
            "ok": True,
            "orders": [r.to_json(self.config.chain_id) for r in records],
            "count": count,
        }
        if len(records) == page.limit:
            out["nextPage"] = page.skip + page.limit
        return out

    def _list_clauses(self, kind: v.OrderKind, q: Mapping[str, str]) -> list[tuple[str, list[Any]]]:
        clauses: list[tuple[str, list[Any]]] = [("status = ?", [OPEN])]

        def opt(name: str, parse: Callable[[str, Any], Any]) -> Any:
            raw = q.get(name)
            return None if raw is None else parse(name, raw)

        def flag(name: str) -> bool:
            raw = q.get(name)
            return False if raw is None else v.boolean(name, raw)

        def exact(column: str, value: str | None) -> None:
            if value is not None and value != v.ANY:
                clauses.append((f"{column} = ?", [value.lower()]))

        def restrict(column: str, name: str, strict_name: str | None) -> None:
            strict = flag(strict_name) if strict_name else False
            c = _restrict_clause(column, opt(name, v.address_or_any), strict)
            if c is not None:
                clauses.append(c)

        if kind == "workerpoolorder":
            exact("workerpool", opt("workerpool", v.address_or_any))
            owner = opt("workerpoolOwner", v.address)
            if owner is not None:
                clauses.append(("signer = ?", [owner.lower()]))
            restrict("apprestrict", "app", "isAppStrict")
            restrict("datasetrestrict", "dataset", "isDatasetStrict")
            restrict("requesterrestrict", "requester", "isRequesterStrict")
            category = opt("category", v.positive_int)
            if category is not None:
                clauses.append(("category = ?", [category]))
            min_trust = opt("minTrust", v.positive_int)
            if min_trust is not None and min_trust > 1:
                clauses.append(("trust >= ?", [min_trust]))
        elif kind == "requestorder":
            for name in ("app", "dataset", "requester", "beneficiary"):
                exact(name, opt(name, v.address_or_any))
            restrict("workerpool", "workerpool", "isWorkerpoolStrict")
            category = opt("category", v.positive_int)
            if category is not None:
                clauses.append(("category = ?", [category]))
            max_trust = opt("maxTrust", v.positive_int)
            if max_trust is not None:
                clauses.append(("trust <= ?", [max_trust]))
        else:  # apporder / datasetorder: the resource, its owner, restrictions on the others
            resource = "app" if kind == "apporder" else "dataset"
            value, owner = opt(resource, v.address_or_any), opt(f"{resource}Owner", v.address)
            if value is None and owner is None:
                raise ValidationError(f"{resource} or {resource}Owner is required")
            exact(resource, value)
            if owner is not None:
                clauses.append(("signer = ?", [owner.lower()]))
            for party in ("app", "dataset", "workerpool", "requester"):
                if party != resource:
                    restrict(f"{party}restrict", party, f"is{party.capitalize()}Strict")
        min_volume = opt("minVolume", lambda n, x: v.positive_int(n, x, low=1))
        if min_volume is not None:
            clauses.append(("remaining >= ?", [min_volume]))
        min_tag, max_tag = opt("minTag", v.bytes32), opt("maxTag", v.bytes32)
        if min_tag is not None or max_tag is not None:
            clauses.append(("tag_ok(tag, ?, ?)", [min_tag, max_tag]))
        return clauses

    def deals(self, query: Mapping[str, str]) -> dict[str, Any]:
        v.chain_id(query, self.config.chain_id)
        filters: dict[str, Any] = {}
        category = query.get("category")
        if category is not None:
            filters["category"] = v.positive_int("category", category)
        columns = {
            "requester": "requester",
            "beneficiary": "beneficiary",
            "app": "app",
            "dataset": "dataset",
            "workerpool": "workerpool",
            "appOwner": "app_owner",
            "datasetOwner": "dataset_owner",
            "workerpoolOwner": "workerpool_owner",
        }
        for name, col in columns.items():
            if query.get(name) is not None:
                filters[col] = v.address(name, query[name]).lower()
        hashes = {
            "apporderHash": "app_hash",
            "datasetorderHash": "dataset_hash",
            "workerpoolorderHash": "workerpool_hash",
            "requestorderHash": "request_hash",
        }
        for name, col in hashes.items():
            if query.get(name) is not None:
                filters[col] = v.bytes32(name, query[name])
        page = v.page(query, self.config.default_page_size)
        deals, count = self.storage.find_deals(filters, page.skip, page.limit)
        out: dict[str, Any] = {"ok": True, "deals": deals, "count": count}
        if len(deals) == page.limit:
            out["nextPage"] = page.skip + page.limit
        return out

    def ohlc(self, query: Mapping[str, str]) -> list[list[Any]]:
        """``[[blockTimestamp, workerpool price, volume], ...]`` for the last 100 deals."""
        v.chain_id(query, self.config.chain_id)
        if query.get("category") is None:
            raise ValidationError("category is a required field")
        category = v.positive_int("category", query["category"])
        deals, _ = self.storage.find_deals({"category": category}, 0, 100)
        return [[d["blockTimestamp"], d["workerpool"]["price"], d["volume"]] for d in deals]

    def deal(self, query: Mapping[str, str], dealid: str) -> dict[str, Any]:
        v.chain_id(query, self.config.chain_id)
        found = self.storage.get_deal(v.bytes32("dealid", dealid))
        if found is None:
            raise NotFoundError("deal not found")
        return found

    def categories(self, query: Mapping[str, str]) -> dict[str, Any]:
        v.chain_id(query, self.config.chain_id)
        clauses: list[tuple[str, list[Any]]] = []
        if query.get("catid") is not None:
            clauses.append(("catid = ?", [v.positive_int("catid", query["catid"])]))
        if query.get("minWorkClockTimeRef") is not None:
            low = v.positive_int("minWorkClockTimeRef", query["minWorkClockTimeRef"])
            clauses.append(("work_clock_time_ref >= ?", [low]))
        if query.get("maxWorkClockTimeRef") is not None:
            high = v.positive_int("maxWorkClockTimeRef", query["maxWorkClockTimeRef"])
            clauses.append(("work_clock_time_ref <= ?", [high]))
        page = v.page(query, self.config.default_page_size)
        cats, count = self.storage.find_categories(clauses, page.skip, page.limit)
        out: dict[str, Any] = {"ok": True, "categories": cats, "count": count}
        if len(cats) == page.limit:
            out["nextPage"] = page.skip + page.limit
        return out

    def category(self, query: Mapping[str, str], catid: str) -> dict[str, Any]:
        v.chain_id(query, self.config.chain_id)
        cid = v.positive_int("catid", catid)
        cats, _ = self.storage.find_categories([("catid = ?", [cid])], 0, 1)
        if not cats:
            raise NotFoundError("category not found")
        return cats[0]

    # --- publish ----------------------------------------------------------------------------

    def publish(self, kind: v.OrderKind, body: object, authorized: str) -> dict[str, Any]:
        order = v.signed_order(kind, body)
        with self._write_lock:
            return self._publish(kind, order, authorized).to_json(self.config.chain_id)

    def _publish(self, kind: v.OrderKind, order: dict[str, Any], authorized: str) -> OrderRecord:
        domain = self.chain.domain()
        fields = {k: val for k, val in order.items() if k != "sign"}
        h = order_hash(domain, kind, fields)
        existing = self.storage.get_order(kind, h)
        if existing is not None and existing.status != DEAD:
            raise BusinessError("order already published")
        if kind == "requestorder":
            signer = str(order["requester"])
        else:
            owner = self.chain.owner(_RESOURCE[kind], order[ADDRESS_FIELD[kind]])
            if owner is None:
                raise BusinessError("Resource not deployed")
            signer = owner
        if signer.lower() != authorized.lower():
            raise BusinessError(f"only order signer {signer} can publish an order")
        if not self.chain.verify_signature(signer, h, order["sign"]):
            raise BusinessError("invalid sign")
        if self.storage.count_open_by_signer(kind, signer) >= self.max_open_orders:
            raise BusinessError(
                f"maximun of {self.max_open_orders} published open {kind} "
                f"has been reached for wallet {signer}"
            )
        remaining = int(order["volume"]) - self.chain.consumed(h)
        if remaining <= 0:
            raise BusinessError("order already consumed")
        if kind == "workerpoolorder":
            need = int(order["workerpoolprice"]) * 30 // 100 * remaining
            if self.chain.stake(signer) < need:
                raise BusinessError(
                    "workerpool owner's stake is too low to cover required workerpool lock"
                )
        elif kind == "requestorder":
            cost = (
                int(order["appmaxprice"])
                + int(order["datasetmaxprice"])
                + int(order["workerpoolmaxprice"])
            ) * remaining
            if self.chain.stake(signer) < cost:
                raise BusinessError(
                    "requester stake is too low to cover requestorder payment, "
                    f"minimum stake required is {cost} nRLC"
                )
            self._check_matchable_apporder(order, strict=True)
            if str(order["dataset"]).lower() != ZERO:
                self._check_matchable_datasetorder(order, strict=True)
        now = self._clock()
        stored = {k: val for k, val in order.items()}
        rec = OrderRecord(
            kind=kind,
            order_hash=h,
            order=stored,
            signer=signer,
            status=OPEN,
            remaining=remaining,
            published_at=existing.published_at if existing is not None else now,
            published_iso=existing.published_iso if existing is not None else _iso(now),
        )
        self.storage.save_order(rec)
        return rec

    def _check_matchable_apporder(self, order: Mapping[str, Any], strict: bool) -> bool:
        tee = int(order["tag"], 16) & TEE_BIT != 0
        clauses: list[tuple[str, list[Any]]] = [
            ("status = ?", [OPEN]),
            ("app = ?", [str(order["app"]).lower()]),
            ("workerpoolrestrict IN (?, ?)", [ZERO, str(order["workerpool"]).lower()]),
            ("datasetrestrict IN (?, ?)", [ZERO, str(order["dataset"]).lower()]),
            ("requesterrestrict IN (?, ?)", [ZERO, str(order["requester"]).lower()]),
        ]
        if tee:
            clauses.append(("tag_ok(tag, ?, NULL)", ["0x" + "0" * 63 + "1"]))
        best, _ = self.storage.find_orders(
            "apporder", clauses, "price ASC, published_at ASC", skip=0, limit=1
        )
        if not best:
            if strict:
                raise BusinessError(
                    f"No {'tee enabled ' if tee else ''}apporder published for app {order['app']}"
                )
            return False
        price = int(best[0].order["appprice"])
        if int(order["appmaxprice"]) < price:
            if strict:
                raise BusinessError(
                    f"appmaxprice for app {order['app']} is too low, "
                    f"actual best price is {price} nRLC"
                )
            return False
        return True

    def _check_matchable_datasetorder(self, order: Mapping[str, Any], strict: bool) -> bool:
        clauses: list[tuple[str, list[Any]]] = [
            ("status = ?", [OPEN]),
            ("dataset = ?", [str(order["dataset"]).lower()]),
            ("workerpoolrestrict IN (?, ?)", [ZERO, str(order["workerpool"]).lower()]),
            ("apprestrict IN (?, ?)", [ZERO, str(order["app"]).lower()]),
            ("requesterrestrict IN (?, ?)", [ZERO, str(order["requester"]).lower()]),
        ]
        best, _ = self.storage.find_orders(
            "datasetorder", clauses, "price ASC, published_at ASC", skip=0, limit=1
        )
        if not best:
            if strict:
                raise BusinessError(f"No datasetorder published for dataset {order['dataset']}")
            return False
        price = int(best[0].order["datasetprice"])
        if int(order["datasetmaxprice"]) < price:
            if strict:
                raise BusinessError(
                    f"datasetmaxprice for dataset {order['dataset']} is too low, "
                    f"actual best price is {price} nRLC"
                )
            return False
        return True

    # --- unpublish --------------------------------------------------------------------------

    def unpublish(self, kind: v.OrderKind, body: object, authorized: str) -> list[str]:
        if not isinstance(body, dict):
            body = {}
        target = body.get("target", "unpublish_orderHash")
        if target not in _TARGETS:
            raise ValidationError(
                "target must be one of the following values: " + ", ".join(_TARGETS)
            )
        field = ADDRESS_FIELD[kind]
        if target == "unpublish_orderHash":
            if body.get("orderHash") is None:
                raise ValidationError("orderHash is a required field")
            resource = v.bytes32("orderHash", body["orderHash"])
        else:
            if body.get(field) is None:
                raise ValidationError(f"{field} is a required field")
            resource = v.address(field, body[field])
        with self._write_lock:
            hashes = self._unpublish(kind, target, resource, authorized)
        if kind == "apporder" or kind == "datasetorder":
            self.clean_dependant_requestorders()
        return hashes

    def _unpublish(self, kind: str, target: str, resource: str, signer: str) -> list[str]:
        field = ADDRESS_FIELD[kind]
        if target == "unpublish_orderHash":
            rec = self.storage.get_order(kind, resource)
            if rec is None or rec.status != OPEN:
                raise BusinessError(f"{kind} with orderHash {resource} is not published")
            if rec.signer.lower() != signer.lower():
                raise BusinessError(f"only order signer {rec.signer} can unpublish an order")
            hashes = [rec.order_hash]
        else:
            limit = 1 if target == "unpublish_last" else None
            recs, _ = self.storage.find_orders(
                kind,
                [
                    (f"{field} = ?", [resource.lower()]),
                    ("signer = ?", [signer.lower()]),
                    ("status = ?", [OPEN]),
                ],
                "published_at DESC, order_hash DESC",
                skip=0,
                limit=limit,
            )
            if not recs:
                raise BusinessError(
                    f"no open {kind} published by signer {signer} for {field} {resource}"
                )
            hashes = [r.order_hash for r in recs]
        self.storage.delete_orders(kind, hashes)
        return hashes

    # --- status changes driven by the chain (the watcher) -----------------------------------

    def on_matched(self, order_hashes: Mapping[str, str], block: int) -> list[str]:
        """After ``OrdersMatched``: remaining = min(volume - consumed, previous); 0 -> filled."""
        touched: list[str] = []
        for kind, h in order_hashes.items():
            rec = self.storage.get_order(kind, h)
            if rec is None:
                continue
            consumed = self.chain.consumed(h, block)
            remaining = max(0, min(int(rec.order["volume"]) - consumed, rec.remaining))
            status = FILLED if remaining == 0 else rec.status
            self.storage.update_order(kind, h, status=status, remaining=remaining)
            touched.append(kind)
        return touched

    def on_closed(self, kind: str, h: str) -> bool:
        rec = self.storage.get_order(kind, h)
        if rec is None:
            return False
        self.storage.update_order(kind, h, status=CANCELED, remaining=0)
        return True

    def on_stake_moved(self, account: str) -> list[str]:
        """Orders of ``account`` its stake no longer covers become ``dead`` (cleanBalance...)."""
        dead: list[str] = []
        stake: int | None = None
        pool_orders, _ = self.storage.find_orders(
            "workerpoolorder",
            [("signer = ?", [account.lower()]), ("status = ?", [OPEN]), ("price > 0", [])],
            "published_at ASC",
        )
        requests, _ = self.storage.find_orders(
            "requestorder",
            [("signer = ?", [account.lower()]), ("status = ?", [OPEN])],
            "published_at ASC",
        )
        if pool_orders or requests:
            stake = self.chain.stake(account)
        for rec in pool_orders:
            need = int(rec.order["workerpoolprice"]) * 30 // 100 * rec.remaining
            if stake is not None and stake < need:
                self.storage.update_order(rec.kind, rec.order_hash, status=DEAD)
                dead.append(rec.order_hash)
        for rec in requests:
            o = rec.order
            cost = (
                int(o["appmaxprice"]) + int(o["datasetmaxprice"]) + int(o["workerpoolmaxprice"])
            ) * rec.remaining
            if stake is not None and stake < cost:
                self.storage.update_order(rec.kind, rec.order_hash, status=DEAD)
                dead.append(rec.order_hash)
        return dead

    def on_owner_changed(
        self, resource_kind: ResourceKind, resource: str, old_owner: str
    ) -> list[str]:
        """A registry NFT moved: the old owner's open orders for it are ``dead``."""
        if old_owner.lower() == ZERO:
            return []
        owner = self.chain.owner(resource_kind, resource)
        if owner is not None and owner.lower() == old_owner.lower():
            return []
        kind = {"workerpool": "workerpoolorder", "app": "apporder", "dataset": "datasetorder"}[
            resource_kind
        ]
        recs, _ = self.storage.find_orders(
            kind,
            [
                (f"{resource_kind} = ?", [resource.lower()]),
                ("signer = ?", [old_owner.lower()]),
                ("status = ?", [OPEN]),
            ],
            "published_at ASC",
        )
        for rec in recs:
            self.storage.update_order(kind, rec.order_hash, status=DEAD)
        if kind != "workerpoolorder" and recs:
            self.clean_dependant_requestorders()
        return [r.order_hash for r in recs]

    def clean_dependant_requestorders(self) -> list[str]:
        """Open request orders whose app (or dataset) order is gone at their price -> ``dead``."""
        recs, _ = self.storage.find_orders(
            "requestorder", [("status = ?", [OPEN])], "published_at ASC"
        )
        dead: list[str] = []
        for rec in recs:
            ok = self._check_matchable_apporder(rec.order, strict=False)
            if ok and str(rec.order["dataset"]).lower() != ZERO:
                ok = self._check_matchable_datasetorder(rec.order, strict=False)
            if not ok:
                self.storage.update_order("requestorder", rec.order_hash, status=DEAD)
                dead.append(rec.order_hash)
        return dead

    def record_deal(
        self, args: Mapping[str, Any], block: int, log_index: int, tx_hash: str
    ) -> dict[str, Any]:
        d = self.chain.deal(args["dealid"])
        ts = self.chain.block_timestamp(block)

        def res(t: tuple[str, str, int]) -> dict[str, Any]:
            return {"pointer": t[0], "owner": t[1], "price": t[2]}

        body = {
            "dealid": args["dealid"],
            "chainId": self.config.chain_id,
            "app": res(d.app),
            "dataset": res(d.dataset),
            "workerpool": res(d.workerpool),
            "appHash": args["appHash"],
            "datasetHash": args["datasetHash"],
            "workerpoolHash": args["workerpoolHash"],
            "requestHash": args["requestHash"],
            "requester": d.requester,
            "beneficiary": d.beneficiary,
            "callback": d.callback,
            "params": d.params,
            "volume": int(args["volume"]),
            "category": d.category,
            "tag": d.tag,
            "trust": d.trust,
            "startTime": d.start_time,
            "botFirst": d.bot_first,
            "botSize": d.bot_size,
            "schedulerRewardRatio": d.scheduler_reward_ratio,
            "workerStake": d.worker_stake,
            "blockNumber": block,
            "blockTimestamp": _iso(float(ts)),
            "transactionHash": tx_hash,
        }
        self.storage.save_deal(body, log_index)
        return body

    def record_category(self, args: Mapping[str, Any], block: int, tx_hash: str) -> None:
        ts = self.chain.block_timestamp(block)
        self.storage.save_category(
            {
                "catid": int(args["catid"]),
                "chainId": self.config.chain_id,
                "name": args["name"],
                "description": args["description"],
                "workClockTimeRef": int(args["workClockTimeRef"]),
                "transactionHash": tx_hash,
                "blockNumber": block,
                "blockTimestamp": _iso(float(ts)),
            }
        )

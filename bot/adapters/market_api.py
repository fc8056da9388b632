"""httpx client of the iExec marketplace API, built for unattended use.

It implements ``bot.engine.ports.MarketReader`` and ``bot.engine.ports.MarketWriter`` (plus ``our_orders``,
``categories``, ``unpublish_last``). Everything that can go wrong on the wire is turned into a
``bot.domain.errors`` type here, so nothing above this module ever sees an httpx exception:

    connection refused / connect timeout   -> RequestNotSent (a TransientError; any write may repeat)
    read timeout, dropped connection, 5xx  -> TransientError
    429                                     -> RateLimited (the shared budget holds for Retry-After)
    our own budget would wait too long      -> BudgetExhausted (a TryNextCycle: never retried)
    4xx with the server's message           -> RejectedError (never retried)
    a payload that fails validation         -> MalformedResponse, or the record is dropped and logged
    a payload for another chain / hub       -> NetworkMismatch (a ConfigError: the URL is wrong)

Transient failures are retried by the one retry layer (``bot.adapters.retrying``: tenacity,
jittered exponential backoff, bounded attempts, the current deadline). A Retry-After is capped at
the policy's ``max_retry_after`` before the shared budget holds for it, so one 429 asking for an
hour cannot stop every call (a withdraw included) for an hour: the default cap (20 s) is below
the budget's ``max_wait`` (30 s), so callers wait the hold out.
Writes are serialized per client (one wallet = one challenge at a time, see market-api.md
section 5), each attempt with a fresh challenge checked to be the iExec Gateway login before the
signer sees it. Publish and unpublish are idempotent: "already published" or "not published"
counts as success once ``GET /workerpoolorders/:hash`` confirms the state.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from eth_utils.address import to_checksum_address
from pydantic import BaseModel, ValidationError

from bot.adapters.book_cache import ParsedBook, ParsedOrder
from bot.adapters.chain_match import DealMatch, MatchedRequest, with_request
from bot.adapters.market_guards import (
    OrderHasher,
    book_mismatch,
    nesting_exceeds,
    parse_retry_after,
)
from bot.adapters.market_models import (
    WireAppOrderRecord,
    WireCategory,
    WireDatasetOrderRecord,
    WireDeal,
    WirePage,
    WireRequestOrderRecord,
    WireWorkerpoolOrderRecord,
    challenge_text,
    describe_validation_error,
    error_message,
    to_book_entry,
    to_category,
    to_deal,
    to_listed_app,
    to_listed_dataset,
    to_listed_request,
    to_own_order,
    to_request_view,
    to_signed_order,
)
from bot.adapters.rate_budget import RateBudget
from bot.adapters.retrying import RetryPolicy, call, retryable
from bot.adapters.safe_text import clean_text
from bot.adapters.tls import tls_verify
from bot.domain.errors import (
    ConfigError,
    InputError,
    MalformedResponse,
    NetworkMismatch,
    RateLimited,
    RejectedError,
    RuleViolation,
    TransientError,
)
from bot.domain.fill_orders import FillBook, ListedOrder, RequestOrder
from bot.domain.model import (
    MAX_SAFE_INTEGER,
    ZERO_ADDRESS,
    BookEntry,
    Category,
    Deal,
    MarketStatus,
    OwnOrder,
    RequestOrderView,
    SignedWorkerpoolOrder,
    norm_address,
    norm_bytes32,
    tag_to_bytes32,
)
from bot.domain.networks import Network, local_network
from bot.domain.signing import gateway_challenge_hash
from bot.engine import deadline
from bot.engine.ports import BookQuery, Signer
from bot.pricing.ledger import required_stake

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TIMEOUT",
    "ClientStats",
    "ConsumedOf",
    "MarketApiClient",
    "MatchedRequestsOf",
    "RequestNotSent",
    "SignatureCheck",
    "StakeOf",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_PAGE_SIZE = 1000  # the API's maximum: fewest requests out of the budget
DEFAULT_MAX_PAGES = 50
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_REQUEST_DEADLINE = 60.0  # whole exchange, on top of httpx's per-phase timeouts
MAX_JSON_DEPTH = 32  # the API's answers nest 4 deep
EARLIEST_TIME = 1_483_228_800.0  # 2017-01-01, before any iExec marketplace
FUTURE_SLACK = 86_400.0

ALREADY_PUBLISHED = "order already published"

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

StakeOf = Callable[[str], int]
"""Owner address -> stake (nRLC) the marketplace will see, e.g. ``lambda a: chain.stake(a).free``."""
ConsumedOf = Callable[[str], int]
"""Order hash -> volume already consumed on chain (``viewConsumed``)."""
MatchedRequestsOf = Callable[[Sequence[DealMatch]], Mapping[str, MatchedRequest | None]]
"""Deals -> what each one's request order said (its ``workerpool`` field, its buyer's cap) by deal
id, None if not known; never raises (``bot.adapters.chain.RpcChain.matched_requests``: read from
the match transaction)."""
SignatureCheck = Callable[[SignedWorkerpoolOrder], str | None]
"""A listed order -> None if PoCo would accept its signature, else why not
(``bot.adapters.book_signatures.BookSignatureCheck``)."""


class RequestNotSent(TransientError):
    """The request never reached the server (connection refused, connect timeout): repeating
    any write is safe, even a non-idempotent one."""


@dataclass
class ClientStats:
    """Counters for the journal, the dashboard and the benchmarks."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    def drop(self, route: str) -> None:
        self.dropped[route] = self.dropped.get(route, 0) + 1


def _book_order(p: ParsedOrder) -> tuple[int, float, str]:
    """Cheapest first, then earliest, then by hash (a total order: ties never reorder a tick)."""
    return (p.entry.price, p.entry.published_at, p.entry.order_hash)


def _retryable_unsent(exc: BaseException) -> bool:
    """For writes that must not run twice: retry only what the server surely did not process."""
    return retryable(exc) and isinstance(exc, RequestNotSent | RateLimited)


def _check_count(name: str, value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InputError(name, "must be a non-negative integer", value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _norm_filter(value: str | None, name: str) -> str | None:
    if value is None or value == "any":
        return value
    return norm_address(value, name)


class MarketApiClient:
    """One wallet's view of one marketplace (one chain).

    ``signer`` is only needed for writes. ``hub`` (the PoCo proxy) turns on order-hash checks:
    every listed workerpool order's hash is recomputed and a record whose hash does not match its
    fields is dropped, so a server cannot show the strategy orders that do not exist.
    ``stake_of``/``consumed_of`` let ``publish`` refuse an order the marketplace would reject
    for stake before spending a challenge on it. ``check_signature`` (needs ``hub``) leaves out
    of every book answer the orders whose signature PoCo would refuse at match time.
    ``parsed_book`` replaces the cache of parsed book records (``bot.adapters.book_cache``).
    """

    def __init__(
        self,
        base_url: str,
        chain_id: int,
        *,
        signer: Signer | None = None,
        hub: str | None = None,
        budget: RateBudget | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = DEFAULT_MAX_PAGES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
        stake_of: StakeOf | None = None,
        consumed_of: ConsumedOf | None = None,
        check_signature: SignatureCheck | None = None,
        matched_requests_of: MatchedRequestsOf | None = None,
        parsed_book: ParsedBook | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        write_lock: threading.Lock | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise InputError("market_url", "must start with http:// or https://", base_url)
        if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
            raise InputError("chain_id", "must be a positive integer", chain_id)
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise InputError("page_size", "must be an integer", page_size)
        if not 10 <= page_size <= 1000:
            raise InputError(
                "page_size", "must be between 10 and 1000 (the API's bounds)", page_size
            )
        if max_pages < 1:
            raise InputError("max_pages", "must be >= 1", max_pages)
        if check_signature is not None and hub is None:
            # Verdicts are cached by order hash: only sound when hashes are recomputed.
            raise InputError("check_signature", "needs hub (order hashes checked)")
        self.chain_id = chain_id
        self.base_url = base_url.rstrip("/")
        self._signer = signer
        self._hasher = OrderHasher(local_network(chain_id, hub)) if hub is not None else None
        self._budget = budget if budget is not None else RateBudget(sleep=sleep)
        self._retry = retry if retry is not None else RetryPolicy()
        self._page_size = page_size
        self._max_pages = max_pages
        self._max_body = max_body_bytes
        self._deadline = request_deadline
        self._stake_of = stake_of
        self._consumed_of = consumed_of
        self._check_signature = check_signature
        self._matched_requests_of = matched_requests_of
        self._parsed_book = parsed_book if parsed_book is not None else ParsedBook()
        self._sleep = sleep
        self._clock = clock
        self._write_lock = write_lock if write_lock is not None else threading.Lock()
        self.stats = ClientStats()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            transport=transport,
            headers={"user-agent": "iexec-pricebot", **(headers or {})},
            follow_redirects=False,
            verify=tls_verify(self.base_url),
        )

    @classmethod
    def for_network(
        cls, network: Network, *, verify_hashes: bool = True, **kwargs: Any
    ) -> MarketApiClient:
        """A client for ``network.market_url``, checking order hashes against its hub."""
        return cls(
            network.market_url,
            network.chain_id,
            hub=network.hub if verify_hashes else None,
            **kwargs,
        )

    @property
    def budget(self) -> RateBudget:
        return self._budget

    @property
    def signature_drops(self) -> dict[str, int]:
        """Distinct listed orders left out for a signature PoCo would refuse, by kind."""
        dropped = getattr(self._check_signature, "dropped", None)
        return dict(dropped) if dropped else {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MarketApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport and errors

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One HTTP exchange, budgeted, with every failure translated into ``bot.domain.errors``."""
        where = f"{method} {path}"
        self._budget.acquire(max_wait=deadline.remaining())
        self.stats.requests += 1
        query: dict[str, str | int] = {"chainId": self.chain_id, **(params or {})}
        started = time.monotonic()
        try:
            with self._http.stream(method, path, params=query, json=body, headers=headers) as resp:
                raw = self._read_limited(resp, where, started)
                status = resp.status_code
                retry_after = resp.headers.get("retry-after")
        except httpx.UnsupportedProtocol as exc:
            raise ConfigError(f"market_url {self.base_url!r}: {exc}") from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RequestNotSent(f"{where}: cannot connect ({type(exc).__name__}: {exc})") from None
        except httpx.TimeoutException as exc:
            raise TransientError(f"{where}: timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise TransientError(f"{where}: {type(exc).__name__}: {exc}") from None
        payload = self._decode(raw)
        message = error_message(payload)
        if status == 429:
            self.stats.rate_limited += 1
            asked = parse_retry_after(retry_after)
            delay = None if asked is None else self._retry.retry_after(asked)
            if delay is not None:
                self._budget.hold(delay)
            raise RateLimited(f"{where}: HTTP 429: {message or 'rate limited'}", retry_after=delay)
        if status >= 500:
            shown = message or (clean_text(raw[:1024].decode("utf-8", "replace")) or "no body")
            raise TransientError(f"{where}: HTTP {status}: {shown}")
        if 400 <= status < 500:
            raise RejectedError(message or f"{where} answered without an error message", status)
        if not 200 <= status < 300:
            raise MalformedResponse(where, f"unexpected HTTP {status}")
        if not isinstance(payload, dict) or payload.get("ok") is not True:
            raise MalformedResponse(where, "expected a JSON object with ok: true")
        return payload

    def _read_limited(self, resp: httpx.Response, where: str, started: float) -> bytes:
        """Read the body, refusing one too big or too slow (httpx's read timeout is per chunk,
        so a server dripping a byte every few seconds would otherwise hold a cycle forever)."""
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > self._max_body:
                raise MalformedResponse(where, f"body larger than {self._max_body} bytes")
            if time.monotonic() - started > self._deadline:
                raise TransientError(f"{where}: timed out (answer took over {self._deadline:g}s)")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _decode(raw: bytes) -> object:
        if not raw or nesting_exceeds(raw, MAX_JSON_DEPTH):
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            return None

    def _count_retry(self, attempt: int, exc: BaseException) -> None:
        self.stats.retries += 1

    def _retrying(self, op: Callable[[], T], *, idempotent: bool = True, what: str) -> T:
        # The budget already holds every caller for the (capped) Retry-After: no second wait.
        return call(
            op,
            self._retry,
            what=f"market {what}",
            retry_if=retryable if idempotent else _retryable_unsent,
            sleep=self._sleep,
            on_retry=self._count_retry,
            waits_for_retry_after=False,
        )

    def _get(self, path: str, params: dict[str, str | int] | None = None) -> dict[str, Any]:
        return self._retrying(lambda: self._send("GET", path, params=params), what=f"GET {path}")

    # ------------------------------------------------------------------ validation helpers

    def _drop(self, where: str, ident: object, reason: str) -> None:
        self.stats.drop(where)
        shown = ident if isinstance(ident, int) else clean_text(str(ident), 80)
        log.warning("market: %s: dropped %s: %s", where, shown, reason)

    def _pages(
        self, path: str, params: dict[str, str | int], key: str, model: type[M]
    ) -> Iterator[M]:
        """Every valid item of every page; stops early if the consumer stops iterating."""
        where = f"GET {path}"
        for item in self._items(path, params, key):
            try:
                yield model.model_validate(item)
            except ValidationError as exc:
                self._drop_invalid(where, item, exc)

    def _drop_invalid(self, where: str, item: object, exc: ValidationError) -> None:
        ident = item.get("orderHash") if isinstance(item, dict) else None
        self._drop(where, ident or "an item", describe_validation_error(exc))

    def _items(self, path: str, params: dict[str, str | int], key: str) -> Iterator[object]:
        """Every item of every page, as listed (the page itself checked)."""
        where = f"GET {path}"
        for page_index in range(self._max_pages):
            try:
                payload = self._get(
                    path, {**params, "pageIndex": page_index, "pageSize": self._page_size}
                )
            except RejectedError as exc:
                if exc.status == 404:
                    raise self._not_a_market(path) from exc
                raise
            try:
                page = WirePage.model_validate(payload)
            except ValidationError as exc:
                raise MalformedResponse(where, describe_validation_error(exc)) from None
            items = payload.get(key)
            if not isinstance(items, list):
                raise MalformedResponse(where, f"{key} must be a list")
            if len(items) > self._page_size:
                raise MalformedResponse(
                    where, f"{len(items)} {key} on a page of pageSize {self._page_size}"
                )
            yield from items
            if page.nextPage is None or not items:
                return
        raise MalformedResponse(
            where, f"more than max_pages={self._max_pages} pages of {self._page_size}"
        )

    def _time_problem(self, at: float) -> str | None:
        """A time before iExec existed or more than a day ahead is a made-up record."""
        if not EARLIEST_TIME <= at <= self._clock() + FUTURE_SLACK:
            return f"time {at:.0f} is outside {EARLIEST_TIME}..now+{FUTURE_SLACK:.0f}s"
        return None

    def _not_a_market(self, path: str) -> ConfigError:
        """A list route that does not exist: the URL is not an iExec marketplace API."""
        return ConfigError(
            f"market_url {self.base_url!r}: {path} answers 404; is it an iExec marketplace API"
            " (e.g. https://api.market.arbitrum-mainnet.iex.ec)?"
        )

    def _order_problem(self, rec: WireWorkerpoolOrderRecord) -> str | None:
        if rec.chainId != self.chain_id:
            return f"chainId {rec.chainId}, expected {self.chain_id}"
        late = self._time_problem(rec.publicationTimestamp)
        if late is not None:
            return f"publicationTimestamp: {late}"
        if self._hasher is not None:
            expected = self._hasher(rec.order)
            if expected != rec.orderHash:
                return f"orderHash does not match the order's fields on this hub ({expected})"
        return None

    def _book_params(self, q: BookQuery) -> dict[str, str | int]:
        params: dict[str, str | int] = {}
        if q.workerpool is not None:
            params["workerpool"] = q.workerpool
        if q.workerpool_owner is not None:
            params["workerpoolOwner"] = q.workerpool_owner
        if q.category is not None:
            params["category"] = q.category
        if q.min_tag is not None:
            params["minTag"] = tag_to_bytes32(q.min_tag)
        if q.max_tag is not None:
            params["maxTag"] = tag_to_bytes32(q.max_tag)
        if q.min_trust is not None:
            params["minTrust"] = q.min_trust
        if q.min_volume is not None:
            params["minVolume"] = q.min_volume
        for name, value, strict in (
            ("app", q.app, q.is_app_strict),
            ("dataset", q.dataset, q.is_dataset_strict),
            ("requester", q.requester, q.is_requester_strict),
        ):
            if value is not None:
                params[name] = value
                params[f"is{name.capitalize()}Strict"] = _bool(strict)
        return params

    @staticmethod
    def _normalized(q: BookQuery) -> BookQuery:
        for name, value in (
            ("category", q.category),
            ("min_trust", q.min_trust),
            ("min_volume", q.min_volume),
            ("min_tag", q.min_tag),
            ("max_tag", q.max_tag),
        ):
            _check_count(f"query.{name}", value)
        return BookQuery(
            category=q.category,
            min_tag=q.min_tag,
            max_tag=q.max_tag,
            min_trust=q.min_trust,
            min_volume=q.min_volume,
            workerpool=_norm_filter(q.workerpool, "query.workerpool"),
            workerpool_owner=None
            if q.workerpool_owner is None
            else norm_address(q.workerpool_owner, "query.workerpool_owner"),
            app=_norm_filter(q.app, "query.app"),
            dataset=_norm_filter(q.dataset, "query.dataset"),
            requester=_norm_filter(q.requester, "query.requester"),
            is_app_strict=q.is_app_strict,
            is_dataset_strict=q.is_dataset_strict,
            is_requester_strict=q.is_requester_strict,
        )

    # ------------------------------------------------------------------ reads

    def _parsed(self, where: str, item: object) -> ParsedOrder | None:
        """A listed record parsed and hash-checked, from the cache when it has not changed."""
        parsed = self._parsed_book.get(item)
        if parsed is not None:
            return parsed
        try:
            rec = WireWorkerpoolOrderRecord.model_validate(item)
        except ValidationError as exc:
            self._drop_invalid(where, item, exc)
            return None
        problem = self._order_problem(rec)
        if problem is not None:
            self._drop(where, rec.orderHash, problem)
            return None
        parsed = ParsedOrder(rec, to_book_entry(rec), to_signed_order(rec))
        if self._hasher is not None and isinstance(item, dict):
            # Only a record whose hash was recomputed from its fields may be reused by hash.
            self._parsed_book.put(item, parsed)
        return parsed

    def _book_records(self, query: BookQuery) -> list[ParsedOrder]:
        q = self._normalized(query)
        where = "GET /workerpoolorders"
        seen: set[str] = set()
        out: list[ParsedOrder] = []
        for item in self._items("/workerpoolorders", self._book_params(q), "orders"):
            parsed = self._parsed(where, item)
            if parsed is None:
                continue
            problem = book_mismatch(parsed.entry, q)
            if problem is not None:
                self._drop(where, parsed.entry.order_hash, problem)
                continue
            if parsed.entry.order_hash in seen:  # the book moved between two pages
                continue
            seen.add(parsed.entry.order_hash)
            if self._check_signature is not None and self._check_signature(parsed.signed):
                continue  # counted and logged once by the check, not on every tick
            out.append(parsed)
        out.sort(key=_book_order)
        return out

    def workerpool_orders(self, query: BookQuery) -> list[BookEntry]:
        """Every page of open workerpool orders matching ``query``, cheapest first then earliest."""
        return [p.entry for p in self._book_records(query)]

    def our_orders(self, workerpool: str) -> list[OwnOrder]:
        """Every open order listed for ``workerpool``, restricted ones included, with the full
        signed order (what reconcile needs to cancel a stray one on chain)."""
        pool = norm_address(workerpool, "workerpool")
        query = BookQuery(workerpool=pool, app="any", dataset="any", requester="any")
        return [to_own_order(p.record, p.signed) for p in self._book_records(query)]

    def _order_record(self, order_hash: str) -> WireWorkerpoolOrderRecord | None:
        h = norm_bytes32(order_hash, "order_hash")
        where = "GET /workerpoolorders/:orderHash"
        try:
            payload = self._get(f"/workerpoolorders/{h}")
        except RejectedError as exc:
            if exc.status == 404:
                return None
            raise
        try:
            rec = WireWorkerpoolOrderRecord.model_validate(payload)
        except ValidationError as exc:
            raise MalformedResponse(where, describe_validation_error(exc)) from None
        if rec.orderHash != h:
            raise MalformedResponse(where, f"asked for {h}, got {rec.orderHash}")
        problem = self._order_problem(rec)
        if problem is not None:
            raise MalformedResponse(where, problem)
        return rec

    def workerpool_order(self, order_hash: str) -> BookEntry | None:
        """The order's record in any status (open, filled, canceled, dead); None if not listed."""
        rec = self._order_record(order_hash)
        return None if rec is None else to_book_entry(rec)

    def request_orders(
        self,
        category: int | None = None,
        workerpool: str | None = None,
        *,
        min_volume: int | None = None,
        max_trust: int | None = None,
    ) -> list[RequestOrderView]:
        """Open request orders, highest ``workerpoolmaxprice`` first.

        Without ``workerpool`` the API lists only requests open to any pool. With it, the
        non-strict filter lists requests open to any pool *and* those addressed to that pool
        (restrict in {0x0, pool}, market-api.md 4.5), so one query sees all our demand.
        """
        pool = None if workerpool is None else norm_address(workerpool, "workerpool")
        for name, value in (
            ("category", category),
            ("min_volume", min_volume),
            ("max_trust", max_trust),
        ):
            _check_count(name, value)
        params: dict[str, str | int] = {}
        if category is not None:
            params["category"] = category
        if pool is not None:
            params["workerpool"] = pool
            params["isWorkerpoolStrict"] = "false"
        if min_volume is not None:
            params["minVolume"] = min_volume
        if max_trust is not None:
            params["maxTrust"] = max_trust
        where = "GET /requestorders"
        seen: set[str] = set()
        out: list[RequestOrderView] = []
        for rec in self._pages("/requestorders", params, "orders", WireRequestOrderRecord):
            o = rec.order
            problem = self._time_problem(rec.publicationTimestamp)
            if rec.chainId != self.chain_id:
                problem = f"chainId {rec.chainId}, expected {self.chain_id}"
            elif problem is not None:
                problem = f"publicationTimestamp: {problem}"
            elif rec.status != MarketStatus.OPEN:
                problem = f"status {rec.status} in a list of open orders"
            elif o.workerpool not in (ZERO_ADDRESS, pool):
                problem = f"addressed to workerpool {o.workerpool}, asked for {pool or 'any'}"
            elif category is not None and o.category != category:
                problem = f"category {o.category} but asked for {category}"
            elif min_volume is not None and rec.remaining < min_volume:
                problem = f"remaining {rec.remaining} below minVolume {min_volume}"
            elif max_trust is not None and o.trust > max_trust:
                problem = f"trust {o.trust} above maxTrust {max_trust}"
            if problem is not None:
                self._drop(where, rec.orderHash, problem)
                continue
            if rec.orderHash in seen:
                continue
            seen.add(rec.orderHash)
            out.append(to_request_view(rec))
        out.sort(key=lambda r: (-r.workerpoolmaxprice, r.published_at, r.order_hash))
        return out

    def deals(
        self,
        workerpool: str | None,
        since: float | None = None,
        *,
        category: int | None = None,
        max_items: int = 1000,
    ) -> list[Deal]:
        """Deals of ``workerpool`` (all pools if None), newest first, back to ``since``.

        The API sorts by block number, newest first, so paging stops at the first deal older
        than ``since`` or after ``max_items`` deals: history costs requests.
        """
        pool = None if workerpool is None else norm_address(workerpool, "workerpool")
        params: dict[str, str | int] = {}
        if pool is not None:
            params["workerpool"] = pool
        if category is not None:
            params["category"] = category
        where = "GET /deals"
        seen: set[str] = set()
        out: list[Deal] = []
        matches: dict[str, DealMatch] = {}
        for wire in self._pages("/deals", params, "deals", WireDeal):
            if since is not None and wire.blockTimestamp < since:
                break
            problem = self._time_problem(wire.blockTimestamp)
            if wire.chainId != self.chain_id:
                problem = f"chainId {wire.chainId}, expected {self.chain_id}"
            elif problem is not None:
                problem = f"blockTimestamp: {problem}"
            elif pool is not None and wire.workerpool.pointer != pool:
                problem = f"workerpool {wire.workerpool.pointer} but asked for {pool}"
            elif category is not None and wire.category != category:
                problem = f"category {wire.category} but asked for {category}"
            if problem is not None:
                self._drop(where, wire.dealid, problem)
                continue
            if wire.dealid in seen:
                continue
            seen.add(wire.dealid)
            out.append(to_deal(wire))
            if pool is not None and wire.transactionHash and wire.botFirst is not None:
                matches[wire.dealid] = DealMatch(
                    wire.dealid, wire.transactionHash, wire.botFirst, pool
                )
            if len(out) >= max_items:
                break
        reader = self._matched_requests_of
        if pool is not None and reader is not None:
            # one pool's deals: the request's workerpool field and cap, read on chain from each
            # match transaction the API names (a deal without one stays None: not known)
            found = reader(list(matches.values()))
            out = [with_request(d, found.get(d.deal_id)) for d in out]
        return out

    def categories(self) -> list[Category]:
        """The categories the marketplace indexed from ``CreateCategory`` events, by id."""
        where = "GET /categories"
        found: dict[int, Category] = {}
        for wire in self._pages("/categories", {}, "categories", WireCategory):
            if wire.chainId != self.chain_id:
                self._drop(where, wire.catid, f"chainId {wire.chainId}, expected {self.chain_id}")
                continue
            found[wire.catid] = to_category(wire)
        return [found[k] for k in sorted(found)]

    # ------------------------------------------------------------------ writes

    def _require_signer(self) -> Signer:
        if self._signer is None:
            raise ConfigError("market client has no signer: publishing needs the owner key")
        return self._signer

    def _authorization(self) -> str:
        """Fetch a fresh one-use challenge, check it, sign it: ``<hash>_<signature>_<address>``."""
        signer = self._require_signer()
        address = to_checksum_address(signer.address)
        try:
            payload = self._send("GET", "/challenge", params={"address": address})
        except RejectedError as exc:
            if exc.status == 404:
                raise self._not_a_market("/challenge") from exc
            raise
        text = challenge_text(payload.get("data"), self.chain_id)
        signature = signer.sign_gateway_challenge(self.chain_id, text)
        return f"{gateway_challenge_hash(self.chain_id, text)}_{signature}_{address}"

    def _authed(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        auth = self._authorization()
        return self._send(method, path, body=body, headers={"authorization": auth})

    def _write(
        self, method: str, body: dict[str, Any], *, idempotent: bool = True
    ) -> dict[str, Any]:
        """One authenticated write, retried; a refused challenge is tried once more.

        The API hands out the same unused challenge until it is spent, so another process
        writing with this wallet (an operator running the SDK by hand) can spend ours between
        our GET /challenge and our write: 403 ``invalid authorization``. Authorization is
        checked before anything else, so asking again is safe even for unpublish_last.
        """

        def attempt() -> dict[str, Any]:
            return self._authed(method, "/workerpoolorders", body)

        what = f"{method} /workerpoolorders"
        try:
            return self._retrying(attempt, idempotent=idempotent, what=what)
        except RejectedError as exc:
            if exc.status != 403 or exc.server_message.lower() != "invalid authorization":
                raise
            log.warning("market: %s refused its challenge; asking a fresh one once", method)
            return self._retrying(attempt, idempotent=idempotent, what=what)

    def check_publishable(self, signed: SignedWorkerpoolOrder) -> None:
        """Refuse, before any request, an order the marketplace is bound to reject."""
        o = signed.order
        for name, value in (
            ("workerpoolprice", o.workerpoolprice),
            ("volume", o.volume),
            ("category", o.category),
            ("trust", o.trust),
        ):
            if value > MAX_SAFE_INTEGER:
                raise RuleViolation(
                    "market-safe-integer",
                    f"{name} {value} exceeds 2^53-1, the largest number the marketplace stores",
                )
        if self._stake_of is None or o.workerpoolprice == 0:
            return
        owner = self._require_signer().address
        consumed = self._consumed_of(signed.order_hash) if self._consumed_of is not None else 0
        remaining = o.volume - consumed
        if remaining <= 0:
            raise RuleViolation(
                "market-consumed", f"order {signed.order_hash} is already fully consumed on chain"
            )
        need = required_stake(o.workerpoolprice, remaining)
        have = self._stake_of(owner)
        if have < need:
            raise RuleViolation(
                "market-stake",
                f"owner {owner} stake {have} nRLC is below floor(price x 30 / 100) x remaining"
                f" = {need} nRLC (price {o.workerpoolprice}, remaining {remaining})",
            )

    def _confirm_open(self, signed: SignedWorkerpoolOrder, cause: Exception) -> str:
        """A publish whose answer was lost or "already published": success iff listed open."""
        rec = self._order_record(signed.order_hash)
        if rec is not None and rec.status == MarketStatus.OPEN:
            log.info("market: %s is published (confirmed after: %s)", signed.order_hash, cause)
            return signed.order_hash
        if rec is not None and isinstance(cause, RejectedError):
            raise RejectedError(
                f"{cause.server_message} (status {rec.status}: it cannot be listed again)",
                cause.status,
            ) from cause
        raise cause

    def publish(self, signed: SignedWorkerpoolOrder) -> str:
        """Publish; returns the order hash. "Already published" and open is a success."""
        self.check_publishable(signed)
        order = {**signed.order.fields(), "sign": signed.sign}
        where = "POST /workerpoolorders"
        with self._write_lock:
            try:
                payload = self._write("POST", {"order": order})
            except RejectedError as exc:
                if ALREADY_PUBLISHED in exc.server_message.lower():
                    return self._confirm_open(signed, exc)
                raise
            except MalformedResponse as exc:
                if exc.where != where:
                    raise
                return self._confirm_open(signed, exc)
        try:
            rec = WireWorkerpoolOrderRecord.model_validate(payload.get("published"))
        except ValidationError as exc:
            return self._confirm_open(
                signed, MalformedResponse(where, describe_validation_error(exc))
            )
        if rec.orderHash != signed.order_hash:
            raise NetworkMismatch(
                f"{where}: the marketplace hashed the order as {rec.orderHash}, we signed "
                f"{signed.order_hash}: it serves another chain or hub"
            )
        return signed.order_hash

    @staticmethod
    def _unpublished(payload: dict[str, Any], where: str) -> list[str]:
        hashes = payload.get("unpublished")
        if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
            raise MalformedResponse(where, "unpublished must be a list of order hashes")
        try:
            return [norm_bytes32(h, "unpublished") for h in hashes]
        except InputError as exc:
            raise MalformedResponse(where, str(exc)) from None

    @staticmethod
    def _nothing_to_unpublish(exc: RejectedError) -> bool:
        msg = exc.server_message.lower()
        return exc.status == 404 or "not published" in msg or "not found" in msg

    def unpublish(self, order_hash: str) -> None:
        """Remove from the listing (the order stays valid on chain). Idempotent."""
        h = norm_bytes32(order_hash, "order_hash")
        where = "PUT /workerpoolorders"
        body = {"target": "unpublish_orderHash", "orderHash": h}
        with self._write_lock:
            try:
                payload = self._write("PUT", body)
            except RejectedError as exc:
                if self._nothing_to_unpublish(exc):
                    rec = self._order_record(h)
                    if rec is None or rec.status != MarketStatus.OPEN:
                        return
                raise
        if h not in self._unpublished(payload, where):
            raise MalformedResponse(where, f"the answer does not list {h} as unpublished")

    def unpublish_last(self, workerpool: str) -> str | None:
        """Unpublish our most recently published open order of ``workerpool``; None if none.

        Not idempotent (a repeat would take the next one), so only failures the server surely
        did not act on are retried.
        """
        pool = norm_address(workerpool, "workerpool")
        where = "PUT /workerpoolorders"
        body = {"target": "unpublish_last", "workerpool": pool}
        with self._write_lock:
            try:
                payload = self._write("PUT", body, idempotent=False)
            except RejectedError as exc:
                if "no open workerpoolorder" in exc.server_message.lower():
                    return None
                raise
        hashes = self._unpublished(payload, where)
        if len(hashes) != 1:
            raise MalformedResponse(where, f"unpublish_last answered {len(hashes)} hashes")
        return hashes[0]

    def unpublish_all(self, workerpool: str) -> list[str]:
        """Unpublish every open order we published for ``workerpool``; returns their hashes."""
        pool = norm_address(workerpool, "workerpool")
        where = "PUT /workerpoolorders"
        body = {"target": "unpublish_all", "workerpool": pool}
        with self._write_lock:
            try:
                payload = self._write("PUT", body)
            except RejectedError as exc:
                if "no open workerpoolorder" in exc.server_message.lower():
                    return []
                raise
        return self._unpublished(payload, where)

    # -- fills (bot.pricing.fills): the waiting requests, whole, and the orders they need ------------------

    def _records_ok(self, where: str, rec: Any, pool: str | None) -> bool:
        problem = self._time_problem(rec.publicationTimestamp)
        if rec.chainId != self.chain_id:
            problem = f"chainId {rec.chainId}, expected {self.chain_id}"
        elif problem is not None:
            problem = f"publicationTimestamp: {problem}"
        if problem is not None:
            self._drop(where, rec.orderHash, problem)
            return False
        return True

    def fill_book(self, workerpool: str) -> FillBook:
        """Open request orders open to ``workerpool`` (every field, signed), and the open app
        and dataset orders they name that our pool may use (restrictions checked by bot.pricing.fills).
        """
        pool = norm_address(workerpool, "workerpool")
        params: dict[str, str | int] = {"workerpool": pool, "isWorkerpoolStrict": "false"}
        requests = []
        seen: set[str] = set()
        for rec in self._pages("/requestorders", params, "orders", WireRequestOrderRecord):
            ok = self._records_ok("GET /requestorders", rec, pool)
            if ok and rec.orderHash not in seen and rec.order.workerpool in (ZERO_ADDRESS, pool):
                seen.add(rec.orderHash)
                requests.append(to_listed_request(rec))
        apps, datasets = [], []
        for app in sorted({r.order.app for r in requests}):
            q: dict[str, str | int] = {
                "app": app,
                "workerpool": pool,
                "dataset": "any",
                "requester": "any",
            }
            for arec in self._pages("/apporders", q, "orders", WireAppOrderRecord):
                if self._records_ok("GET /apporders", arec, pool) and arec.order.app == app:
                    apps.append(to_listed_app(arec))
        for ds in sorted({r.order.dataset for r in requests} - {ZERO_ADDRESS}):
            q = {"dataset": ds, "workerpool": pool, "app": "any", "requester": "any"}
            for drec in self._pages("/datasetorders", q, "orders", WireDatasetOrderRecord):
                if self._records_ok("GET /datasetorders", drec, pool) and drec.order.dataset == ds:
                    datasets.append(to_listed_dataset(drec))
        return FillBook(tuple(requests), tuple(apps), tuple(datasets))

    def request(self, order_hash: str) -> ListedOrder[RequestOrder] | None:
        """The request's record as listed now, in any status; None when not listed (an
        unpublished request is deleted from the marketplace)."""
        h = norm_bytes32(order_hash, "order_hash")
        where = "GET /requestorders/:orderHash"
        try:
            payload = self._get(f"/requestorders/{h}")
        except RejectedError as exc:
            if exc.status == 404:
                return None
            raise
        try:
            rec = WireRequestOrderRecord.model_validate(payload)
        except ValidationError as exc:
            raise MalformedResponse(where, describe_validation_error(exc)) from None
        if rec.orderHash != h or rec.chainId != self.chain_id:
            raise MalformedResponse(where, f"asked for {h} on {self.chain_id}, got another")
        return to_listed_request(rec)

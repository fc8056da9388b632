"""JSON-RPC access for the chain adapter: the transport, error translation, retries, fail-over.

**Transport**: plain JSON-RPC 2.0 over httpx (the marketplace client's library, one keep-alive
connection per URL), not web3.py: importing web3 was ~70 % of a ``pricebot once --live``
(issue #20), and the adapter only needs a dozen methods. :class:`Rpc` sends one call or a
batch (several reads in one HTTP round trip, answers matched by id); values stay JSON (hex
strings) and the adapter decodes what it reads with eth-abi.

**Errors**: nothing above the adapter sees an httpx or JSON-RPC exception. Each is mapped by
remedy::

    connection refused / timeout / 5xx / garbled body  -> TransientError  (retried, next RPC)
    HTTP 429, JSON-RPC -32005, "rate limit"             -> RateLimited     (retried, next RPC)
    execution reverted (eth_call / estimateGas)         -> ChainRevert     (never retried)
    any other JSON-RPC error                            -> ChainError      (never retried)

A revert's reason is decoded from the error's data (``Error(string)``, as Solidity encodes
``require`` messages) when the node sends it, else taken from the message without its
"execution reverted" prefix.

Retries are the one retry layer's (``bot.adapters.retrying``: tenacity, jittered exponential
backoff, the current deadline). After a transient failure the pool moves to the next RPC URL;
every URL is verified (chain id, hub domain) before its first use, so a fail-over can never land
on a different network.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from eth_abi.abi import decode

from bot.adapters.retrying import RequestStats, RetryPolicy, call
from bot.adapters.tls import tls_verify
from bot.domain.errors import (
    BotError,
    ChainError,
    ChainRevert,
    InputError,
    RateLimited,
    TransientError,
)

__all__ = [
    "RPC_RETRY",
    "BadResponse",
    "Log",
    "Rpc",
    "RpcError",
    "RpcPool",
    "hex_data",
    "parse_log",
    "quantity",
    "revert_reason",
    "translate",
]

T = TypeVar("T")

_RATE_LIMIT_HINTS = ("rate limit", "too many requests", "exceeded", "capacity")
_TRANSIENT_HINTS = ("timeout", "timed out", "header not found", "try again", "unavailable")
_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)


class RpcError(Exception):
    """A JSON-RPC error object the node answered (HTTP 200): code, message and data."""

    def __init__(self, code: int | None, message: str, data: object = None) -> None:
        self.code = code
        self.message = message
        self.data = data
        super().__init__(message)


class BadResponse(Exception):
    """The node's answer is not JSON-RPC (garbled body, missing id or result)."""


def quantity(value: object) -> int:
    """A JSON-RPC quantity (``"0x1a"``) as an int; BadResponse if it is not one."""
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise BadResponse(f"expected a hex quantity, got {value!r:.60}")


def hex_data(value: object) -> bytes:
    """JSON-RPC data (``"0x..."``) as bytes; BadResponse if it is not hex."""
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise BadResponse(f"expected hex data, got {value!r:.60}")


@dataclass(frozen=True, slots=True)
class Log:
    """One event log as the adapters read it: emitter, topics, data, block, transaction."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    transaction_hash: str = ""  # "" when the node gave none (a pending log)


def parse_log(raw: object) -> Log:
    """A log object of a receipt or of ``eth_getLogs``."""
    if not isinstance(raw, dict):
        raise BadResponse(f"expected a log object, got {raw!r:.60}")
    topics = raw.get("topics")
    if not isinstance(topics, list):
        raise BadResponse("log without topics")
    return Log(
        address=str(raw.get("address", "")).lower(),
        topics=tuple(hex_data(t) for t in topics),
        data=hex_data(raw.get("data", "0x")),
        block_number=quantity(raw.get("blockNumber", "0x0")),
        transaction_hash=str(raw.get("transactionHash") or "").lower(),
    )


class Rpc:
    """One JSON-RPC endpoint: single calls and batches over one httpx client (keep-alive)."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self._client = httpx.Client(
            timeout=timeout_s,
            headers={"content-type": "application/json"},
            verify=tls_verify(url),
        )
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._client.close()

    def _post(self, payload: object) -> object:
        resp = self._client.post(self.url, content=json.dumps(payload).encode())
        resp.raise_for_status()
        try:
            return resp.json()
        except ValueError as exc:
            raise BadResponse(f"not JSON ({exc})") from None

    @staticmethod
    def _result(answer: object) -> Any:
        if not isinstance(answer, dict):
            raise BadResponse(f"not a JSON-RPC answer: {answer!r:.80}")
        error = answer.get("error")
        if error is not None:
            if not isinstance(error, dict):
                raise RpcError(None, str(error))
            code = error.get("code")
            raise RpcError(
                code if isinstance(code, int) else None,
                str(error.get("message", "")),
                error.get("data"),
            )
        if "result" not in answer:
            raise BadResponse(f"no result in {answer!r:.80}")
        return answer["result"]

    def request(self, method: str, params: Sequence[object] = ()) -> Any:
        """One call's result; raises RpcError, BadResponse or an httpx error."""
        return self._result(
            self._post(
                {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
            )
        )

    def batch(self, calls: Sequence[tuple[str, Sequence[object]]]) -> list[Any]:
        """The results of ``calls`` in order, sent as one JSON-RPC batch (one round trip).

        The first failed call raises its RpcError (a batch is a set of reads used together)."""
        out = self.batch_settled(calls)
        for item in out:
            if isinstance(item, RpcError):
                raise item
        return out

    def batch_settled(self, calls: Sequence[tuple[str, Sequence[object]]]) -> list[Any]:
        """Like :meth:`batch`, but a failed call's RpcError takes its place in the list."""
        if not calls:
            return []
        if len(calls) == 1:  # a plain call: the same answer without the batch envelope
            try:
                return [self.request(*calls[0])]
            except RpcError as exc:
                return [exc]
        first = next(self._ids)
        for _ in calls[1:]:
            next(self._ids)
        payload = [
            {"jsonrpc": "2.0", "id": first + i, "method": m, "params": p}
            for i, (m, p) in enumerate(calls)
        ]
        answers = self._post(payload)
        if not isinstance(answers, list):  # a node without batches answers one error object
            self._result(answers)
            raise BadResponse("a batch was answered by one object")
        by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
        missing = [first + i for i in range(len(calls)) if first + i not in by_id]
        if missing:
            raise BadResponse(f"the batch answer lacks ids {missing[:5]}")
        out: list[Any] = []
        for i in range(len(calls)):
            try:
                out.append(self._result(by_id[first + i]))
            except RpcError as exc:
                out.append(exc)
        return out

    # -- the few methods the adapter uses -------------------------------------------------------

    def eth_call(self, to: str, data: str) -> bytes:
        return hex_data(self.request("eth_call", [{"to": to, "data": data}, "latest"]))

    def eth_calls(self, calls: Sequence[tuple[str, str]]) -> list[bytes]:
        """``eth_call`` of each ``(to, data)`` in one batch; the first failure raises."""
        found = self.batch([("eth_call", [{"to": to, "data": d}, "latest"]) for to, d in calls])
        return [hex_data(raw) for raw in found]

    def chain_id(self) -> int:
        return quantity(self.request("eth_chainId"))

    def block_number(self) -> int:
        return quantity(self.request("eth_blockNumber"))

    def get_code(self, address: str) -> bytes:
        return hex_data(self.request("eth_getCode", [address, "latest"]))

    def get_logs(self, query: Mapping[str, object]) -> list[Log]:
        return self.get_logs_many([query])[0]

    def get_logs_many(self, queries: Sequence[Mapping[str, object]]) -> list[list[Log]]:
        """``eth_getLogs`` of each filter, in one batch."""
        out: list[list[Log]] = []
        for found in self.batch([("eth_getLogs", [q]) for q in queries]):
            if not isinstance(found, list):
                raise BadResponse("eth_getLogs did not answer a list")
            out.append([parse_log(entry) for entry in found])
        return out


def _decoded_reason(data: object) -> str | None:
    """The reason in a revert's data: ``Error(string)`` or ``Panic(uint256)``."""
    if not isinstance(data, str) or not data.startswith("0x"):
        return None
    try:
        raw = bytes.fromhex(data[2:])
        if raw[:4] == _ERROR_STRING:
            return str(decode(["string"], raw[4:])[0])
        if raw[:4] == _PANIC:
            return f"Panic({int(decode(['uint256'], raw[4:])[0]):#x})"
    except Exception:  # malformed data: fall back to the message
        return None
    return None


def revert_reason(message: str, data: object = None) -> str:
    """The revert string PoCo gave (``invalid-sender-or-signature``...), without the prefix."""
    decoded = _decoded_reason(data)
    if decoded:
        return decoded
    text = message
    for prefix in ("execution reverted: ", "execution reverted"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text.removeprefix("revert: ").strip() or "no reason given"


def translate(exc: BaseException, what: str) -> BotError:
    """Map a transport exception to the bot's typed errors; ``what`` says which call failed."""
    if isinstance(exc, BotError):
        return exc
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status == 429:
            after = exc.response.headers.get("retry-after")
            try:
                delay = float(after) if after is not None else None
            except ValueError:
                delay = None
            return RateLimited(f"{what}: HTTP 429 from the RPC", delay)
        if status >= 500:
            return TransientError(f"{what}: HTTP {status} from the RPC")
        return ChainError(f"{what}: HTTP {status} from the RPC")
    if isinstance(exc, httpx.TransportError | BadResponse | ConnectionError | TimeoutError):
        return TransientError(f"{what}: {type(exc).__name__}: {exc}")
    if isinstance(exc, RpcError):
        low = exc.message.lower()
        if exc.code == 3 or "revert" in low:
            reason = revert_reason(exc.message, exc.data)
            return ChainRevert(reason, f"{what} reverted: {reason}")
        if exc.code in (-32005, 429) or any(h in low for h in _RATE_LIMIT_HINTS):
            return RateLimited(f"{what}: {exc.message}")
        if any(h in low for h in _TRANSIENT_HINTS):
            return TransientError(f"{what}: {exc.message}")
        return ChainError(f"{what}: {exc.message}")
    return ChainError(f"{what}: {type(exc).__name__}: {exc}")


RPC_RETRY = RetryPolicy(attempts=4, initial_wait=0.25, max_wait=8.0)
"""The RPC pool's default: a shorter first wait than the marketplace's (the next RPC may answer)."""


class RpcPool:
    """A list of RPC URLs used one at a time; moves to the next one after a transient failure.

    ``verify(rpc, url)`` runs once per URL before its first use and may raise NetworkMismatch,
    which is never retried: an RPC that serves another chain is a configuration error.
    """

    def __init__(
        self,
        urls: Sequence[str],
        verify: Callable[[Rpc, str], None],
        *,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not urls:
            raise InputError("rpc_urls", "must list at least one JSON-RPC URL")
        for url in urls:
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise InputError("rpc_urls", "each must be an http(s):// URL", url)
        self._urls = tuple(urls)
        self._rpcs = [Rpc(url, timeout_s=timeout_s) for url in self._urls]
        self._verified: set[int] = set()
        self._index = 0
        self._lock = threading.Lock()
        self._verify = verify
        self._retry = retry or RPC_RETRY
        self._sleep = sleep
        self.stats = RequestStats()  # for /metrics: JSON-RPC calls, retries, 429s

    @property
    def url(self) -> str:
        return self._urls[self._index]

    @property
    def urls(self) -> tuple[str, ...]:
        return self._urls

    def close(self) -> None:
        for rpc in self._rpcs:
            rpc.close()

    def _current(self) -> Rpc:
        with self._lock:
            index = self._index
        rpc = self._rpcs[index]
        if index not in self._verified:
            try:
                self._verify(rpc, self._urls[index])
            except BotError:
                raise
            except Exception as exc:
                raise translate(exc, f"verify {self._urls[index]}") from exc
            with self._lock:
                self._verified.add(index)
        return rpc

    def _fail_over(self, failed_index: int) -> None:
        with self._lock:
            if self._index == failed_index and len(self._urls) > 1:
                self._index = (self._index + 1) % len(self._urls)

    def once(self, what: str, fn: Callable[[Rpc], T]) -> T:
        """One attempt on the current RPC, errors translated; moves on after a transient one."""
        with self._lock:
            index = self._index
        self.stats.requests += 1
        try:
            return fn(self._current())
        except BotError as exc:
            if isinstance(exc, RateLimited):
                self.stats.rate_limited += 1
            if isinstance(exc, TransientError):
                self._fail_over(index)
            raise
        except Exception as exc:
            err = translate(exc, what)
            if isinstance(err, RateLimited):
                self.stats.rate_limited += 1
            if isinstance(err, TransientError):
                self._fail_over(index)
            raise err from exc

    def run(self, what: str, fn: Callable[[Rpc], T]) -> T:
        """``once`` retried with backoff while the failure is transient (reads, idempotent calls)."""
        return call(
            lambda: self.once(what, fn),
            self._retry,
            what=what,
            sleep=self._sleep,
            on_retry=self.stats.on_retry,
        )

"""JSON-RPC access for the chain adapter: error translation, retries and RPC fail-over.

Nothing above the adapter sees a web3 or requests exception. Each is mapped by remedy::

    connection refused / timeout / 5xx / garbled body  -> TransientError  (retried, next RPC)
    HTTP 429, JSON-RPC -32005, "rate limit"             -> RateLimited     (retried, next RPC)
    execution reverted (eth_call / estimateGas)         -> ChainRevert     (never retried)
    any other JSON-RPC error                            -> ChainError      (never retried)

Retries are the one retry layer's (``bot.adapters.retrying``: tenacity, jittered exponential
backoff, the current deadline). After a transient failure the pool moves
to the next RPC URL; every URL is verified (chain id, hub domain) before its first use, so a
fail-over can never land on a different network.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import requests
from web3 import Web3
from web3.exceptions import (
    BadResponseFormat,
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    Web3RPCError,
)

from bot.adapters.retrying import RetryPolicy, call
from bot.domain.errors import (
    BotError,
    ChainError,
    ChainRevert,
    InputError,
    RateLimited,
    TransientError,
)

__all__ = ["RPC_RETRY", "RpcPool", "revert_reason", "translate"]

T = TypeVar("T")

_RATE_LIMIT_HINTS = ("rate limit", "too many requests", "exceeded", "capacity")
_TRANSIENT_HINTS = ("timeout", "timed out", "header not found", "try again", "unavailable")


def revert_reason(exc: ContractLogicError) -> str:
    """The revert string PoCo gave (``invalid-sender-or-signature``...), without web3's prefix."""
    raw = getattr(exc, "message", None) or str(exc)
    text = str(raw)
    for prefix in ("execution reverted: ", "execution reverted"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text.strip() or "no reason given"


def translate(exc: BaseException, what: str) -> BotError:
    """Map a library exception to the bot's typed errors; ``what`` says which call failed."""
    if isinstance(exc, BotError):
        return exc
    if isinstance(exc, ContractLogicError):
        return ChainRevert(revert_reason(exc), f"{what} reverted: {revert_reason(exc)}")
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        if status == 429:
            after = exc.response.headers.get("retry-after") if exc.response is not None else None
            try:
                delay = float(after) if after is not None else None
            except ValueError:
                delay = None
            return RateLimited(f"{what}: HTTP 429 from the RPC", delay)
        if status >= 500:
            return TransientError(f"{what}: HTTP {status} from the RPC")
        return ChainError(f"{what}: HTTP {status} from the RPC")
    if isinstance(
        exc,
        requests.ConnectionError
        | requests.Timeout
        | ProviderConnectionError
        | TimeExhausted
        | BadResponseFormat
        | ConnectionError
        | TimeoutError,
    ):
        return TransientError(f"{what}: {type(exc).__name__}: {exc}")
    if isinstance(exc, Web3RPCError | ValueError):
        message = str(getattr(exc, "message", None) or exc)
        low = message.lower()
        code = _rpc_code(exc)
        if "execution reverted" in low or "revert" in low:
            reason = message.split("reverted", 1)[-1].lstrip(": ").strip() or "no reason given"
            return ChainRevert(reason, f"{what} reverted: {reason}")
        if code in (-32005, 429) or any(h in low for h in _RATE_LIMIT_HINTS):
            return RateLimited(f"{what}: {message}")
        if any(h in low for h in _TRANSIENT_HINTS):
            return TransientError(f"{what}: {message}")
        return ChainError(f"{what}: {message}")
    return ChainError(f"{what}: {type(exc).__name__}: {exc}")


def _rpc_code(exc: BaseException) -> int | None:
    resp = getattr(exc, "rpc_response", None)
    if isinstance(resp, dict):
        err = resp.get("error")
        if isinstance(err, dict) and isinstance(err.get("code"), int):
            return int(err["code"])
    return None


RPC_RETRY = RetryPolicy(attempts=4, initial_wait=0.25, max_wait=8.0)
"""The RPC pool's default: a shorter first wait than the marketplace's (the next RPC may answer)."""


class RpcPool:
    """A list of RPC URLs used one at a time; moves to the next one after a transient failure.

    ``verify(w3, url)`` runs once per URL before its first use and may raise NetworkMismatch,
    which is never retried: an RPC that serves another chain is a configuration error.
    """

    def __init__(
        self,
        urls: Sequence[str],
        verify: Callable[[Web3, str], None],
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
        self._w3 = [
            Web3(
                Web3.HTTPProvider(
                    url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None
                ),
                middleware=[],
            )
            for url in self._urls
        ]
        self._verified: set[int] = set()
        self._index = 0
        self._lock = threading.Lock()
        self._verify = verify
        self._retry = retry or RPC_RETRY
        self._sleep = sleep

    @property
    def url(self) -> str:
        return self._urls[self._index]

    @property
    def urls(self) -> tuple[str, ...]:
        return self._urls

    def _current(self) -> Web3:
        with self._lock:
            index = self._index
        w3 = self._w3[index]
        if index not in self._verified:
            try:
                self._verify(w3, self._urls[index])
            except BotError:
                raise
            except Exception as exc:
                raise translate(exc, f"verify {self._urls[index]}") from exc
            with self._lock:
                self._verified.add(index)
        return w3

    def _fail_over(self, failed_index: int) -> None:
        with self._lock:
            if self._index == failed_index and len(self._urls) > 1:
                self._index = (self._index + 1) % len(self._urls)

    def once(self, what: str, fn: Callable[[Web3], T]) -> T:
        """One attempt on the current RPC, errors translated; moves on after a transient one."""
        with self._lock:
            index = self._index
        try:
            return fn(self._current())
        except BotError as exc:
            if isinstance(exc, TransientError):
                self._fail_over(index)
            raise
        except Exception as exc:
            err = translate(exc, what)
            if isinstance(err, TransientError):
                self._fail_over(index)
            raise err from exc

    def run(self, what: str, fn: Callable[[Web3], T]) -> T:
        """``once`` retried with backoff while the failure is transient (reads, idempotent calls)."""
        return call(lambda: self.once(what, fn), self._retry, what=what, sleep=self._sleep)

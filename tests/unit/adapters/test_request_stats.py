"""The JSON-RPC pool counts what it sends, for the ops surface's HTTP metrics."""

from __future__ import annotations

import pytest

from bot.adapters.chain_rpc import RpcPool
from bot.adapters.retrying import RetryPolicy
from bot.domain.errors import RateLimited, TransientError


def _raise(exc: Exception):
    raise exc


def test_the_rpc_pool_counts_calls_retries_and_429s() -> None:
    pool = RpcPool(
        ("http://127.0.0.1:9",),  # nothing listens: every call fails, transient
        lambda rpc, url: None,
        timeout_s=1.0,
        retry=RetryPolicy(attempts=3, initial_wait=0.0, max_wait=0.0),
        sleep=lambda _s: None,
    )
    with pytest.raises(TransientError):
        pool.run("eth_chainId", lambda rpc: rpc.chain_id())
    assert (pool.stats.requests, pool.stats.retries, pool.stats.rate_limited) == (3, 2, 0)
    with pytest.raises(RateLimited):
        pool.once("eth_call", lambda rpc: _raise(RateLimited("HTTP 429 from the RPC", 1.0)))
    assert (pool.stats.requests, pool.stats.rate_limited) == (4, 1)

"""iExec Core Scheduler ``/metrics`` and ``/actuator/health`` over httpx -> ``PoolUtilization``.

The scheduler is the only source of how busy the pool is. Its JSON changed across versions
(reference core-and-sdk.md A2.2): v9 has ``aliveRegisteredCpu``/``aliveComputingCpu`` (and GPU
twins); v8 and older only ``aliveTotalCpu``/``aliveAvailableCpu``, which map onto them as
registered = total, computing = total - available. The backlog (tasks already bought but not yet
computing) is ``RECEIVED + INITIALIZING + INITIALIZED`` from ``currentTaskStatusesCount`` (v8.3+);
older schedulers do not report it, so it reads 0 there.

A scheduler whose health is not ``UP`` hands no task to any worker (A7), so :meth:`utilization`
reports zero free slots then (computing = registered): selling capacity that cannot start is how
stake gets seized.

Errors leave here as ``bot.domain.errors`` only: timeouts, connection failures and 5xx are
``TransientError`` (429 ``RateLimited``); a 4xx or a payload that is not a PlatformMetric is an
``InputError`` naming the field, because retrying will not fix a wrong URL or a foreign service.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from bot.adapters.retrying import RequestStats, RetryPolicy, call
from bot.adapters.tls import tls_verify
from bot.domain.errors import InputError, RateLimited, TransientError
from bot.domain.model import PoolUtilization
from bot.domain.safe_json import loads_bounded
from bot.engine.ports import Clock

__all__ = ["BACKLOG_STATUSES", "CoreMetrics", "parse_health", "parse_metrics"]

BACKLOG_STATUSES = ("RECEIVED", "INITIALIZING", "INITIALIZED")
DEFAULT_TIMEOUT = 5.0


def _count(payload: dict[str, Any], key: str, *, required: bool) -> int | None:
    value = payload.get(key)
    if value is None:
        if required:
            raise InputError(f"core.metrics.{key}", "is missing from the /metrics payload")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10**9:
        raise InputError(f"core.metrics.{key}", "must be an integer between 0 and 10**9", value)
    return value


def parse_metrics(payload: object, sampled_at: float) -> PoolUtilization:
    """Map a v8 or v9 PlatformMetric JSON object onto ``PoolUtilization``."""
    if not isinstance(payload, dict):
        raise InputError("core.metrics", "must be a JSON object (PlatformMetric)", type(payload))
    registered = _count(payload, "aliveRegisteredCpu", required=False)
    computing = _count(payload, "aliveComputingCpu", required=False)
    if registered is None or computing is None:
        total = _count(payload, "aliveTotalCpu", required=True)
        available = _count(payload, "aliveAvailableCpu", required=True)
        assert total is not None and available is not None
        registered, computing = total, max(0, total - available)
    reg_gpu = _count(payload, "aliveRegisteredGpu", required=False)
    comp_gpu = _count(payload, "aliveComputingGpu", required=False)
    if reg_gpu is None or comp_gpu is None:
        total_gpu = _count(payload, "aliveTotalGpu", required=False) or 0
        avail_gpu = _count(payload, "aliveAvailableGpu", required=False) or 0
        reg_gpu, comp_gpu = total_gpu, max(0, total_gpu - avail_gpu)
    backlog = 0
    statuses = payload.get("currentTaskStatusesCount")
    if statuses is not None:
        if not isinstance(statuses, dict):
            raise InputError("core.metrics.currentTaskStatusesCount", "must be an object", statuses)
        for status in BACKLOG_STATUSES:
            backlog += _count(statuses, status, required=False) or 0
    workers = _count(payload, "aliveWorkers", required=False) or 0
    return PoolUtilization(
        registered_cpu=registered,
        computing_cpu=computing,
        registered_gpu=reg_gpu,
        computing_gpu=comp_gpu,
        backlog=backlog,
        alive_workers=workers,
        sampled_at=sampled_at,
    )


def parse_health(payload: object) -> str:
    """The Spring Boot health status (``UP``, ``DOWN``, ``OUT_OF_SERVICE``, ``UNKNOWN``)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("status"), str):
        raise InputError("core.health.status", "must be a string in a JSON object", payload)
    return str(payload["status"]).upper()


class CoreMetrics:
    """``bot.engine.ports.PoolMetrics`` for a real (or sandbox) iExec Core Scheduler."""

    def __init__(
        self,
        base_url: str,
        clock: Clock,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = RetryPolicy(attempts=3, initial_wait=0.2, max_wait=2.0),
        check_health: bool = True,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._clock = clock
        self._check_health = check_health
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            verify=tls_verify(self.base_url),
        )
        self._retry = retry
        self._sleep = sleep
        self.stats = RequestStats()  # for /metrics: requests, retries, 429s

    def __repr__(self) -> str:
        return f"CoreMetrics({self.base_url!r})"

    def close(self) -> None:
        self._client.close()

    def _get_json(self, path: str) -> object:
        return call(
            lambda: self._get_json_once(path),
            self._retry,
            what=f"core {path}",
            sleep=self._sleep,
            on_retry=self.stats.on_retry,
        )

    def _get_json_once(self, path: str) -> object:
        self.stats.requests += 1
        try:
            response = self._client.get(path, headers={"accept": "application/json"})
        except httpx.TimeoutException as exc:
            raise TransientError(f"core {path}: timed out ({exc})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"core {path}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 429:
            self.stats.rate_limited += 1
            retry_after = response.headers.get("retry-after")
            delay = float(retry_after) if retry_after and retry_after.isdigit() else None
            raise RateLimited(f"core {path}: HTTP 429", delay)
        # Spring answers 503 with the health body when the scheduler is DOWN/OUT_OF_SERVICE.
        if status >= 500 and not (path.endswith("/health") and status == 503):
            raise TransientError(f"core {path}: HTTP {status}")
        if 400 <= status < 500:
            raise InputError("endpoints.core_url", f"{path} answered HTTP {status}", self.base_url)
        try:
            return loads_bounded(response.content)
        except ValueError as exc:
            raise InputError(f"core{path}", "must answer JSON", response.text[:80]) from exc

    def health(self) -> str:
        return parse_health(self._get_json("/actuator/health"))

    def metrics(self) -> PoolUtilization:
        return parse_metrics(self._get_json("/metrics"), self._clock.now())

    def utilization(self) -> PoolUtilization:
        util = self.metrics()
        if self._check_health and self.health() != "UP":
            return PoolUtilization(
                registered_cpu=util.registered_cpu,
                computing_cpu=util.registered_cpu,
                registered_gpu=util.registered_gpu,
                computing_gpu=util.registered_gpu,
                backlog=util.backlog,
                alive_workers=util.alive_workers,
                sampled_at=util.sampled_at,
            )
        return util

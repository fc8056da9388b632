"""The core /metrics adapter: v8 and v9 payloads, backlog, health, error translation."""

from __future__ import annotations

import httpx
import pytest

from bot.adapters.core_metrics import CoreMetrics, parse_metrics
from bot.adapters.retrying import RetryPolicy
from bot.domain.errors import InputError, RateLimited, TransientError
from tests.support.fakes import FakeClock

V9 = {
    "aliveWorkers": 2,
    "aliveComputingCpu": 3,
    "aliveRegisteredCpu": 14,
    "aliveComputingGpu": 1,
    "aliveRegisteredGpu": 2,
    "currentTaskStatusesCount": {
        "RECEIVED": 1,
        "INITIALIZING": 2,
        "INITIALIZED": 1,
        "RUNNING": 3,
        "COMPLETED": 5120,
    },
    "aliveAvailableCpu": 11,
    "aliveTotalCpu": 14,
}
V8 = {"aliveWorkers": 1, "aliveTotalCpu": 6, "aliveAvailableCpu": 2, "completedTasks": 9}


@pytest.mark.parametrize(
    ("payload", "registered", "computing", "gpu", "backlog"),
    [
        (V9, 14, 3, (2, 1), 4),
        (V8, 6, 4, (0, 0), 0),
        ({**V8, "currentTaskStatusesCount": {"INITIALIZED": 5}}, 6, 4, (0, 0), 5),
        ({"aliveTotalCpu": 4, "aliveAvailableCpu": 9}, 4, 0, (0, 0), 0),  # never negative
    ],
)
def test_payload_versions(payload, registered, computing, gpu, backlog):
    u = parse_metrics(payload, 7.0)
    assert (u.registered_cpu, u.computing_cpu) == (registered, computing)
    assert (u.registered_gpu, u.computing_gpu) == gpu
    assert u.backlog == backlog
    assert u.sampled_at == 7.0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "core.metrics"),
        ({"aliveWorkers": 1}, "core.metrics.aliveTotalCpu"),
        ({"aliveRegisteredCpu": -1, "aliveComputingCpu": 0}, "core.metrics.aliveRegisteredCpu"),
        ({"aliveRegisteredCpu": "8", "aliveComputingCpu": 0}, "core.metrics.aliveRegisteredCpu"),
        (
            {"aliveRegisteredCpu": 8, "aliveComputingCpu": 0, "currentTaskStatusesCount": []},
            "core.metrics.currentTaskStatusesCount",
        ),
    ],
)
def test_bad_payloads_name_the_field(payload, field):
    with pytest.raises(InputError) as info:
        parse_metrics(payload, 0.0)
    assert info.value.field == field


def _client(handler, attempts: int = 3):
    return CoreMetrics(
        "http://core.test",
        FakeClock(),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=attempts, initial_wait=0.0, max_wait=0.0),
        sleep=lambda _seconds: None,
    )


def test_healthy_core_gives_its_utilization():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/metrics":
            return httpx.Response(200, json=V9)
        return httpx.Response(200, json={"status": "UP"})

    u = _client(handler).utilization()
    assert u.free_slots == 14 - 3 - 4


def test_out_of_service_core_means_no_free_slot():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/metrics":
            return httpx.Response(200, json=V9)
        return httpx.Response(503, json={"status": "OUT_OF_SERVICE"})

    c = _client(handler)
    assert c.health() == "OUT_OF_SERVICE"
    u = c.utilization()
    assert u.registered_cpu == 14 and u.free_slots == 0


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(500), TransientError),
        (httpx.Response(429, headers={"retry-after": "3"}), RateLimited),
        (httpx.Response(404), InputError),
        (httpx.Response(200, text="<html>"), InputError),
    ],
)
def test_http_errors_are_translated(response, error):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return response

    with pytest.raises(error):
        _client(handler, attempts=2).metrics()
    # only transient failures are retried
    assert len(calls) == (2 if issubclass(error, TransientError) else 1)


def test_hostile_deeply_nested_payload_is_an_error_not_a_crash():
    """py_ecc lifts the recursion limit: a naive json.loads of this would kill the process."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"[" * 200_000 + b"]" * 200_000)

    with pytest.raises(InputError, match="must answer JSON"):
        _client(handler, attempts=1).metrics()


def test_connection_failure_is_transient():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransientError, match="ConnectError"):
        _client(handler, attempts=1).metrics()


def test_against_the_sandbox_core_server_over_loopback():
    from bot.sandbox.pool import CoreMetricsServer, PoolSpec, SimulatedPool

    pool = SimulatedPool(PoolSpec(workers=3, slots_per_worker=2))
    with CoreMetricsServer(pool, lambda: 0.0) as server:
        client = CoreMetrics(server.url, FakeClock())
        try:
            u = client.utilization()
            assert u.registered_cpu == 6
            assert u.free_slots == 6
            assert client.health() == "UP"
        finally:
            client.close()

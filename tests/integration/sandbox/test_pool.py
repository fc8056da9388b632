"""The simulated pool's state machine and the local core /metrics endpoint."""

from __future__ import annotations

import httpx
import pytest

from bot.domain.errors import InputError
from bot.sandbox.pool import TASK_STATUSES, CoreMetricsServer, PoolSpec, SimulatedPool

SPEC = PoolSpec(
    workers=1, slots_per_worker=2, durations={0: 10.0}, duration_sigma=0.0, init_delay=1.0
)


def test_tasks_wait_for_a_free_slot_and_complete_in_order() -> None:
    pool = SimulatedPool(SPEC, start=0.0)
    ids = pool.add_deal("0xd1", category=0, first_index=0, size=3, at=0.0)
    assert len(ids) == 3
    m = pool.metrics(0.5)
    assert m["currentTaskStatusesCount"]["RECEIVED"] == 3
    assert m["aliveComputingCpu"] == 0
    m = pool.metrics(1.0)  # initialized and two of them start at once
    assert m["aliveComputingCpu"] == 2
    assert m["currentTaskStatusesCount"]["INITIALIZED"] == 1
    m = pool.metrics(11.0)  # the first two complete at 11.0, the third takes the freed slot
    assert m["currentTaskStatusesCount"]["COMPLETED"] == 2
    assert m["aliveComputingCpu"] == 1
    m = pool.metrics(21.0)
    assert m["currentTaskStatusesCount"]["COMPLETED"] == 3
    assert m["aliveComputingCpu"] == 0


def test_advance_is_exact_whatever_the_polling_rate() -> None:
    a = SimulatedPool(PoolSpec(workers=2, slots_per_worker=1, seed=7), start=0.0)
    b = SimulatedPool(PoolSpec(workers=2, slots_per_worker=1, seed=7), start=0.0)
    for pool in (a, b):
        pool.add_deal("0xd1", category=0, first_index=0, size=5, at=0.0)
    for t in range(0, 200):
        a.advance(t * 0.5)
    b.advance(99.5)
    assert [(t.status, t.started_at) for t in a.tasks()] == [
        (t.status, t.started_at) for t in b.tasks()
    ]


def test_a_deal_seen_twice_is_queued_once() -> None:
    pool = SimulatedPool(SPEC)
    assert pool.add_deal("0xd1", category=0, first_index=0, size=2, at=0.0)
    assert pool.add_deal("0xd1", category=0, first_index=0, size=2, at=1.0) == []
    assert len(pool.tasks()) == 2
    assert pool.metrics(1.0)["dealsCount"] == 1
    assert pool.metrics(1.0)["dealEventsCount"] == 2


def test_tasks_that_never_get_a_slot_time_out_as_failed() -> None:
    spec = PoolSpec(workers=0, slots_per_worker=1, durations={0: 1.0}, deadline_factor=5.0)
    pool = SimulatedPool(spec)
    pool.add_deal("0xd1", category=0, first_index=0, size=1, at=0.0)
    assert pool.metrics(4.9)["currentTaskStatusesCount"]["FAILED"] == 0
    assert pool.metrics(5.0)["currentTaskStatusesCount"]["FAILED"] == 1


def test_a_task_that_cannot_be_contributed_in_time_fails_at_its_deadline() -> None:
    # PoCo's contribute needs contributionDeadline > now: started in time is not enough
    spec = PoolSpec(
        workers=1, slots_per_worker=1, durations={0: 10.0}, duration_sigma=0.0, deadline_factor=1.5
    )
    pool = SimulatedPool(spec)
    first, second = pool.add_deal("0xd1", category=0, first_index=0, size=2, at=0.0)
    m = pool.metrics(14.9)  # the second started at 11.0 and would end at 21.0, past 15.0
    assert m["aliveComputingCpu"] == 1 and m["currentTaskStatusesCount"]["COMPLETED"] == 1
    m = pool.metrics(15.0)  # aborted at the deadline: failed, slot free
    assert m["aliveComputingCpu"] == 0 and m["currentTaskStatusesCount"]["FAILED"] == 1
    tasks = {t.task_id: t for t in pool.tasks()}
    assert (tasks[second].status, tasks[second].started_at, tasks[second].ended_at) == (
        "FAILED",
        11.0,
        15.0,
    )
    assert tasks[first].status == "COMPLETED"


def test_a_free_slot_takes_the_earliest_deadline_across_categories() -> None:
    spec = PoolSpec(workers=1, slots_per_worker=1, durations={0: 10.0, 1: 40.0}, duration_sigma=0.0)
    pool = SimulatedPool(spec)
    pool.add_deal("0xd0", category=1, first_index=0, size=1, at=0.0)  # runs 1.0 -> 41.0
    (late_deadline,) = pool.add_deal("0xd1", category=1, first_index=0, size=1, at=2.0)
    (early_deadline,) = pool.add_deal("0xd2", category=0, first_index=0, size=1, at=3.0)
    pool.advance(100.0)
    started = {t.task_id: t.started_at for t in pool.tasks()}
    assert started[early_deadline] == 41.0 and started[late_deadline] == 51.0


def test_workers_leaving_stop_new_assignments() -> None:
    pool = SimulatedPool(SPEC)
    pool.set_alive_workers(0, now=0.0)
    pool.add_deal("0xd1", category=0, first_index=0, size=1, at=0.0)
    assert pool.metrics(5.0)["aliveComputingCpu"] == 0
    pool.set_alive_workers(1, now=5.0)
    assert pool.metrics(5.0)["aliveComputingCpu"] == 1


def test_metrics_have_the_v9_keys_and_consistent_v8_aliases() -> None:
    pool = SimulatedPool(PoolSpec(workers=3, slots_per_worker=4))
    pool.add_deal("0xd1", category=0, first_index=0, size=5, at=0.0)
    m = pool.metrics(2.0)
    assert set(m["currentTaskStatusesCount"]) == set(TASK_STATUSES)
    assert m["aliveRegisteredCpu"] == m["aliveTotalCpu"] == 12
    assert m["aliveComputingCpu"] == 5
    assert m["aliveAvailableCpu"] == m["aliveRegisteredCpu"] - m["aliveComputingCpu"]
    assert m["aliveWorkers"] == 3
    for key in ("aliveComputingGpu", "aliveRegisteredGpu", "latestBlockMetric", "dealsCount"):
        assert key in m


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"workers": -1}, "pool.workers"),
        ({"slots_per_worker": 0}, "pool.slots_per_worker"),
        ({"durations": {0: 0.0}}, "pool.durations.0"),
        ({"init_delay": -1.0}, "pool.init_delay"),
    ],
)
def test_bad_spec_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as err:
        PoolSpec(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_http_endpoint_serves_metrics_and_health_on_loopback() -> None:
    pool = SimulatedPool(SPEC)
    now = [0.0]
    with CoreMetricsServer(pool, lambda: now[0]) as server:
        assert server.url.startswith("http://127.0.0.1:")
        pool.add_deal("0xd1", category=0, first_index=0, size=1, at=0.0)
        now[0] = 2.0
        body = httpx.get(server.url + "/metrics").json()
        assert body["aliveComputingCpu"] == 1
        assert httpx.get(server.url + "/actuator/health").json()["status"] == "UP"
        pool.healthy = False
        resp = httpx.get(server.url + "/actuator/health")
        assert resp.status_code == 503
        assert resp.json()["status"] == "OUT_OF_SERVICE"
        assert httpx.get(server.url + "/nope").status_code == 404


def test_non_loopback_host_is_refused() -> None:
    with pytest.raises(InputError):
        CoreMetricsServer(SimulatedPool(SPEC), lambda: 0.0, host="0.0.0.0")


def test_the_bots_core_adapter_reads_the_sandbox_endpoint() -> None:
    """Interop over real HTTP: what the service samples from the sandbox's core."""
    from bot.adapters.core_metrics import CoreMetrics

    pool = SimulatedPool(SPEC)
    now = [0.0]

    class Clock:
        def now(self) -> float:
            return now[0]

    with CoreMetricsServer(pool, lambda: now[0]) as server:
        pool.add_deal("0xd1", category=0, first_index=0, size=3, at=0.0)
        now[0] = 2.0  # two tasks computing, one initialized and waiting
        adapter = CoreMetrics(server.url, Clock())
        try:
            util = adapter.utilization()
            assert (util.registered_cpu, util.computing_cpu, util.alive_workers) == (2, 2, 1)
            assert util.backlog == 1
            assert util.free_slots == 0
            pool.healthy = False  # OUT_OF_SERVICE: the bot must see no free capacity
            assert adapter.utilization().free_slots == 0
            assert adapter.health() == "OUT_OF_SERVICE"
        finally:
            adapter.close()

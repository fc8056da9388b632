"""The scheduled service on the fake world: jobs, error handling, on_exit, warnings."""

from __future__ import annotations

import logging
import time

import pytest
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent

from bot.adapters.journal import SqliteJournal
from bot.app.service import PricebotService, Runtime
from bot.config.schema import config_from_mapping
from bot.config.settings import cycle_settings
from bot.domain.errors import OwnershipError, TransientError
from bot.domain.model import Stake
from strategies import create
from tests.support.fakes import (
    NETWORK,
    POOL,
    RIVAL,
    ChainView,
    FakeSigner,
    FakeWorld,
    rival_order,
)


def make_service(
    tmp_path,
    world: FakeWorld,
    *,
    on_exit="keep",
    live=True,
    schedule=None,
    keep_days=0.0,
    backup: dict[str, object] | None = None,
):
    cfg = config_from_mapping(
        {
            "network": "local",
            "chain_id": NETWORK.chain_id,
            "hub": NETWORK.hub,
            "workerpool": POOL,
            "strategy": {"name": "competitive", "params": {"step": 1000, "floor": 1000}},
            "offers": [{"category": 0, "task_seconds": 300, "max_volume": 10}],
            "rails": {"floor": 1000, "max_step": 0.5},
            "schedule": schedule
            or {
                "sample_seconds": 1,
                "reprice_seconds": 1,
                "reconcile_seconds": 60,
                "record_seconds": 1,
                "misfire_grace_seconds": 7,
            },
            "service": {
                "journal_dir": str(tmp_path),
                "on_exit": on_exit,
                "low_stake_warning": "1 RLC",
                "low_gas_warning_eth": 2.0,
                "journal_keep_days": keep_days,
                **(backup or {}),
            },
        }
    )
    from bot.engine.cycle import CyclePorts, make_executor

    journal = SqliteJournal(tmp_path / "j.sqlite")
    ports = CyclePorts(world.clock, world, world, ChainView(world), FakeSigner(), world, journal)
    settings = cycle_settings(cfg, live=live)
    executor = make_executor(ports, settings)
    runtime = Runtime(
        cfg,
        NETWORK,
        ports,
        settings,
        create("competitive", {"step": 1000, "floor": 1000}),
        executor,
        journal,
        [journal.close],
    )
    return PricebotService(runtime, seed=1)


def test_settings_from_config_carry_the_warnings_and_offers(tmp_path):
    svc = make_service(tmp_path, FakeWorld())
    s = svc.runtime.settings
    assert s.low_stake_nrlc == 10**9
    assert s.low_gas_wei == 2 * 10**18
    assert [(o.category, o.max_volume) for o in s.offers] == [(0, 10)]
    assert s.live is True
    svc.runtime.close()


def test_jobs_are_scheduled_with_the_house_options(tmp_path):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc = make_service(tmp_path, world)
    try:
        svc.start()
        jobs = {j.id: j for j in svc.scheduler.get_jobs()}
        # sample == reprice: no extra job; backup: service.journal_backup_keep defaults to 8
        assert set(jobs) == {"reprice", "reconcile", "record", "backup"}
        for job in jobs.values():
            assert job.max_instances == 1 and job.coalesce is True
            assert job.misfire_grace_time == 7
        assert str(svc.scheduler.timezone) == "UTC"
        deadline = time.time() + 10
        while svc.ticks < 1 and time.time() < deadline:
            time.sleep(0.05)
        assert len(world.listed) == 1
    finally:
        svc.stop()
        svc.runtime.close()
    assert not svc.scheduler.running


def test_ownership_error_in_a_job_stops_the_service_without_on_exit(tmp_path):
    world = FakeWorld()
    svc = make_service(tmp_path, world, on_exit="cancel")
    event = JobExecutionEvent(
        EVENT_JOB_ERROR, "reprice", "default", None, exception=OwnershipError("owned by x")
    )
    svc._on_event(event)
    assert svc.stopped.is_set()
    assert "OwnershipError" in (svc.stop_reason or "")
    svc.stop()
    assert world.calls == []  # no on_exit writes with a key that does not own the pool
    svc.runtime.close()


def test_transient_error_in_a_job_keeps_running(tmp_path, caplog):
    svc = make_service(tmp_path, FakeWorld())
    with caplog.at_level(logging.WARNING):
        svc._on_event(
            JobExecutionEvent(
                EVENT_JOB_ERROR, "reprice", "default", None, exception=TransientError("502")
            )
        )
    assert not svc.stopped.is_set()
    assert any("transient" in r.getMessage() for r in caplog.records)
    svc.runtime.close()


@pytest.mark.parametrize(
    ("on_exit", "listed_after", "closed"),
    [
        ("keep", 1, False),
        ("unpublish", 0, False),
        ("cancel", 0, True),
    ],
)
def test_on_exit(tmp_path, on_exit, listed_after, closed):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc = make_service(tmp_path, world, on_exit=on_exit)
    svc.reconcile()
    svc.reprice()
    (h,) = world.listed
    svc.stop()
    svc.runtime.close()
    assert len(world.listed) == listed_after
    assert (world.consumed.get(h, 0) == 10) is closed


def test_owner_change_found_by_reconcile_stops(tmp_path):
    world = FakeWorld()
    world.owner = RIVAL
    svc = make_service(tmp_path, world)
    with pytest.raises(OwnershipError, match="owner"):
        svc.start()
    assert world.calls == []
    svc.stop()
    svc.runtime.close()


def test_low_stake_and_gas_are_warned(tmp_path, caplog):
    world = FakeWorld(stake_value=Stake(free=10**8, locked=0))
    world.book["r"] = rival_order(100_000)
    svc = make_service(tmp_path, world, live=False)
    with caplog.at_level(logging.WARNING):
        svc.reprice()
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "low stake" in text
    assert "low gas" in text
    svc.runtime.close()


def test_record_job_journals_the_latest_snapshot(tmp_path):
    from bot.adapters.journal import iter_snapshots
    from bot.engine.snapshot_codec import snapshot_from_payload

    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc = make_service(tmp_path, world, live=False)
    result = svc.reprice()
    svc.record()
    svc.runtime.close()
    ((at, payload),) = list(iter_snapshots(tmp_path / "j.sqlite"))
    assert at == result.at
    back = snapshot_from_payload(payload, svc.runtime.settings.offers)
    assert back.book == result.snapshot.book
    assert back.utilization == result.snapshot.utilization
    assert back.stale == result.snapshot.stale


def test_on_exit_failure_is_reported_not_raised(tmp_path, caplog):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc = make_service(tmp_path, world, on_exit="cancel")
    svc.reconcile()
    svc.reprice()
    world.fail_parts.add("book")  # the marketplace is down at shutdown
    with caplog.at_level(logging.ERROR):
        assert svc.stop() is None
    svc.runtime.close()
    assert any("pricebot withdraw" in r.getMessage() for r in caplog.records)


def test_run_forever_with_an_owner_change_at_start_raises_and_writes_nothing(tmp_path):
    world = FakeWorld()
    world.owner = RIVAL
    svc = make_service(tmp_path, world, on_exit="cancel")
    with pytest.raises(OwnershipError):
        svc.run_forever(install_signals=False)
    assert world.calls == []
    svc.runtime.close()


def test_backup_job_backs_up_the_journal_and_keeps_n(tmp_path):
    from bot.adapters.journal_backup import list_backups
    from tests.support.fakes import our_order

    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc = make_service(
        tmp_path, world, backup={"journal_backup_keep": 2, "journal_backup_hours": 1}
    )
    try:
        svc.runtime.journal.record_signed(our_order(5000), 1.0)
        svc.start()
        job = {j.id: j for j in svc.scheduler.get_jobs()}["backup"]
        assert job.trigger.interval.total_seconds() == 3600
        made = [svc.backup() for _ in range(3)]
        kept = list_backups(tmp_path / "backups", svc.runtime.journal.path)
        assert kept == made[1:]
        restored = SqliteJournal(kept[-1], create=False)
        assert our_order(5000).order_hash in {o.order_hash for o in restored.signed_orders()}
        restored.close()
    finally:
        svc.stop()
        svc.runtime.close()


def test_a_failing_backup_is_logged_and_the_service_goes_on(tmp_path, caplog):
    from bot.adapters.journal_backup import JournalBackupFailed

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the backups should go")
    svc = make_service(
        tmp_path, FakeWorld(), backup={"journal_backup_dir": str(blocker / "backups")}
    )
    try:
        with pytest.raises(JournalBackupFailed, match="journal backup of") as info:
            svc.backup()
        assert not list(tmp_path.glob("**/.*partial"))
        event = JobExecutionEvent(EVENT_JOB_ERROR, "backup", "default", None, exception=info.value)
        with caplog.at_level(logging.ERROR):
            svc._on_event(event)
        assert not svc.stopped.is_set()
        assert "journal backup of" in caplog.text
    finally:
        svc.runtime.close()


def test_no_backup_job_with_journal_backup_keep_0(tmp_path):
    svc = make_service(tmp_path, FakeWorld(), backup={"journal_backup_keep": 0})
    try:
        svc.start()
        assert "backup" not in {j.id for j in svc.scheduler.get_jobs()}
    finally:
        svc.stop()
        svc.runtime.close()


def test_prune_job_only_with_journal_keep_days_and_it_prunes_old_history(tmp_path):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc = make_service(tmp_path, world, keep_days=1.0)
    try:
        journal = svc.runtime.journal
        now = world.clock.now()
        journal.record_snapshot(now - 3 * 86_400, {"old": True})
        journal.record_snapshot(now, {"new": True})
        svc.start()
        assert "prune" in {j.id for j in svc.scheduler.get_jobs()}
        deleted = svc.prune()
        assert deleted["snapshots"] == 1
        assert [p for _, p in journal.snapshots()] == [{"new": True}]
    finally:
        svc.stop()
        svc.runtime.close()

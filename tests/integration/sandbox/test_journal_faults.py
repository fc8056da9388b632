"""A journal that cannot be written: the bot publishes nothing it cannot journal first, says so,
and recovers when writes succeed again.

The disk filling up is SQLite's ``max_page_count`` on the bot's own journal connection (the file
cannot grow); a read-only journal is the same file reopened with ``mode=ro`` (chmod does not stop
root). Everything else is real: the service's jobs, the sandbox marketplace and chain. What was
published is read from the marketplace's own record of every posted order.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app.service import PricebotService, Runtime, build_runtime
from bot.config.schema import load_config
from bot.domain.errors import JournalUnwritable
from bot.sandbox.stack import Sandbox, WorldSpec
from tests.integration.sandbox.test_e2e import _Competitor

pytestmark = [pytest.mark.slow, pytest.mark.chain, pytest.mark.xdist_group("sandbox-journal")]

M = 1_000_000
STEP = 1 * M


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    spec = WorldSpec(seed=11, competitors=False, requesters=False)
    with Sandbox(tmp_path_factory.mktemp("journal-world"), spec) as sandbox:
        yield sandbox


@pytest.fixture
def service(
    world: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PricebotService]:
    info = world.info
    assert info is not None
    for name, value in info.bot_env().items():
        monkeypatch.setenv(name, value)
    text = Path(info.config).read_text()
    text = re.sub(r"^journal_dir\s*=.*$", f'journal_dir = "{tmp_path}"', text, flags=re.M)
    config = tmp_path / "pricebot.toml"
    config.write_text(text)
    runtime = build_runtime(load_config(config), live=True)
    svc = PricebotService(runtime, seed=1)
    try:
        yield svc
    finally:
        from bot.app.service import withdraw

        _reopen(runtime, read_only=False)
        runtime.journal._db.execute("PRAGMA max_page_count = 1073741823")
        withdraw(runtime.ports, info.workerpool, svc.cycle.state, runtime.executor, cancel=True)
        runtime.close()
        _Competitor(world).withdraw()


def _posted(world: Sandbox) -> set[str]:
    assert world.info is not None
    db = sqlite3.connect(f"file:{world.state_dir / 'market.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT order_hash FROM posted WHERE workerpool = ?", (world.info.workerpool.lower(),)
        ).fetchall()
    finally:
        db.close()
    return {str(r[0]) for r in rows}


def _listed_prices(world: Sandbox) -> list[int]:
    assert world.info is not None
    db = sqlite3.connect(f"file:{world.state_dir / 'market.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT price FROM orders WHERE workerpool = ? AND status = 'open'",
            (world.info.workerpool.lower(),),
        ).fetchall()
    finally:
        db.close()
    return sorted(int(r[0]) for r in rows)


def _reopen(runtime: Runtime, *, read_only: bool) -> None:
    """Swap the journal's connection for one on the same file, read-only or not."""
    journal = runtime.journal
    with journal._lock:
        journal._db.close()
        if read_only:
            journal._db = sqlite3.connect(
                f"file:{journal.path}?mode=ro",
                uri=True,
                check_same_thread=False,
                isolation_level=None,
            )
        else:
            journal._db = sqlite3.connect(
                str(journal.path), check_same_thread=False, isolation_level=None
            )


def _fill_disk(runtime: Runtime) -> None:
    db = runtime.journal._db
    pages = int(db.execute("PRAGMA page_count").fetchone()[0])
    db.execute(f"PRAGMA max_page_count = {pages}")
    # fill what is left of the last pages, so the next write needs a new page
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for _ in range(10_000):
            db.execute("INSERT INTO decisions (at, payload) VALUES (0, ?)", ("x" * 512,))


@pytest.mark.parametrize("fault", ["disk-full", "read-only"])
def test_nothing_is_published_that_cannot_be_journalled_first(
    world: Sandbox,
    service: PricebotService,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    comp = _Competitor(world)
    comp.post(30 * M)
    service.reconcile()
    service.reprice()
    assert _listed_prices(world) == [30 * M - STEP]
    before = _posted(world)

    runtime = service.runtime
    if fault == "disk-full":
        _fill_disk(runtime)
    else:
        _reopen(runtime, read_only=True)
    comp.post(26 * M)  # the bot wants a new, cheaper order: sign, journal, publish
    caplog.clear()
    said: list[str] = []
    with caplog.at_level(logging.ERROR, logger="pricebot"):
        try:
            service.reprice()
        except JournalUnwritable as exc:  # the tick's own bookkeeping failed: the job says so
            said.append(str(exc))
    said += [r.getMessage() for r in caplog.records if "cannot write" in r.getMessage()]
    assert said, "the journal failure went unreported"
    assert all("nothing is published until it can be journalled first" in m for m in said)
    new = _posted(world) - before
    if fault == "read-only":
        assert new == set()  # the very first write (the signed order) was refused
    # whatever reached the marketplace was journalled first (a full disk may still take a row)
    assert new <= _journal_hashes(runtime)

    if fault == "disk-full":
        runtime.journal._db.execute("PRAGMA max_page_count = 1073741823")
    else:
        _reopen(runtime, read_only=False)
    service.reconcile()
    service.reprice()  # writes succeed again: the bot catches up
    assert _listed_prices(world) == [26 * M - STEP]
    assert _posted(world) - before <= _journal_hashes(runtime)


def _journal_hashes(runtime: Runtime) -> set[str]:
    return {s.order_hash for s in runtime.journal.signed_orders()}


def test_a_read_only_journal_still_closes_a_cheaper_order_after_a_price_rise(
    world: Sandbox, service: PricebotService
) -> None:
    """Unpublish and cancel only lower the risk: they go ahead without the journal."""
    from bot.sandbox.poco import hub_contract, web3_for

    info = world.info
    assert info is not None
    comp = _Competitor(world)
    comp.post(26 * M)
    service.reconcile()
    service.reprice()
    assert _listed_prices(world) == [26 * M - STEP]
    (old,) = _posted(world) & {s.order_hash for s in service.runtime.journal.signed_orders()}
    before = _posted(world)

    _reopen(service.runtime, read_only=True)
    comp.post(30 * M)  # room to rise: the cheaper order must not stay matchable
    with pytest.raises(JournalUnwritable, match="save_strategy_state"):
        service.reprice()  # the tick's bookkeeping fails after its actions, and says so
    hub = hub_contract(web3_for(info.rpc_url), info.hub)
    assert int(hub.functions.viewConsumed(bytes.fromhex(old[2:])).call()) >= 1  # closed
    assert _posted(world) == before  # and nothing new published without the journal
    assert _listed_prices(world) == []

    _reopen(service.runtime, read_only=False)
    service.reconcile()  # the journal learns the order is closed (nothing left on chain)
    service.reprice()
    assert _listed_prices(world) == [30 * M - STEP]
    assert service.runtime.journal.order_state(old) == "closed"

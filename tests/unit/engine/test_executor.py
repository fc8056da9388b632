"""The executor: dry-run, journal-before-publish, no second retry layer, idempotence, cap
re-checks, ownership, deadlines."""

from __future__ import annotations

import pytest

from bot.adapters.journal import MemoryJournal, SqliteJournal
from bot.domain.errors import (
    BudgetExhausted,
    DeadlineExceeded,
    MalformedResponse,
    OwnershipError,
    RateLimited,
    RejectedError,
    TransientError,
)
from bot.domain.model import Cancel, Keep, OwnOrder, PoolUtilization, Publish, Quote, Unpublish
from bot.engine import deadline
from bot.engine.executor import Executor
from bot.pricing.ledger import Ledger
from bot.pricing.snapshot import Offer
from tests.support.fakes import OTHER_KEY, POOL, ChainView, FakeSigner, FakeWorld, our_order


def make(world: FakeWorld, *, live: bool = True, journal=None, signer=None) -> Executor:
    return Executor(
        workerpool=POOL,
        clock=world.clock,
        writer=world,
        chain=ChainView(world),
        signer=signer or FakeSigner(),
        journal=journal if journal is not None else MemoryJournal(keep_records=True),
        live=live,
    )


def own(signed, remaining=None, published=True) -> OwnOrder:
    return OwnOrder(signed, signed.order.volume if remaining is None else remaining, published, 0.0)


def test_dry_run_changes_nothing_and_records_everything():
    world = FakeWorld()
    old = our_order(1000)
    world.listed[old.order_hash] = old
    ex = make(world, live=False)
    report = ex.execute(
        [
            Cancel(old.order_hash, "price increase"),
            Publish(Quote(category=0, price=2000, volume=3), "undercut rival"),
            Keep("0x" + "2" * 64, "kept because within deadband"),
        ],
        [own(old)],
    )
    assert [s.outcome for s in report.steps] == ["dry-run", "dry-run", "kept"]
    assert world.calls == []
    assert old.order_hash in world.listed
    assert ex.journal.signed_orders() == []
    assert [a.outcome for a in ex.journal.action_rows] == ["dry-run", "dry-run"]


def test_publish_journals_the_signed_order_before_the_first_attempt(tmp_path):
    world = FakeWorld()
    journal = SqliteJournal(tmp_path / "j.sqlite")
    seen_in_journal = []
    world.on_publish.append(
        lambda s: seen_in_journal.append(
            s.order_hash in {o.order_hash for o in journal.signed_orders()}
        )
    )
    ex = make(world, journal=journal)
    report = ex.execute([Publish(Quote(category=0, price=1500, volume=4), "r")], [])
    step = report.steps[0]
    assert step.outcome == "ok"
    assert seen_in_journal == [True]
    assert step.order_hash in world.listed
    assert journal.order_state(step.order_hash) == "published"
    assert world.listed[step.order_hash].order.workerpoolprice == 1500
    journal.close()


def test_fresh_salt_for_every_new_order():
    world = FakeWorld()
    ex = make(world)
    q = Quote(category=0, price=1500, volume=4)
    report = ex.execute([Publish(q, "a"), Publish(q, "b")], [])
    hashes = {s.order_hash for s in report.steps}
    assert len(hashes) == 2


@pytest.mark.parametrize(
    "error",
    [
        TransientError("HTTP 503, after the client's own retries"),
        RateLimited("HTTP 429", retry_after=1.0),
        MalformedResponse("POST /workerpoolorders", "published is not an order"),
        BudgetExhausted("request budget: next slot in 40s", retry_after=40.0),
        DeadlineExceeded("POST /workerpoolorders: the cycle deadline has passed"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_what_the_adapter_gave_up_on_is_attempted_once(error: Exception) -> None:
    """The adapters are the one retry layer: the executor records the failure and goes on."""
    world = FakeWorld(publish_failures=[error])
    ex = make(world)
    report = ex.execute(
        [Publish(Quote(category=0, price=1500, volume=4), "r"), Unpublish("0x" + "3" * 64, "u")],
        [],
    )
    assert [s.outcome for s in report.steps] == ["failed", "ok"]
    assert str(error) in report.steps[0].detail
    assert [k for k, _ in world.calls] == ["publish", "unpublish"]
    # Signed is valid on chain: it stays known, and a later republish reuses the same hash.
    (signed,) = ex.journal.signed_orders()
    assert ex.republish(signed, "next cycle").outcome == "ok"
    assert {h for k, h in world.calls if k == "publish"} == {signed.order_hash}


def test_each_write_runs_under_its_own_deadline_inside_the_cycles() -> None:
    seen: list[tuple[str, float]] = []
    world = FakeWorld()
    world.on_publish.append(
        lambda s: seen.append((deadline.current().what, deadline.remaining()))  # type: ignore[union-attr]
    )
    ex = make(world)
    ex.action_deadline_s = 50.0
    ex.execute([Publish(Quote(category=0, price=1500, volume=4), "r")], [])
    with deadline.within(5.0, "cycle"):
        ex.execute([Publish(Quote(category=0, price=1600, volume=4), "r")], [])
    assert deadline.current() is None
    (first, a), (second, b) = seen
    assert first == "publish action" and 49.0 < a <= 50.0
    assert second == "cycle" and 4.0 < b <= 5.0  # the earlier deadline wins


def test_rejections_are_not_retried():
    world = FakeWorld(publish_failures=[RejectedError("invalid sign", 400)])
    ex = make(world)
    report = ex.execute([Publish(Quote(category=0, price=1500, volume=4), "r")], [])
    assert report.steps[0].outcome == "failed"
    assert "invalid sign" in report.steps[0].detail
    assert [k for k, _ in world.calls] == ["publish"]
    # the order was signed, so it stays known (reconcile will close it if needed)
    assert len(ex.journal.signed_orders()) == 1


def test_idempotent_by_order_hash():
    world = FakeWorld()
    ex = make(world)
    signed = our_order(1000)
    ex.republish(signed, "first")
    again = ex.republish(signed, "second")
    assert again.outcome == "ok"
    assert [k for k, _ in world.calls] == ["publish", "publish"]  # market treats it as a no-op
    assert len(world.listed) == 1


def test_cancel_confirms_on_chain():
    world = FakeWorld()
    old = our_order(1000)
    world.listed[old.order_hash] = old
    ex = make(world)
    report = ex.execute([Cancel(old.order_hash, "price increase")], [own(old)])
    assert report.steps[0].outcome == "ok"
    assert world.consumed[old.order_hash] == old.order.volume
    assert ex.journal.order_state(old.order_hash) is None  # closed orders are dropped
    assert [(a.kind, a.outcome) for a in ex.journal.action_rows] == [("cancel", "ok")]


def test_failed_cancel_blocks_the_publish_that_would_break_the_cap():
    world = FakeWorld(cancel_failures=[RejectedError("revert", None)])
    old = our_order(1000, volume=8)
    ex = make(world)
    # one task per slot per window on 10 slots: 10 tasks, 8 of them still held by the old order
    ledger = Ledger.build(
        utilization=PoolUtilization(registered_cpu=10, computing_cpu=0),
        offers=[Offer(category=0, task_seconds=2100, max_volume=100)],
        free_stake=None,
    )
    report = ex.execute(
        [
            Cancel(old.order_hash, "price increase"),
            Publish(Quote(category=0, price=2000, volume=8), "r"),
        ],
        [own(old, published=False)],
        ledger,
    )
    assert [s.outcome for s in report.steps] == ["failed", "skipped"]
    assert "cap" in report.steps[1].detail
    assert world.listed == {}


def test_stake_limit_is_rechecked():
    world = FakeWorld()
    ex = make(world)
    # floor(1000 * 30 / 100) * 10 = 3000 nRLC needed, only 2999 free
    report = ex.execute(
        [Publish(Quote(category=0, price=1000, volume=10), "r")],
        [],
        Ledger.build(utilization=None, offers=(), free_stake=2999),
    )
    assert report.steps[0].outcome == "skipped"
    assert "stake" in report.steps[0].detail


def test_not_owner_stops_before_any_write():
    world = FakeWorld()
    ex = make(world, signer=FakeSigner(OTHER_KEY))
    with pytest.raises(OwnershipError, match="owned by"):
        ex.execute([Publish(Quote(category=0, price=1000, volume=1), "r")], [])
    assert world.calls == []


def test_unpublish_keeps_the_order_valid_on_chain():
    world = FakeWorld()
    old = our_order(3000)
    world.listed[old.order_hash] = old
    ex = make(world)
    report = ex.execute([Unpublish(old.order_hash, "price decrease")], [own(old)])
    assert report.steps[0].outcome == "ok"
    assert old.order_hash not in world.listed
    assert world.consumed.get(old.order_hash, 0) == 0


def _read_only(journal: SqliteJournal) -> None:
    """The journal's file reopened ``mode=ro`` (what a read-only mount or a full disk does)."""
    import sqlite3

    with journal._lock:
        journal._db.close()
        journal._db = sqlite3.connect(
            f"file:{journal.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )


def test_an_unwritable_journal_stops_publishing_but_not_unpublish_and_cancel(tmp_path):
    """Regression (soak, #19): a failed journal write after an unpublish used to abort the plan,
    leaving the cheaper order valid on chain, and escaped as a raw sqlite3 error."""
    world = FakeWorld()
    old = our_order(1000)
    world.listed[old.order_hash] = old
    journal = SqliteJournal(tmp_path / "j.sqlite")
    journal.record_signed(old, 0.0)
    _read_only(journal)
    ex = make(world, journal=journal)
    report = ex.execute(
        [
            Unpublish(old.order_hash, "price increase"),
            Cancel(old.order_hash, "price increase"),
            Publish(Quote(category=0, price=2000, volume=3), "higher price"),
        ],
        [own(old)],
    )
    assert [(s.kind, s.outcome) for s in report.steps] == [
        ("unpublish", "failed"),
        ("cancel", "failed"),
        ("publish", "failed"),
    ]
    assert all("nothing is published until it can be journalled" in s.detail for s in report.steps)
    assert old.order_hash not in world.listed  # unpublished all the same
    assert ChainView(world).consumed(old.order_hash) == old.order.volume  # and closed on chain
    assert [c for c in world.calls if c[0] == "publish"] == []  # nothing new published
    journal.close()


def test_an_unwritable_journal_is_a_named_bot_error(tmp_path):
    from bot.domain.errors import JournalUnwritable

    journal = SqliteJournal(tmp_path / "j.sqlite")
    _read_only(journal)
    with pytest.raises(JournalUnwritable, match=r"j\.sqlite: cannot write \(record_signed"):
        journal.record_signed(our_order(1000), 0.0)
    journal.close()

"""A journal written by release 0.1 opens under this release and the bot carries on from it.

``data/journal-0.1.sqlite`` was written by the 0.1 code (commit c00887a, before the layout move)
with ``data/make_journal_0_1.txt`` (run with PYTHONPATH at that commit): one signed order, a
``bandit`` strategy state after three decisions, a snapshot and a decision.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import strategies
from bot.adapters.journal import MIGRATIONS, SqliteJournal
from bot.domain.networks import get_network
from bot.domain.signing import hash_order
from bot.engine.snapshot_codec import snapshot_from_payload
from tests.support.factories import offer

OLD = Path(__file__).with_name("data") / "journal-0.1.sqlite"
ORDER_HASH = "0x2401daee582e0a635d57cc5945df1bc02a4847cb7efb0bae1282322b552c4d4c"


def test_a_0_1_journal_opens_migrated_with_its_orders_state_and_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    shutil.copy(OLD, path)
    journal = SqliteJournal(path)
    try:
        assert journal.schema_version == len(MIGRATIONS)
        (signed,) = journal.signed_orders()
        assert signed.order_hash == ORDER_HASH
        assert hash_order(get_network("bellecour"), signed.order) == ORDER_HASH
        state = journal.load_strategy_state()
        assert sorted(state) == ["0:0:0", "1:0:0"]
        offers = [offer(0), offer(1)]
        (snap_row,) = list(journal.snapshots())
        snapshot = snapshot_from_payload(snap_row[1], offers)
        assert snapshot.utilization is not None and snapshot.utilization.registered_cpu == 4
        # The strategy picks up where 0.1 left it: the persisted state is accepted, not reset.
        decision = strategies.run_fenced(
            strategies.create("bandit"), snapshot, offers, state, random.Random(1)
        )
        assert not decision.abstain and len(decision.quotes) == 2
        assert journal.last_decision() is not None
    finally:
        journal.close()

"""The soak in small (under a minute): the bot on a detached sandbox under faults, then kill -9.

``make soak`` runs the full one (1,000 cycles, outages, 50 crashes; figures in
docs/RELIABILITY.md). This version runs 50 cycles with 30 % of them faulty (every marketplace,
RPC and core fault kind can be drawn; no outage, no dropped transaction: each costs several
cycles of retries or the wallet's replacement wait), one stuck transaction provoked (a
competitor pushes our price down, then leaves: the bot's cancel waits in anvil's pool; not
asserted, the market may not move our price: docs/RELIABILITY.md), and two
kill -9 rounds in the most dangerous phases (a publish in flight, a cancel transaction pending),
and asserts the independent checker found nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.crash_loop import run_crash_loop
from bot.app.soak import FaultPlan, SoakConfig, open_world, run_soak

pytestmark = [pytest.mark.slow, pytest.mark.chain, pytest.mark.xdist_group("sandbox-soak")]


def test_a_short_soak_and_two_crashes_leave_no_violation(tmp_path: Path) -> None:
    cfg = SoakConfig(cycles=50, seed=3, fault_rate=0.3, outages=False, dropped_txs=0)
    with open_world(tmp_path, seed=3) as world:
        soak = run_soak(world, cfg)
        crash = run_crash_loop(world, crashes=2, seed=3, phases=("mid-publish", "mid-cancel"))
    assert soak.cycles == 50 and not soak.timed_out
    planned = sum(kind is not None for kind in FaultPlan(cfg).kinds)
    assert planned >= 8 and sum(soak.faults.values()) >= planned  # every planned fault armed
    assert soak.violations == [], soak.violations
    assert soak.tick_crashes == []
    assert soak.checker["checks"] == 51
    assert crash.rounds == 2 and crash.ok, crash.to_json()
    assert crash.killed_in["mid-publish"] == 1  # the kill did land with a publish in flight

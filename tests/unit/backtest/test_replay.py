"""Replay's counterfactual fill model: requests that left the book and the recorded pool's deals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.app.cli import app
from bot.backtest.engine import simulate
from bot.backtest.replay import replay_demand, run_replay
from bot.domain.errors import InputError
from bot.domain.model import ZERO_ADDRESS
from bot.sim.scenario import OUR_POOL, load_scenario

HERE = Path(__file__).parent
TINY = HERE / "tiny.toml"
RECORDED = "0x" + "ab" * 20
RIVAL = "0x" + "cd" * 20
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20
APP = "0x" + "ee" * 20

pytestmark = pytest.mark.xdist_group("backtest")


def _request(h: str, remaining: int, *, requester: str = ALICE, pool: str = ZERO_ADDRESS) -> Any:
    return {
        "order_hash": h,
        "requester": requester,
        "app": APP,
        "dataset": ZERO_ADDRESS,
        "workerpool": pool,
        "workerpoolmaxprice": 90,
        "volume": 10,
        "remaining": remaining,
        "category": 0,
        "tag": 0,
        "trust": 0,
        "published_at": 0.0,
    }


def _deal(deal_id: str, at: float, volume: int, *, requester: str, pool: str = RECORDED) -> Any:
    return {
        "deal_id": deal_id,
        "workerpool": pool,
        "price": 40,
        "volume": volume,
        "category": 0,
        "tag": 0,
        "trust": 1,
        "at": at,
        "requester": requester,
        "app": APP,
    }


def _snapshots() -> list[tuple[float, dict[str, Any]]]:
    """t=100: Alice's request (10 left) and a request restricted to the recorded pool; t=200:
    Alice's has 4 left (6 taken, 4 of them by the recorded pool per its deal), the restricted
    one is gone, and Bob matched the recorded pool directly (3 tasks) — a deal with no request.
    Deals are listed again in later snapshots (the sampler's window) and before the first one.
    """
    early = _deal("d0", 50.0, 7, requester=BOB)  # before the replay: not replayed
    alice = _deal("d1", 150.0, 4, requester=ALICE)
    bob = _deal("d2", 160.0, 3, requester=BOB)
    rival = _deal("d3", 170.0, 2, requester=BOB, pool=RIVAL)  # another pool's: not ours to take
    return [
        (
            100.0,
            {
                "workerpool": RECORDED,
                "requests": [_request("r1", 10), _request("r2", 5, pool=RECORDED)],
                "deals": [early],
            },
        ),
        (
            200.0,
            {"workerpool": RECORDED, "requests": [_request("r1", 4)], "deals": [early, alice, bob]},
        ),
        (
            300.0,
            {
                "workerpool": RECORDED,
                "requests": [_request("r1", 4)],
                "deals": [alice, bob, rival],
            },
        ),
    ]


def test_each_observed_task_is_replayed_once() -> None:
    demand = replay_demand(_snapshots())
    got = [
        (i.at, i.requester, i.volume, i.max_price, i.workerpool, i.trust) for i in demand.intents
    ]
    assert got == [
        (150.0, ALICE, 6, 90, ZERO_ADDRESS, 0),  # the request, with its own max price
        (150.0, ALICE, 5, 90, OUR_POOL, 0),  # restricted to the recorded pool -> to us
        (160.0, BOB, 3, 40, ZERO_ADDRESS, 0),  # a direct match: max price = deal price
    ]
    assert demand.as_dict() == {
        "from_requests_tasks": 11,
        "from_recorded_pool_deals_tasks": 3,
        "recorded_pool_deal_tasks_matched_to_requests": 4,
    }


def test_own_deals_modes() -> None:
    captive = replay_demand(_snapshots(), "captive").intents[-1]
    assert (captive.requester, captive.workerpool) == (BOB, OUR_POOL)
    ignored = replay_demand(_snapshots(), "ignore")
    assert [i.requester for i in ignored.intents] == [ALICE, ALICE]
    assert ignored.own_deal_tasks == 0
    with pytest.raises(InputError, match="--own-deals"):
        replay_demand(_snapshots(), "all")  # type: ignore[arg-type]


def test_replay_reproduces_the_recorded_pool_own_deals(tmp_path: Path) -> None:
    """Replaying the recording's own strategy finds about the demand it really served; without
    the recorded pool's deals only the requests that waited in the book are seen."""
    s = load_scenario(TINY)
    journal = tmp_path / "journal.sqlite"
    recorded = simulate(s, "fixed", record=False, journal_path=journal).counters.tasks_matched
    same = run_replay(journal, tmp_path / "a", strategy="fixed", scenario=s)
    ignore = run_replay(journal, tmp_path / "b", strategy="fixed", scenario=s, own_deals="ignore")
    assert ignore["tasks_matched"] < 0.5 * recorded
    assert 0.85 * recorded <= same["tasks_matched"] <= recorded
    seen = same["replayed_demand"]
    assert seen["from_recorded_pool_deals_tasks"] + seen[
        "recorded_pool_deal_tasks_matched_to_requests"
    ] == pytest.approx(recorded, abs=2)
    assert "recorded pool's own deals" in same["fill_model"]
    # a cancel only where the learned run time rose above the owner's task_seconds (tiny's
    # durations: median 240 s, q0.9 about 450 s, against 300 s) and shrank the admitted volume
    assert same["cancels"] <= 3
    assert same["net_revenue_after_gas_nrlc"] == same["revenue_nrlc"] - same["gas_cost_nrlc"]
    # above every recorded deal price, the direct-match demand (max price = deal price) is lost
    dear = run_replay(
        journal, tmp_path / "c", strategy="fixed", params={"prices": {"0": 50_000_000}}, scenario=s
    )
    assert dear["tasks_matched"] <= ignore["tasks_matched"] + seen["from_requests_tasks"]
    assert dear["tasks_matched"] < same["tasks_matched"]

    args = ["backtest", "--replay", str(journal), "--scenario", str(TINY), "--own-deals", "x"]
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "d")])
    assert isinstance(res.exception, InputError) and res.exception.field == "--own-deals"

"""Fills in the simulator (issue #15): publishers wait, our bot fills them at the next tick.

The same cycle as live (bot.engine.cycle) over the simulator's fill ports (bot.sim.sim_fills).
"""

from __future__ import annotations

from pathlib import Path

from bot.backtest.engine import simulate
from bot.backtest.report import make_summary
from bot.sim.agents import RequestIntent
from bot.sim.scenario import Scenario, load_scenario

HERE = Path(__file__).resolve().parent
TINY = load_scenario(HERE / "tiny.toml")
T0 = TINY.origin
REQUESTER = "0x" + "c" * 40
APP = "0x" + "d" * 40


def publisher(at: float, cap: int, volume: int = 1, patience: float = 3600.0) -> RequestIntent:
    return RequestIntent(
        at=at,
        requester=REQUESTER,
        kind="publisher",
        category=0,
        max_price=cap,
        volume=volume,
        app=APP,
        patience_s=patience,
    )


def test_a_waiting_request_is_filled_at_the_next_tick_at_min_cap_listed() -> None:
    # ticks every 60 s; the request starts waiting at +90 s: filled at the +120 s tick
    intents = [publisher(T0 + 90, 40_000_000, 2), publisher(T0 + 200, 22_000_000)]
    times = [T0 + 60 * i for i in range(1, 10)]
    run = simulate(TINY, "fixed", None, 7, intents=intents, record=False, fills=True, times=times)
    assert run.fills is not None
    assert run.fills.fills == 2 and run.fills.fill_tasks == 3
    # fixed lists at 25 mRLC: the 40 mRLC request pays 25 (never more than our offer), the
    # 22 mRLC one pays its cap
    assert run.fills.fill_revenue_nrlc == 2 * 25_000_000 + 22_000_000


def test_fill_deals_happen_at_the_first_tick_after_the_request_waits() -> None:
    from bot.backtest import engine

    seen: list[tuple[float, int]] = []

    def spy(sim: object, t: float) -> None:
        deals = getattr(sim, "our_deals")  # noqa: B009 - the simulator's own record
        seen.append((t, len(deals)))

    intents = [publisher(T0 + 90, 40_000_000)]
    times = [T0 + 60 * i for i in range(1, 6)]
    engine.simulate(
        TINY,
        "fixed",
        None,
        7,
        intents=intents,
        record=False,
        fills=True,
        times=times,
        before_tick=spy,
    )
    # before the +120 s tick no deal; before the +180 s tick the fill's deal is there
    assert seen[:3] == [(T0 + 60, 0), (T0 + 120, 0), (T0 + 180, 1)]


def test_without_fills_nobody_serves_a_publisher_and_the_summary_keeps_its_keys() -> None:
    intents = [publisher(T0 + 90, 40_000_000, 2)]
    times = [T0 + 60 * i for i in range(1, 10)]
    off = simulate(TINY, "fixed", None, 7, intents=intents, record=False, fills=False, times=times)
    on = simulate(TINY, "fixed", None, 7, intents=intents, record=False, fills=True, times=times)
    assert off.fills is None and off.counters.tasks_matched == 0
    assert on.counters.tasks_matched == 2
    s_off = make_summary(TINY, off, None, version={})
    s_on = make_summary(TINY, on, None, version={})
    assert "fills" not in s_off and "match_gas_used" not in s_off
    assert s_on["fills"] == 1 and s_on["fill_tasks"] == 2
    assert s_on["match_gas_used"] == 660_000 and "measured on anvil" in s_on["match_gas_source"]
    # the match gas is in the gas the net figure subtracts
    assert s_on["gas_cost_nrlc"] >= s_on["match_gas_cost_nrlc"] > 0
    assert s_on["net_revenue_after_gas_nrlc"] == s_on["revenue_nrlc"] - s_on["gas_cost_nrlc"]


def test_a_request_below_the_floor_worth_less_than_gas_or_expired_is_not_filled() -> None:
    intents = [
        publisher(T0 + 90, 500_000),  # below rails.floor (1 mRLC)
        publisher(T0 + 95, 10_000_000),  # 10 mRLC < one match's gas here (19.8 mRLC)
        publisher(T0 + 100, 40_000_000, patience=5),  # gone before the next tick
    ]
    times = [T0 + 60 * i for i in range(1, 6)]
    run = simulate(TINY, "fixed", None, 7, intents=intents, record=False, fills=True, times=times)
    assert run.fills is not None and run.fills.fills == 0


def test_a_request_our_fill_took_stays_in_the_strategys_view(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The posted view is the book as without our fills: the request filled at the +120 s tick
    is gone from the marketplace's book but still in what the strategy prices on."""
    from bot.engine import cycle

    views: list[tuple[float, int, int]] = []  # (tick, requests in the book, requests seen)
    real = cycle.posted_view

    def spy(snapshot, memory, policy=None):  # type: ignore[no-untyped-def]
        seen = real(snapshot, memory, policy)
        views.append((snapshot.at, len(snapshot.requests), len(seen.requests)))
        return seen

    monkeypatch.setattr(cycle, "posted_view", spy)
    times = [T0 + 60 * i for i in range(1, 6)]
    run = simulate(
        TINY,
        "demand",
        None,
        7,
        intents=[publisher(T0 + 90, 40_000_000)],
        record=False,
        fills=True,
        times=times,
    )
    assert run.fills is not None and run.fills.fills == 1
    # +120 s: it waits (and is filled); from +180 s the book no longer has it, the view does
    assert views[1] == (T0 + 120, 1, 1)
    assert all((book, seen) == (0, 1) for _, book, seen in views[2:])


def _guarded(on: bool) -> Scenario:
    fills = {"match_gas_cost": 1_000_000, "idle_under_listing": on}
    return TINY.model_copy(update={"bot": {**TINY.bot, "fills": fills}})


def test_the_idle_guard_holds_a_fill_under_the_listing_while_the_pool_is_busy() -> None:
    """``fills.idle_under_listing``: ``fixed`` lists at 25 mRLC on a 2-slot pool. A 22 mRLC
    request (under the listing) waiting while a fill's two tasks hold both slots is filled
    without the key and not with it; on an idle pool it is filled either way."""
    dear = publisher(T0 + 90, 40_000_000, 2)  # filled at the +120 s tick: both slots busy
    cheap = publisher(T0 + 130, 22_000_000, patience=60)  # waits over the +180 s tick only
    times = [T0 + 60 * i for i in range(1, 8)]

    def revenue(on: bool, *intents: RequestIntent) -> int:
        scenario = _guarded(on)
        run = simulate(
            scenario, "fixed", None, 7, intents=list(intents), record=False, fills=True, times=times
        )
        assert run.fills is not None
        return run.fills.fill_revenue_nrlc

    # a busy pool: the fill under the listing is held with the key, made without it
    assert revenue(False, dear, cheap) == 2 * 25_000_000 + 22_000_000
    assert revenue(True, dear, cheap) == 2 * 25_000_000
    # an idle pool: made either way
    assert revenue(True, cheap) == revenue(False, cheap) == 22_000_000

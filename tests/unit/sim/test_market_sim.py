"""The simulator on its own: ports behave like the market and chain, the pool model holds."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.model import ChainOrderStatus, WorkerpoolOrder, tag_to_bytes32
from bot.engine.ports import (
    BookQuery,
    Chain,
    Clock,
    MarketReader,
    MarketWriter,
    PoolMetrics,
    Signer,
)
from bot.sim.agents import RequestIntent
from bot.sim.market_sim import MarketSim
from bot.sim.scenario import OUR_POOL, parse_scenario


def scenario(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "scenario": {"name": "t", "days": 1, "seed": 1},
        "pool": {
            "workers": 1,
            "slots_per_worker": 1,
            "durations": {"0": {"median_s": 100, "sigma": 0}},
        },
        "competitors": [{"name": "rival", "kind": "fixed", "price": 50, "volume": 100}],
        "requesters": [
            {
                "name": "takers",
                "kind": "taker",
                "rate_per_min": 1.0,
                "max_price": {"kind": "fixed", "value": 100},
            }
        ],
    }
    data.update(over)
    return data


def our_order(
    sim: MarketSim, price: int, volume: int = 1000, salt: int = 1, category: int = 0
) -> Any:
    order = WorkerpoolOrder(
        workerpool=OUR_POOL,
        workerpoolprice=price,
        volume=volume,
        tag=tag_to_bytes32(0),
        category=category,
        trust=0,
        salt="0x" + format(salt, "064x"),
    )
    return sim.signer.sign_order(order)


def test_ports_satisfy_the_protocols() -> None:
    sim = MarketSim(parse_scenario(scenario()), seed=1)
    assert isinstance(sim.clock, Clock)
    assert isinstance(sim.market, MarketReader) and isinstance(sim.market, MarketWriter)
    assert isinstance(sim.chain, Chain) and isinstance(sim.signer, Signer)
    assert isinstance(sim.metrics, PoolMetrics)


def test_cheaper_order_wins_and_capacity_limits_service() -> None:
    sim = MarketSim(parse_scenario(scenario()), seed=1)
    signed = our_order(sim, 40)
    sim.market.publish(signed)
    sim.advance(sim.clock.now() + 3600)
    c = sim.counters
    # one slot, 100 s tasks, 35 min deadline: about 36 served per hour, the rest fail
    assert 30 <= c.tasks_served <= 40
    assert c.tasks_matched > c.tasks_served
    assert c.revenue == 40 * c.tasks_served
    assert sim.chain.consumed(signed.order_hash) == c.tasks_matched
    assert sim.chain.order_status(signed) is ChainOrderStatus.PARTIAL
    util = sim.metrics.utilization()
    assert util.registered_cpu == 1 and util.computing_cpu == 1 and util.backlog > 0
    sim.drain()
    assert c.tasks_served + c.tasks_failed == c.tasks_matched
    assert c.stake_lost == (40 * 30 // 100) * c.tasks_failed
    assert sim.stake_locked == 0


def test_dearer_order_loses_and_book_is_sorted() -> None:
    sim = MarketSim(parse_scenario(scenario()), seed=1)
    sim.market.publish(our_order(sim, 60))
    sim.advance(sim.clock.now() + 600)
    assert sim.counters.tasks_matched == 0
    book = sim.market.workerpool_orders(BookQuery(category=0))
    assert [e.price for e in book] == [50, 60]


def test_unpublished_order_only_taken_by_adversary_and_cancel_closes() -> None:
    data = scenario()
    data["requesters"][0]["adversarial_share"] = 1.0
    sim = MarketSim(parse_scenario(data), seed=1)
    signed = our_order(sim, 10)
    sim.market.publish(signed)
    sim.market.unpublish(signed.order_hash)
    assert sim.market.workerpool_orders(BookQuery(workerpool=OUR_POOL)) == []
    sim.advance(sim.clock.now() + 600)
    assert sim.counters.tasks_matched_hidden > 0
    out = sim.chain.cancel(signed)
    assert not out.already_closed and sim.chain.order_status(signed) is ChainOrderStatus.CLOSED
    assert sim.chain.cancel(signed).already_closed
    assert sim.counters.cancels == 1 and sim.counters.gas_used > 0
    before = sim.counters.tasks_matched
    sim.advance(sim.clock.now() + 600)
    assert sim.counters.tasks_matched == before


def test_stake_limits_matches_and_api_is_counted() -> None:
    data = scenario()
    data["pool"]["stake_nrlc"] = 30  # one task at price 100 locks 30
    data["competitors"] = []
    sim = MarketSim(parse_scenario(data), seed=1)
    sim.market.publish(our_order(sim, 100))
    sim.advance(sim.clock.now() + 120)
    assert sim.counters.tasks_matched == 1
    assert sim.counters.api_requests == 2 and sim.counters.api_max_per_min == 2


def test_same_seed_same_market() -> None:
    def run(seed: int) -> tuple[int, int]:
        sim = MarketSim(parse_scenario(scenario()), seed=seed)
        sim.market.publish(our_order(sim, 40))
        sim.advance(sim.clock.now() + 7200)
        return sim.counters.tasks_matched, sim.counters.tasks_served

    assert run(3) == run(3)


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"pool": {"workers": -1}}, "pool.workers"),
        ({"pool": {"colour": 1}}, "pool.colour"),
        ({"competitors": [{"name": "x", "kind": "fixed"}]}, "competitors[0]"),
    ],
)
def test_scenario_errors_name_the_key(patch: dict[str, Any], where: str) -> None:
    from bot.domain.errors import InputError

    with pytest.raises(InputError) as info:
        parse_scenario(scenario(**patch), "x.toml")
    assert where in str(info.value)


def test_capacity_drop_requeues_running_tasks() -> None:
    data = scenario()
    data["pool"]["workers"] = 3
    data["pool"]["capacity_changes"] = [{"at_h": 0.5, "workers": 1}, {"at_h": 1.5, "workers": 3}]
    data["competitors"] = []
    sim = MarketSim(parse_scenario(data), seed=1)
    sim.market.publish(our_order(sim, 40))
    t0 = sim.clock.now()
    seen = []
    for minute in range(1, 150):
        sim.advance(t0 + 60 * minute)
        u = sim.metrics.utilization()
        assert u.computing_cpu <= u.registered_cpu
        seen.append(u.registered_cpu)
    assert {3, 1} <= set(seen) and seen[-1] == 3
    sim.drain()
    c = sim.counters
    assert c.tasks_served + c.tasks_failed == c.tasks_matched


# -- the pool as the core schedules it (core-and-sdk.md A9.3) and PoCo's contribution deadline -----

PRICE = 10  # every task below locks 3 of stake


def fixed_duration(seconds: float) -> dict[str, float]:
    return {"median_s": seconds, "sigma": 0, "min_s": seconds, "max_s": seconds}


def pool_sim(
    pool: dict[str, Any], arrivals: list[tuple[float, int, int]], **scenario_keys: Any
) -> MarketSim:
    """Our pool alone: ``arrivals`` = (seconds after the start, category, tasks), each taken at
    once by our order of that category; no competitor, plenty of stake."""
    data: dict[str, Any] = {
        "scenario": {"name": "pool", "days": 1},
        "pool": {"workers": 1, "slots_per_worker": 1, **pool},
        **scenario_keys,
    }
    s = parse_scenario(data)
    intents = [
        RequestIntent(
            at=s.origin + at,
            requester="0x" + "ab" * 20,
            kind="taker",
            category=cat,
            max_price=PRICE,
            volume=n,
        )
        for at, cat, n in arrivals
    ]
    sim = MarketSim(s, seed=1, intents=intents)
    for cat in sorted({cat for _, cat, _ in arrivals}):
        sim.market.publish(our_order(sim, PRICE, category=cat, salt=cat + 1))
    return sim


def test_a_task_contributed_after_its_deadline_fails_and_frees_its_slot_at_the_deadline() -> None:
    # XS: contribution deadline 35 min = 2100 s after the match; every task runs 1500 s
    sim = pool_sim({"durations": {"0": fixed_duration(1500)}}, [(0, 0, 2)])
    t0, c = sim.clock.now(), sim.counters
    sim.advance(t0 + 2000)  # the second task started at 1500 s although it cannot end by 2100 s
    assert (c.tasks_served, c.tasks_failed) == (1, 0)
    assert sim.metrics.utilization().computing_cpu == 1
    sim.advance(t0 + 2101)  # the core aborted it at the deadline: slot free, stake forfeited
    assert sim.metrics.utilization().computing_cpu == 0
    assert (c.tasks_served, c.tasks_failed, c.tasks_failed_deadline) == (1, 1, 1)
    assert c.stake_lost == c.stake_lost_deadline == PRICE * 30 // 100
    assert c.tasks_failed_capacity_drop == c.tasks_failed_random == 0
    assert c.busy_slot_seconds == 2100


def test_a_free_slot_takes_the_earliest_contribution_deadline_across_categories() -> None:
    durations = {"0": fixed_duration(600), "1": fixed_duration(600)}
    # an S task (deadline +8400 s) matched before an XS task (deadline +2100 s): XS runs first
    sim = pool_sim({"durations": durations}, [(0, 0, 1), (10, 1, 1), (20, 0, 1)])
    t0 = sim.clock.now()
    sim.advance(t0 + 1201)
    assert sim.counters.revenue_by_category == {0: 2 * PRICE}
    sim.drain()
    assert sim.counters.revenue_by_category == {0: 2 * PRICE, 1: PRICE}


def test_a_task_that_lost_its_worker_goes_first_and_failures_are_counted_by_cause() -> None:
    pool = {
        "workers": 2,
        "durations": {"0": fixed_duration(300), "1": fixed_duration(1000)},
        "capacity_changes": [{"at_h": 0.1, "workers": 1}],  # at 360 s
    }
    # two S tasks take both slots; an XS task waits (deadline 2200 s); at 360 s one worker
    # leaves and its S task, RUNNING for the core, waits too (deadline 8400 s); an XS task
    # matched after the drop waits (deadline 2500 s).
    sim = pool_sim(pool, [(0, 1, 2), (100, 0, 1), (400, 0, 1)])
    t0, c = sim.clock.now(), sim.counters
    sim.advance(t0 + 1500)  # at 1000 s the slot went to the RUNNING S task, not to the XS one
    assert c.revenue_by_category == {1: PRICE} and sim.metrics.utilization().backlog == 2
    sim.drain()
    # XS #1 starts at 2000 s and is aborted at 2200 s: matched before the drop, the drop's;
    # XS #2 starts at 2200 s and would contribute at 2500 s, its deadline: too late, a miss
    # of a sale made at the capacity the pool had.
    assert c.revenue_by_category == {1: 2 * PRICE}
    assert (c.tasks_failed_capacity_drop, c.tasks_failed_deadline, c.tasks_failed_random) == (
        1,
        1,
        0,
    )
    assert c.tasks_failed == 2 and c.stake_lost == c.stake_lost_capacity_drop * 2


def test_random_failures_are_counted_apart() -> None:
    sim = pool_sim({"durations": {"0": fixed_duration(60)}, "failure_rate": 1.0}, [(0, 0, 3)])
    sim.advance(sim.clock.now() + 1)
    sim.drain()
    c = sim.counters
    assert c.tasks_failed == c.tasks_failed_random == 3 and c.tasks_served == 0
    assert c.stake_lost == c.stake_lost_random == 3 * (PRICE * 30 // 100)
    assert c.tasks_failed_deadline == c.tasks_failed_capacity_drop == 0


def test_task_durations_drift_as_the_scenario_says() -> None:
    pool = {
        "durations": {"0": fixed_duration(100)},
        "duration_changes": [
            {"at_h": 1, "category": 0, "median_s": 200, "min_s": 200, "max_s": 200}
        ],
    }
    sim = pool_sim(pool, [(0, 0, 1), (3610, 0, 1)])
    t0, c = sim.clock.now(), sim.counters
    sim.advance(t0 + 101)
    assert c.tasks_served == 1
    sim.advance(t0 + 3610 + 199)
    assert c.tasks_served == 1
    sim.advance(t0 + 3610 + 201)
    assert c.tasks_served == 2


def test_duration_changes_ramp_linearly_and_keep_what_they_leave_out() -> None:
    pool = parse_scenario(
        scenario(
            pool={
                "durations": {"0": {"median_s": 100, "sigma": 0.2, "min_s": 10, "max_s": 300}},
                "duration_changes": [
                    {"at_h": 1, "ramp_h": 2, "category": 0, "median_s": 200, "max_s": 600}
                ],
            }
        )
    ).pool
    at = [pool.duration_at(0, 300, h) for h in (0.5, 1, 2, 3, 10)]
    assert [d.median_s for d in at] == [100, 100, 150, 200, 200]
    assert [d.max_s for d in at] == [300, 300, 450, 600, 600]
    assert {d.sigma for d in at} == {0.2} and {d.min_s for d in at} == {10}
    assert pool.duration_at(1, 1200, 5) == pool.duration(1, 1200)  # no change for S


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ([{"at_h": 1, "category": 0, "median_s": 0}], "greater than 0"),
        (
            [{"at_h": 1, "category": 0, "median_s": 60, "min_s": 900, "max_s": 600}],
            "min_s must be <= max_s",
        ),
        (
            [
                {"at_h": 1, "ramp_h": 2, "category": 0, "median_s": 60},
                {"at_h": 2, "category": 0, "median_s": 90},
            ],
            "time order",
        ),
    ],
)
def test_duration_change_errors_name_the_key(changes: list[dict[str, Any]], rule: str) -> None:
    from bot.domain.errors import InputError

    data = scenario()
    data["pool"]["duration_changes"] = changes
    with pytest.raises(InputError, match=rule) as info:
        parse_scenario(data, "x.toml")
    assert "pool" in str(info.value)


def test_a_scenario_without_duration_changes_keeps_its_hash() -> None:
    from pathlib import Path

    from bot.sim.scenario import load_scenario, scenario_hash

    root = Path(__file__).resolve().parents[3]
    s = load_scenario(root / "config" / "scenarios" / "capacity_drop.toml")
    # recorded before duration_changes existed (c6d95bc)
    assert scenario_hash(s) == "a4481fcfd0c9919d4b384f0cf23b82b86a33ea72fb471f3fba649d9b9b25c69a"


def _rival_deal_ticks(crn: bool, latency: list[float]) -> list[int]:
    """The ticks (minutes) at which buyers took the rival's restocked task, over 4 h, when each
    tick of the bot spends ``latency[i % len]`` simulated seconds (API reads, a fill's match)."""
    data = scenario(
        competitors=[{"name": "rival", "kind": "fixed", "price": 50, "volume": 1, "period_s": 300}],
    )
    data["scenario"]["common_random_numbers"] = crn
    sim = MarketSim(parse_scenario(data), seed=1)
    origin = sim.clock.now()
    for i in range(240):
        sim.advance(origin + 60 * i)
        sim.clock.t += latency[i % len(latency)]
    return [int((d.at - origin) // 60) for d in sim.deals]


def test_with_common_random_numbers_the_rivals_restock_whatever_our_latency() -> None:
    # A tick that spends 3 s more (a fill's matchOrders is 2 s) must not move the market's
    # own schedule; without the switch it pushes a rival's next restock back a whole tick.
    quiet, busy = [0.0], [0.0] * 6 + [3.0]
    assert _rival_deal_ticks(True, quiet) == _rival_deal_ticks(True, busy)
    assert _rival_deal_ticks(False, quiet) != _rival_deal_ticks(False, busy)


def _run_times(crn: bool, arrivals: list[tuple[float, int, int]]) -> dict[float, float]:
    """Each contributed task's run time by its match time (4 slots: every task starts at once)."""
    sim = pool_sim(
        {"workers": 4, "durations": {"0": {"median_s": 300, "sigma": 0.8}}},
        arrivals,
        scenario={"name": "pool", "days": 1, "common_random_numbers": crn},
    )
    sim.advance(sim.clock.now() + 3600)
    return {t.deal_start: t.contributed_at - t.started_at for t in sim.contributed}


def test_with_common_random_numbers_one_more_task_leaves_the_others_run_times() -> None:
    # a fill is one more task on the pool: it must not redraw the posted tasks' run times
    posted = [(0, 0, 1), (60, 0, 1), (120, 0, 1)]
    with_fill = [*posted[:1], (30, 0, 1), *posted[1:]]
    for crn in (True, False):
        alone, beside = _run_times(crn, posted), _run_times(crn, with_fill)
        same = all(alone[t] == beside[t] for t in alone)
        assert same is crn, crn

"""The simulator on its own: ports behave like the market and chain, the pool model holds."""

from __future__ import annotations

from typing import Any

import pytest

from bot.model import ChainOrderStatus, WorkerpoolOrder, tag_to_bytes32
from bot.ports import BookQuery, Chain, Clock, MarketReader, MarketWriter, PoolMetrics, Signer
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


def our_order(sim: MarketSim, price: int, volume: int = 1000, salt: int = 1) -> Any:
    order = WorkerpoolOrder(
        workerpool=OUR_POOL,
        workerpoolprice=price,
        volume=volume,
        tag=tag_to_bytes32(0),
        category=0,
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
    from bot.errors import InputError

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

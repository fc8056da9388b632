"""The simulator's TaskFeed: what the chain would show of our pool's tasks, and nothing more."""

from __future__ import annotations

import inspect

from bot.engine.ports import TaskFeed
from bot.pricing.runtimes import RunTimeSamples, learn
from bot.sim.market_sim import MarketSim, SimTaskFeed
from bot.sim.scenario import OUR_POOL, parse_scenario
from tests.unit.sim.test_market_sim import our_order, scenario


def _public(cls: type) -> set[str]:
    return {
        name
        for name, _ in inspect.getmembers(cls)
        if not name.startswith("_") and callable(getattr(cls, name))
    }


def test_the_simulated_feed_exposes_nothing_more_than_the_port() -> None:
    sim = MarketSim(parse_scenario(scenario()), seed=1)
    assert isinstance(sim.tasks, TaskFeed)
    port = _public(TaskFeed)
    assert _public(SimTaskFeed) == port == {"pool_tasks"}
    # the feed's signature is the port's, parameter for parameter
    got = inspect.signature(SimTaskFeed.pool_tasks).parameters
    want = inspect.signature(TaskFeed.pool_tasks).parameters
    assert list(got) == list(want)


def test_feed_shows_open_and_contributed_tasks_with_chain_deadlines() -> None:
    sim = MarketSim(parse_scenario(scenario()), seed=1)  # 1 slot, 100 s tasks, 1 request/min
    sim.market.publish(our_order(sim, 40))
    t0 = sim.clock.now()
    sim.advance(t0 + 1800)
    tasks = sim.tasks.pool_tasks(OUR_POOL, since=t0)
    assert tasks and sim.tasks.pool_tasks("0x" + "9" * 40, since=t0) == []
    window = sim.categories[0].contribution_deadline
    for t in tasks:
        assert t.category == 0
        assert t.contribution_deadline == t.deal_start + window
        assert t.initialized_at == t.deal_start  # the core initializes at once
    done = [t for t in tasks if t.contributed_at is not None]
    running = [t for t in tasks if t.contributed_at is None and t.started_at is not None]
    assert len(done) == sim.counters.tasks_served
    assert len(running) == sim.metrics.utilization().computing_cpu == 1
    # sigma 0 in this scenario: every task runs its median, and that is what is learned
    learned = learn(RunTimeSamples(), tasks)
    assert learned.by_category[0] and all(abs(s - 100.0) < 1e-6 for s in learned.by_category[0])
    # nothing older than ``since``
    assert all(t.deal_start >= t0 + 900 for t in sim.tasks.pool_tasks(OUR_POOL, since=t0 + 900))

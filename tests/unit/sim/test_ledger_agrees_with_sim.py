"""The ledger and the simulator agree on the stake an order locks.

They are independent models on purpose: the simulator plays the chain (PoCo locks
``floor(price x 30 / 100)`` per matched task, and refuses a match the free stake cannot cover),
the ledger is what the bot believes. If they disagreed, backtests would sell what the live bot
would refuse, or the reverse.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.model import WorkerpoolOrder, tag_to_bytes32
from bot.pricing.ledger import Ledger
from bot.sim.market_sim import MarketSim
from bot.sim.scenario import OUR_POOL, parse_scenario


def scenario(stake: int) -> dict[str, Any]:
    return {
        "scenario": {"name": "t", "days": 1, "seed": 1},
        # tasks outlast the test: no lock is released while we look
        "pool": {
            "workers": 1,
            "slots_per_worker": 1,
            "durations": {"0": {"median_s": 10_000, "sigma": 0}},
            "stake_nrlc": stake,
        },
        "competitors": [],
        "requesters": [
            {
                "name": "takers",
                "kind": "taker",
                "rate_per_min": 30.0,
                "max_price": {"kind": "fixed", "value": 10**13},
            }
        ],
    }


def our_order(price: int) -> WorkerpoolOrder:
    return WorkerpoolOrder(
        workerpool=OUR_POOL,
        workerpoolprice=price,
        volume=1000,
        tag=tag_to_bytes32(0),
        category=0,
        trust=0,
        salt="0x" + format(1, "064x"),
    )


SLOT = our_order(1).slot


@pytest.mark.parametrize("price", [1, 3, 7, 40, 101, 999_999, 1_000_003])
@pytest.mark.parametrize("covered", [0, 1, 4])
def test_the_simulator_locks_what_the_ledger_counts(price: int, covered: int) -> None:
    per_task = Ledger.build(utilization=None, offers=(), free_stake=None).claim(SLOT, price, 1)
    # free stake for ``covered`` tasks and almost one more
    free = covered * per_task.stake + max(0, per_task.stake - 1)
    ledger = Ledger.build(utilization=None, offers=(), free_stake=free)
    sim = MarketSim(parse_scenario(scenario(free)), seed=1)
    sim.market.publish(sim.signer.sign_order(our_order(price)))
    sim.advance(sim.clock.now() + 600)
    matched = sim.counters.tasks_matched

    # what the simulator locked is what the ledger says the matched tasks lock
    assert sim.stake_locked == ledger.claim(SLOT, price, matched).stake
    assert sim.stake_free + sim.stake_locked == free
    if per_task.stake == 0:
        assert matched > 0  # nothing to lock: stake never stops a match
    else:
        # as many tasks as the ledger says the free stake covers, no more
        fits = [n for n in range(100) if ledger.stake_fits(ledger.claim(SLOT, price, n))]
        assert matched == max(fits) == covered

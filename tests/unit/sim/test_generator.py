"""The market generator and the simulator features it needs: publishers, sticky and fast rivals."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from bot.domain.errors import InputError
from bot.domain.model import BookEntry, WorkerpoolOrder, tag_to_bytes32
from bot.sim.agents import UndercutCompetitor
from bot.sim.generator import (
    DAYS,
    GENERATOR_VERSION,
    MARKET_CLASSES,
    STEP_S,
    TEST_SEEDS,
    TRAIN_SEEDS,
    generate,
    market_class,
    split_of,
    split_seeds,
)
from bot.sim.market_sim import MarketSim
from bot.sim.scenario import OUR_POOL, parse_scenario, scenario_hash

N = len(MARKET_CLASSES)


def test_split_is_frozen_disjoint_and_class_balanced() -> None:
    assert GENERATOR_VERSION == 1
    assert set(TRAIN_SEEDS).isdisjoint(TEST_SEEDS)
    for seeds in (split_seeds("train", 2 * N), split_seeds("test", 2 * N)):
        assert Counter(market_class(s) for s in seeds) == dict.fromkeys(MARKET_CLASSES, 2)
    assert (
        split_seeds("train", 3)[0] == TRAIN_SEEDS[0] and split_seeds("test", 3)[0] == TEST_SEEDS[0]
    )
    assert {split_of(s) for s in split_seeds("train", 5)} == {"train"}
    assert {split_of(s) for s in split_seeds("test", 5)} == {"test"}
    assert split_of(7) == "none"
    only = split_seeds("test", 4, classes=("scarcity", "captive_us"))
    assert len(only) == 4 and {market_class(s) for s in only} == {"scarcity", "captive_us"}
    with pytest.raises(ValueError, match="split must be"):
        split_seeds("dev", 1)
    with pytest.raises(ValueError, match="unknown market classes"):
        split_seeds("train", 1, classes=("nope",))


def test_same_seed_same_market_and_seeds_differ() -> None:
    a, b = generate(TEST_SEEDS[0]), generate(TEST_SEEDS[0])
    assert a == b and scenario_hash(a) == scenario_hash(b)
    assert scenario_hash(generate(TEST_SEEDS[1])) != scenario_hash(a)


def _kinds(s: Any) -> set[str]:
    return {r.kind for r in s.requesters}


@pytest.mark.parametrize("seed", split_seeds("train", N) + split_seeds("test", N))
def test_every_class_draws_its_feature(seed: int) -> None:
    s = generate(seed)
    cls = market_class(seed)
    assert s.scenario.days == DAYS and s.scenario.step_s == STEP_S and s.scenario.seed == seed
    cats = sorted(o["category"] for o in s.bot["offers"])
    assert cats[0] == 0 and 1 <= len(cats) <= 3 and len(set(cats)) == len(cats)
    assert {"taker", "capped", "free_only", "captive"} <= _kinds(s)
    floor, ceiling = s.bot["rails"]["floor"], s.bot["rails"]["ceiling"]
    assert 0 < floor < ceiling
    kinds = [c.kind for c in s.competitors]
    if cls == "undercut_fast":
        assert any(c.kind == "undercut" and c.period_s < STEP_S for c in s.competitors)
    elif cls == "undercut_slow":
        assert any(c.kind == "undercut" and c.period_s > STEP_S for c in s.competitors)
    elif cls == "random_walk":
        assert "random_walk" in kinds
    elif cls == "churn":
        assert any(c.mean_on_h > 0 and c.mean_off_h > 0 for c in s.competitors)
    elif cls == "captive_us":
        assert any(
            r.kind == "captive" and r.target == "us" and r.patience_s > 0 for r in s.requesters
        )
    elif cls in ("surge", "collapse"):
        mults = [x.multiplier for r in s.requesters for x in r.surges]
        assert mults and (min(mults) > 1 if cls == "surge" else max(mults) < 1)
    elif cls == "rival_leaves":
        assert any(c.windows_h and c.windows_h[0][1] < DAYS * 24 for c in s.competitors)
    elif cls == "capacity_drop":
        assert s.pool.capacity_changes[0].workers < s.pool.workers
    elif cls == "publishers":
        assert "publisher" in _kinds(s)


def _one_publisher(**pool: Any) -> dict[str, Any]:
    return {
        "scenario": {"name": "p", "days": 1, "seed": 1},
        "pool": {"workers": 1, "durations": {"0": {"median_s": 100, "sigma": 0}}, **pool},
        "requesters": [
            {
                "name": "waits",
                "kind": "publisher",
                "rate_per_min": 0.5,
                "patience_s": 600,
                "max_price": {"kind": "fixed", "value": 1_000},
            }
        ],
    }


def test_a_publisher_waits_in_the_book_and_a_posted_order_never_matches_it() -> None:
    sim = MarketSim(parse_scenario(_one_publisher()), seed=1)
    order = WorkerpoolOrder(
        workerpool=OUR_POOL,
        workerpoolprice=10,  # far under its max price: a taker would match at once
        volume=1000,
        tag=tag_to_bytes32(0),
        category=0,
        trust=0,
        salt="0x" + "00" * 31 + "01",
    )
    sim.market.publish(sim.signer.sign_order(order))
    seen = 0
    for minute in range(1, 240):
        sim.advance(sim.scenario.origin + 60.0 * minute)
        book = sim.market.request_orders(category=0, workerpool=OUR_POOL)
        seen = max(seen, len(book))
        assert all(r.workerpoolmaxprice == 1_000 for r in book)
        assert all(sim.clock.t - r.published_at <= 600 + 60 for r in book)  # expired ones go
    assert seen > 0
    assert sim.counters.tasks_matched == 0 and not sim.deals
    assert sum(sim.counters.demand_tasks.values()) > 0


def test_a_publisher_must_wait() -> None:
    data = _one_publisher()
    data["requesters"][0]["patience_s"] = 0
    with pytest.raises(InputError, match="patience_s"):
        parse_scenario(data)


def _entry(pool: str, price: int) -> BookEntry:
    return BookEntry(
        order_hash="0x" + "1" * 64,
        workerpool=pool,
        owner=pool,
        price=price,
        volume=1,
        remaining=1,
        category=0,
        tag=0,
        trust=0,
        published_at=0.0,
    )


def test_a_sticky_undercutter_stays_at_its_floor() -> None:
    rng = random.Random(0)
    other = "0x" + "b" * 40
    u = UndercutCompetitor("0x" + "a" * 40, 0, floor=50, ceiling=100, step=5, reset=False)
    assert u.quotes(0.0, [_entry(other, 80)], rng)[0].price == 75
    assert u.quotes(0.0, [_entry(other, 52)], rng)[0].price == 50
    assert u.quotes(0.0, [_entry(other, 20)], rng)[0].price == 50
    assert u.quotes(0.0, [], rng)[0].price == 100


def test_a_rival_faster_than_the_step_reprices_between_ticks() -> None:
    def war(period_s: float) -> int:
        data: dict[str, Any] = {
            "scenario": {"name": "w", "days": 1, "seed": 1, "step_s": 60},
            "competitors": [
                {
                    "name": name,
                    "kind": "undercut",
                    "floor": 0,
                    "ceiling": 1_000,
                    "step": 1,
                    "reset": False,
                    "period_s": period_s,
                }
                for name in ("a", "b")
            ],
        }
        sim = MarketSim(parse_scenario(data), seed=1)
        for minute in range(0, 11):
            sim.advance(sim.scenario.origin + 60.0 * minute)
        return min(e.price for e in sim.listed())

    # 10 minutes of a two-pool price war: a 10 s period moves ~6x as far as a 60 s one.
    slow, fast = 1_000 - war(60.0), 1_000 - war(10.0)
    assert 10 <= slow <= 22 and fast >= 4 * slow

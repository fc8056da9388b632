"""Table-driven: snapshot + quotes in, clamped quotes and notes out, one rail at a time."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.domain.errors import InputError
from bot.domain.model import PoolUtilization, Quote, Stake
from bot.pricing.ledger import Ledger
from bot.pricing.rails import RailsConfig, RailsResult, apply_rails, gate_raise
from bot.pricing.snapshot import MarketSnapshot, Offer
from tests.support.factories import NOW, offer, own, snap, util


def rails(
    quotes: list[Quote], s: MarketSnapshot, offers: list[Offer], cfg: RailsConfig
) -> RailsResult:
    return apply_rails(quotes, s, Ledger.of(s, offers, cfg), cfg)


XS = offer(category=0, task_seconds=300, max_volume=1000)  # 7 tasks per slot per window
XS_TEE = offer(category=0, tag=1, task_seconds=300, max_volume=1000)
LOOSE = RailsConfig(floor=0, ceiling=10**12, max_step=1.0, max_volume=10**6)


def q(price: int, volume: int, **kw: Any) -> Quote:
    return Quote(category=kw.pop("category", 0), price=price, volume=volume, reason="t", **kw)


CASES: list[tuple[str, dict[str, Any], list[Quote], dict[str, Any], list[tuple[int, int]], str]] = [
    # (name, rails overrides, quotes, snapshot kwargs, expected (price, volume), expected rule)
    ("floor", {"floor": 100}, [q(10, 7)], {}, [(100, 7)], "floor"),
    ("ceiling", {"ceiling": 50}, [q(80, 7)], {}, [(50, 7)], "ceiling"),
    (
        "step-up",
        {"max_step": 0.2},
        [q(200, 7)],
        {"own_orders": [own("o", 100, 7)]},
        [(120, 7)],
        "max-step",
    ),
    (
        "step-down",
        {"max_step": 0.2},
        [q(10, 7)],
        {"own_orders": [own("o", 100, 7)]},
        [(80, 7)],
        "max-step",
    ),
    (
        "jump-up",  # a deliberate jump goes straight to the price, within max_jump
        {"max_step": 0.2, "max_jump": 32},
        [q(1600, 7, jump=True)],
        {"own_orders": [own("o", 100, 7)]},
        [(1600, 7)],
        "",
    ),
    (
        "jump-down",
        {"max_step": 0.2, "max_jump": 32},
        [q(100, 7, jump=True)],
        {"own_orders": [own("o", 1600, 7)]},
        [(100, 7)],
        "",
    ),
    (
        "jump-capped",
        {"max_step": 0.2, "max_jump": 4},
        [q(1600, 7, jump=True)],
        {"own_orders": [own("o", 100, 7)]},
        [(400, 7)],
        "max-step",
    ),
    (
        "jump-off",  # max_jump 1: a jump is stepped like any quote
        {"max_step": 0.2, "max_jump": 1},
        [q(1600, 7, jump=True)],
        {"own_orders": [own("o", 100, 7)]},
        [(120, 7)],
        "max-step",
    ),
    (
        "step-vs-published-only",  # an unpublished order is not "our current price"
        {"max_step": 0.2},
        [q(10, 7)],
        {"own_orders": [own("o", 100, 2, published=False)]},
        [(10, 7)],
        "",
    ),
    (
        "floor-beats-step",
        {"max_step": 0.2, "floor": 100},
        [q(60, 7)],
        {"own_orders": [own("o", 50, 7)]},
        [(100, 7)],
        "floor",
    ),
    (
        "volume-capacity",
        {},
        [q(10, 500)],
        {"utilization": util(10, 2, 1)},
        [(10, 67)],
        "volume-cap",
    ),
    ("volume-max", {"max_volume": 5}, [q(10, 500)], {}, [(10, 5)], "volume-cap"),
    (
        "volume-max-all-slots",
        {"max_volume": 20},
        [q(10, 15), q(10, 15, tag=1)],
        {"utilization": util(10), "own_orders": [own("x", 10, 4, category=1)]},
        [(10, 8), (10, 8)],
        "max-volume",
    ),
    ("volume-unknown-capacity", {}, [q(10, 5)], {"utilization": util(0)}, [(10, 0)], "volume-cap"),
    (
        "shared-two-slots",
        {},
        [q(10, 70), q(10, 70, tag=1)],
        {"utilization": util(10)},
        [(10, 35), (10, 35)],
        "shared-capacity",
    ),
    (
        "shared-with-unquoted-orders",
        {},
        [q(10, 70)],
        {"utilization": util(10), "own_orders": [own("other", 10, 35, tag=1)]},
        [(10, 35)],
        "shared-capacity",
    ),
    (
        "stake-coverage",  # 30% of 1000 = 300 per task; 3100 free -> 10 tasks
        {},
        [q(1000, 70)],
        {"free_stake": 3100, "utilization": util(10)},
        [(1000, 10)],
        "stake-coverage",
    ),
    (
        "stake-with-unquoted-orders",  # the other order needs 300 x 4
        {},
        [q(1000, 70)],
        {"free_stake": 3100, "own_orders": [own("other", 1000, 4, tag=1)], "utilization": util(10)},
        [(1000, 6)],
        "stake-coverage",
    ),
    ("stake-free-price", {}, [q(0, 70)], {"free_stake": 0, "utilization": util(10)}, [(0, 70)], ""),
    (
        "max-open-orders",
        {"max_open_orders": 1},
        [q(10, 7), q(10, 7, tag=1)],
        {"utilization": util(10)},
        [(10, 7)],
        "veto:max-open-orders",
    ),
    ("no-offer", {}, [q(10, 7, category=3)], {}, [], "veto:no-offer"),
    ("duplicate", {}, [q(10, 7), q(20, 7)], {}, [(10, 7)], "veto:duplicate"),
]


@pytest.mark.parametrize(
    ("overrides", "quotes", "snap_kw", "expected", "rule"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_rail(
    overrides: dict[str, Any],
    quotes: list[Quote],
    snap_kw: dict[str, Any],
    expected: list[tuple[int, int]],
    rule: str,
) -> None:
    cfg = dataclasses.replace(LOOSE, **overrides)
    snap_kw.setdefault("utilization", util(1))
    s = snap(offers=[XS, XS_TEE], **snap_kw)
    result = rails(quotes, s, [XS, XS_TEE], cfg)
    assert result.kill is None
    assert [(x.price, x.volume) for x in result.quotes] == expected
    rules = [n.rule for n in result.notes]
    if rule:
        assert rule in rules
        assert all(n.detail for n in result.notes)
    else:
        assert rules == []
    for x in result.quotes:
        assert x.reason == "t"  # the strategy's reason survives; notes say what changed


@pytest.mark.parametrize(
    ("snap_kw", "why"),
    [
        ({"sampled_at": {"utilization": NOW - 601}}, "utilization is 601s old"),
        ({"sampled_at": {"book": float("-inf")}}, "book is never read"),
        ({"free_stake": None}, "stake is never read"),
        ({"utilization": PoolUtilization(registered_cpu=2, computing_cpu=5)}, "more computing"),
        ({"utilization": util(4, backlog=-1)}, "negative"),
        ({"sampled_at": {"requests": NOW + 60}}, "in the future"),
        ({"own_orders": [own("o", 10, 9, volume=3)]}, "remaining 9 > volume"),
    ],
)
@pytest.mark.parametrize("action", ["freeze", "withdraw"])
def test_kill_switch(snap_kw: dict[str, Any], why: str, action: str) -> None:
    cfg = dataclasses.replace(LOOSE, kill_action=action, stale_after_seconds=600)
    s = snap(offers=[XS], **snap_kw)
    result = rails([q(10, 7)], s, [XS], cfg)
    assert result.kill == action
    assert result.quotes == ()
    assert any(why in n.detail and n.rule.startswith("kill:") for n in result.notes), result.notes


def test_negative_stake_is_absurd() -> None:
    s = dataclasses.replace(snap(offers=[XS]), stake=Stake(free=-1, locked=0))
    assert rails([q(10, 7)], s, [XS], LOOSE).kill == "freeze"


def test_volume_cap_reports_total_valid_volume_allowed() -> None:
    s = snap(offers=[XS, XS_TEE], utilization=util(10), own_orders=[own("x", 10, 7, tag=1)])
    result = rails([q(10, 20)], s, [XS, XS_TEE], LOOSE)
    assert result.volume_cap == 27


def test_pragmatic_mode_ignores_dearer_unpublished_elsewhere_in_category() -> None:
    dearer = own("d", 500, 35, tag=1, published=False)
    s = snap(offers=[XS, XS_TEE], utilization=util(10), own_orders=[dearer], free_stake=10**12)
    strict = rails([q(10, 70)], s, [XS, XS_TEE], LOOSE)
    pragmatic = rails(
        [q(10, 70)], s, [XS, XS_TEE], dataclasses.replace(LOOSE, count_dearer_unpublished=False)
    )
    assert strict.quotes[0].volume == 35
    assert pragmatic.quotes[0].volume == 70


def test_pragmatic_mode_counts_a_dearer_order_again_when_its_category_lists_nothing() -> None:
    """Found by the rails-then-plan property test: the cap on total volume gave category 0's
    quote nothing, so the unpublished order at 10 in category 0 is no longer dearer than
    anything we list there and counts; the rails must leave room for it."""
    cpu1 = offer(category=1, task_seconds=300, max_volume=1000)
    dearer = own("d", 10, 1, published=False)  # category 0, tag 0: the TEE quote's category
    cheap = own("c", 1, 5, category=1, published=False)
    s = snap(
        offers=[XS, XS_TEE, cpu1],
        utilization=util(10),
        own_orders=[dearer, cheap],
        free_stake=10**12,
    )
    cfg = dataclasses.replace(LOOSE, max_volume=5, count_dearer_unpublished=False)
    got = rails([q(1, 1, tag=1), q(1, 5, category=1)], s, [XS, XS_TEE, cpu1], cfg)
    volumes = {x.category: x.volume for x in got.quotes}
    assert volumes[0] == 0
    assert volumes[0] + volumes[1] + dearer.remaining <= 5
    assert got.volume_cap == 5


GATED = dataclasses.replace(LOOSE, cancel_gas_cost=100, raise_gain_factor=1.0)


@pytest.mark.parametrize(
    ("cfg", "orders", "price", "held"),
    [
        # gain (90 - 50) x 2 = 80 < 1 x 100 x 1 cancel: held at the listed 50
        ({}, [own("o", 50, 2)], 50, "raise to 90 held at 50"),
        # gain 40 x 3 = 120 >= 100: raise
        ({}, [own("o", 50, 3)], 90, ""),
        # factor 2: 120 < 200: held
        ({"raise_gain_factor": 2.0}, [own("o", 50, 3)], 50, "held at 50"),
        # factor 0 turns the gate off
        ({"raise_gain_factor": 0.0}, [own("o", 50, 2)], 90, ""),
        # two cheaper orders, two cancels: 40 x 2 + 30 x 2 = 140 < 200; held at the newest
        ({}, [own("old", 50, 2, age=600), own("new", 60, 2, age=60)], 60, "x 2"),
        # a drop is never held
        ({"cancel_gas_cost": 10**9}, [own("o", 95, 2)], 90, ""),
        # an unpublished cheaper order alone: nothing listed to hold, raise
        ({}, [own("o", 50, 2, published=False)], 90, ""),
        # nothing left on the cheaper order: no cancel, raise
        ({}, [own("o", 50, 0)], 90, ""),
    ],
)
def test_a_raise_must_pay_for_its_cancels(
    cfg: dict[str, Any], orders: list[Any], price: int, held: str
) -> None:
    s = snap(offers=[XS], own_orders=orders)
    result = rails([q(90, 7)], s, [XS], dataclasses.replace(GATED, **cfg))
    assert result.quotes[0].price == price
    notes = [n.detail for n in result.notes if n.rule == "raise-gate"]
    assert (held in notes[0]) if held else not notes


def test_the_raise_gate_runs_before_the_hard_limits() -> None:
    """A held raise is still clamped by the floor (a hard limit); the step counts from the
    listed price, as when each strategy gated its own quotes."""
    s = snap(offers=[XS], own_orders=[own("o", 50, 2)])
    result = rails([q(90, 7)], s, [XS], dataclasses.replace(GATED, floor=70))
    assert result.quotes[0].price == 70
    assert [n.rule for n in result.notes] == ["raise-gate", "floor"]


def test_the_raise_gate_factor_is_the_owners_else_the_strategys() -> None:
    assert RailsConfig().for_strategy(3.0).raise_gain_factor == 3.0
    owner = RailsConfig(raise_gain_factor=0)
    assert owner.for_strategy(3.0) is owner and owner.raise_gain_factor == 0.0
    # unresolved (a bare RailsConfig, as in most tests): no gate
    s = snap(offers=[XS], own_orders=[own("o", 50, 2)])
    assert (
        rails([q(90, 7)], s, [XS], dataclasses.replace(LOOSE, cancel_gas_cost=100)).quotes[0].price
        == 90
    )


def test_gate_raise_detail_is_empty_when_nothing_is_held() -> None:
    s = snap(offers=[XS], own_orders=[own("o", 50, 2)])
    assert gate_raise(s, XS.slot, 40, gain_factor=1.0, cancel_cost=100) == (40, "")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"floor": 10, "ceiling": 5}, "rails.floor"),
        ({"max_step": 0}, "rails.max_step"),
        ({"deadband": 1.0}, "rails.deadband"),
        ({"max_open_orders": 0}, "rails.max_open_orders"),
        ({"kill_action": "panic"}, "rails.kill_action"),
        ({"floor": -1}, "rails.floor"),
        ({"stale_after_seconds": 0}, "rails.stale_after_seconds"),
        ({"stale_after_seconds": float("inf")}, "rails.stale_after_seconds"),
        ({"max_open_orders": 51}, "rails.max_open_orders"),
        ({"max_step": True}, "rails.max_step"),
        ({"deadband": "0.1"}, "rails.deadband"),
        ({"count_dearer_unpublished": 1}, "rails.count_dearer_unpublished"),
        ({"running_charge": "yes"}, "rails.running_charge"),
        ({"cancel_gas_cost": -1}, "rails.cancel_gas_cost"),
        ({"raise_gain_factor": -1}, "rails.raise_gain_factor"),
        ({"raise_gain_factor": 1001}, "rails.raise_gain_factor"),
        ({"raise_gain_factor": True}, "rails.raise_gain_factor"),
        ({"floor": 1.5}, "rails.floor"),
        ({"max_jump": 0.5}, "rails.max_jump"),
        ({"max_jump": 1001}, "rails.max_jump"),
        ({"max_jump": "32"}, "rails.max_jump"),
    ],
)
def test_rails_config_validation(kw: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        RailsConfig(**kw)
    assert err.value.field == field


def test_rails_config_is_the_config_section_itself() -> None:
    """One class: bot.config.schema validates ``[rails]`` into it, prices parsed, defaults its own."""
    from bot.config.schema import config_from_mapping

    cfg = config_from_mapping(
        {
            "network": "arbitrum-mainnet",
            "workerpool": "0x" + "ab" * 20,
            "offers": [{"category": 0}],
            "rails": {"floor": "0.002 RLC", "max_step": 1, "cancel_gas_cost": "0.01 RLC"},
        }
    ).rails
    assert type(cfg) is RailsConfig
    assert cfg == RailsConfig(floor=2_000_000, max_step=1.0, cancel_gas_cost=10_000_000)
    assert isinstance(cfg.max_step, float)


def test_a_drifted_field_name_is_an_error_not_a_default() -> None:
    from bot.config.schema import config_from_mapping
    from bot.domain.errors import ConfigError

    data = {
        "network": "arbitrum-mainnet",
        "workerpool": "0x" + "ab" * 20,
        "offers": [{"category": 0}],
        "rails": {"stale_after": 60},
    }
    with pytest.raises(ConfigError, match=r"rails\.stale_after: unknown key"):
        config_from_mapping(data)

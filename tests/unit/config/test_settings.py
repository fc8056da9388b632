"""bot.config.settings: the one way from a config to what the loop runs (service and backtester)."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import pytest

from bot.config import settings
from bot.config.schema import config_from_mapping
from bot.config.settings import cycle_settings, offers_of, strategy_of
from bot.domain.errors import InputError
from bot.engine.cycle import DEFAULT_CYCLE_DEADLINE_S
from bot.engine.executor import DEFAULT_ACTION_DEADLINE_S
from bot.pricing.rails import DEFAULT_CANCEL_GAS_COST_NRLC
from bot.pricing.snapshot import Offer

POOL = "0x" + "ab" * 20


def config(**extra: Any) -> Any:
    data: dict[str, Any] = {
        "network": "arbitrum-mainnet",
        "workerpool": POOL,
        "offers": [
            {"category": 0, "task_seconds": 300, "max_volume": 10},
            {"category": 1, "tag": ["tee", "tdx"], "trust": 1, "max_volume": 5},
        ],
        "service": {"low_stake_warning": "2 RLC", "low_gas_warning_eth": 0.5},
    }
    data.update(extra)
    return config_from_mapping(data)


def test_offers_carry_every_field_that_tells_them_apart() -> None:
    cfg = config()
    assert offers_of(cfg) == (
        Offer(category=0, task_seconds=300.0, max_volume=10, tag=0, trust=0),
        Offer(category=1, task_seconds=120.0, max_volume=5, tag=cfg.offers[1].tag, trust=1),
    )


def test_cycle_settings_come_from_the_config() -> None:
    cfg = config(rails={"floor": "0.002 RLC", "cancel_gas_cost": "0.01 RLC"})
    s = cycle_settings(cfg, live=False)
    assert s.workerpool == POOL and s.live is False
    assert s.rails is cfg.rails and s.rails.cancel_gas_cost == 10_000_000
    assert s.offers == offers_of(cfg)
    assert (s.low_stake_nrlc, s.low_gas_wei) == (2 * 10**9, 5 * 10**17)
    assert s.record_decisions and not s.record_snapshots
    assert (s.cycle_deadline_s, s.action_deadline_s) == (
        DEFAULT_CYCLE_DEADLINE_S,
        DEFAULT_ACTION_DEADLINE_S,
    )


def test_the_backtester_changes_only_what_a_simulation_must() -> None:
    cfg = config()
    s = cycle_settings(cfg, live=True, record_decisions=False, realtime_deadlines=False)
    assert s.live and not s.record_decisions
    assert s.cycle_deadline_s is None and s.action_deadline_s is None


def _old_plugin() -> type[Any]:
    """A 0.1 plug-in that still declares the gate's ``cancel_cost`` itself."""
    from dataclasses import dataclass

    with pytest.deprecated_call(match="strategies.hysteresis"):
        import strategies.hysteresis as hysteresis

        importlib.reload(hysteresis)  # (warns on every import, not only the first)
    from strategies import Strategy

    @dataclass(frozen=True, slots=True)
    class OldParams:
        cancel_cost: int = hysteresis.cancel_cost_param()

    class Old(Strategy[OldParams]):
        name = "old"
        Params = OldParams

        def decide(self, *args: Any) -> Any:
            raise NotImplementedError

    return Old


@pytest.mark.parametrize(
    ("rails", "params", "expected"),
    [
        ({}, {}, DEFAULT_CANCEL_GAS_COST_NRLC),
        ({"cancel_gas_cost": "0.02 RLC"}, {}, 20_000_000),
        ({"cancel_gas_cost": "0.02 RLC"}, {"cancel_cost": 7}, 7),  # the plug-in's own wins
    ],
)
def test_a_0_1_plugin_declaring_cancel_cost_still_gets_the_configured_gas_cost(
    rails: dict[str, object],
    params: dict[str, object],
    expected: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = _old_plugin()
    monkeypatch.setattr(settings, "get", lambda name: old)
    strategy = strategy_of(config(rails=rails, strategy={"name": "fixed", "params": params}))
    assert strategy.params.cancel_cost == expected  # type: ignore[attr-defined]


def test_a_strategy_without_cancel_cost_is_built_as_configured() -> None:
    cfg = config(
        rails={"cancel_gas_cost": "0.02 RLC"},
        strategy={"name": "fixed", "params": {"price": "0.03 RLC"}},
    )
    strategy = strategy_of(cfg)
    assert strategy.params.price == 30_000_000  # type: ignore[attr-defined]
    assert not hasattr(strategy.params, "cancel_cost")


@pytest.mark.parametrize(
    ("key", "rails", "params", "expected"),
    [
        # robust's cut out of the deadband follows the rails' deadband
        ("cross_band", {}, {}, 0.02),
        ("cross_band", {"deadband": 0.05}, {}, 0.05),
        ("cross_band", {"deadband": 0.05}, {"cross_band": 0.01}, 0.01),  # the owner's own wins
        # robust's first trial (item 104) reaches as far as the rails' one jump
        ("max_jump", {}, {}, 32.0),
        ("max_jump", {"max_jump": 8}, {}, 8.0),
        ("max_jump", {"max_jump": 8}, {"max_jump": 4}, 4.0),
    ],
)
def test_robusts_params_that_mirror_a_rail_follow_the_owners_rail(
    key: str, rails: dict[str, object], params: dict[str, object], expected: float
) -> None:
    strategy = strategy_of(config(rails=rails, strategy={"name": "robust", "params": params}))
    assert dataclasses.asdict(strategy.params)[key] == expected


def test_bad_strategy_params_name_the_key() -> None:
    cfg = config(strategy={"name": "fixed", "params": {"prise": 1}})
    with pytest.raises(InputError, match=r"strategy\.params\.prise"):
        strategy_of(cfg)

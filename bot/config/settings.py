"""From the owner's config to what the loop runs, built once for the service and the backtester.

The service and the backtester used to build their own ``CycleSettings`` from the same config,
with a test pinning the two equal; now both call :func:`cycle_settings` and differ only in the
arguments that make no sense in a simulation (decisions are not kept, retries do not wait).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config.schema import BotConfig
from bot.engine.cycle import DEFAULT_CYCLE_DEADLINE_S, CycleSettings
from bot.engine.executor import DEFAULT_ACTION_DEADLINE_S
from bot.pricing.rails import RailsConfig
from bot.pricing.snapshot import Offer
from strategies import Strategy, get

__all__ = ["cycle_settings", "offers_of", "strategy_of"]

# Strategy parameters that must agree with a rail: a strategy declaring one gets the owner's rail
# unless ``strategy.params`` sets its own, so the value is kept in one place (the rails).
_RAIL_PARAMS: dict[str, Callable[[RailsConfig], float]] = {
    # a 0.1 plug-in's (strategies.hysteresis.cancel_cost_param, deprecated until 0.3); the
    # built-ins leave the raise gate to the rails
    "cancel_cost": lambda rails: rails.cancel_gas_cost,
    # robust's cut under a rival must leave the planner's deadband, or the order is kept above it
    "cross_band": lambda rails: rails.deadband,
    # robust's first trial opens only at a tier the rails' one jump reaches (item 104)
    "max_jump": lambda rails: rails.max_jump,
}


def offers_of(config: BotConfig) -> tuple[Offer, ...]:
    """What the pool sells, as the snapshot, the strategies and the rails see it."""
    return tuple(
        Offer(
            category=o.category,
            task_seconds=float(o.task_seconds),
            max_volume=o.max_volume,
            tag=o.tag,
            trust=o.trust,
            fill_apps=o.fill_apps,
        )
        for o in config.offers
    )


def cycle_settings(
    config: BotConfig,
    *,
    live: bool,
    record_decisions: bool = True,
    realtime_deadlines: bool = True,
) -> CycleSettings:
    """What a tick needs from ``config``; ``live=False`` is a dry run.

    ``realtime_deadlines=False`` (the backtest: simulated time) runs ticks and actions without
    the cycle's and the executor's wall-clock deadlines.
    """
    return CycleSettings(
        workerpool=config.workerpool,
        offers=offers_of(config),
        rails=config.rails,
        fills=config.fills,
        network=config.network_obj(),
        live=live,
        record_snapshots=False,
        record_decisions=record_decisions,
        cycle_deadline_s=DEFAULT_CYCLE_DEADLINE_S if realtime_deadlines else None,
        action_deadline_s=DEFAULT_ACTION_DEADLINE_S if realtime_deadlines else None,
        low_stake_nrlc=config.service.low_stake_warning,
        low_gas_wei=int(config.service.low_gas_warning_eth * 10**18),
    )


def strategy_of(config: BotConfig) -> Strategy[object]:
    """The configured strategy, its params validated (errors name ``strategy.params.<key>``).

    The raise gate is a rail (its factor is the strategy's class attribute, see
    ``RailsConfig.for_strategy``). A parameter that mirrors a rail (``_RAIL_PARAMS``: a 0.1
    plug-in's ``cancel_cost``, robust's ``cross_band`` and ``max_jump``) gets the owner's rail unless
    ``strategy.params`` sets its own.
    """
    cls = get(config.strategy.name)
    params: dict[str, object] = dict(config.strategy.params)
    for spec in cls.param_specs():
        rail = _RAIL_PARAMS.get(spec.name)
        if rail is not None:
            params.setdefault(spec.name, rail(config.rails))
    return cls(cls.params_from_mapping(params))

"""What ``pricebot reload`` (and SIGHUP) may change in a running bot, and what needs a restart.

Why a split and not "reload everything": some settings are baked into live connections or
files the moment the bot starts (the network and its RPC connections, the workerpool and the
keys that sign for it, the journal file, the schedule's jobs, the ops server's socket).
Changing them under a running bot would mix two identities in one journal and one nonce
sequence. The rest only shapes the next decision: the rails, the strategy's parameters, the
offers, the alert policy and sinks, the warning levels and ``on_exit``. Those apply at once.

A reload never half-applies: the new file is validated in full first (a broken file is refused
and the old config keeps running), then the running config becomes the new live parts on top of
the old restart-only parts, and each restart-only difference is reported by its key path.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.schema import BotConfig

__all__ = ["LIVE_KEYS", "RESTART_KEYS", "ReloadPlan", "plan_reload"]

LIVE_KEYS: tuple[str, ...] = (
    "rails",
    "strategy.params",
    "offers",
    "alerts",
    "service.low_stake_warning",
    "service.low_gas_warning_eth",
    "service.on_exit",
    "service.unknown_orders",
)
"""Applied by a reload, between two jobs, under the service's lock."""

RESTART_KEYS: tuple[str, ...] = (
    "network",
    "chain_id",
    "hub",
    "workerpool",
    "endpoints",
    "keys",
    "strategy.name",
    "schedule",
    "service.journal_dir",
    "service.max_fee_gwei",
    "service.journal_keep_days",
    "service.journal_backup_hours",
    "service.journal_backup_keep",
    "service.journal_backup_dir",
    "ops",
    "fills",
)
"""Need a restart: a reload keeps the running value and says so."""


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    """The config to run from now on, what changed live, and what waits for a restart."""

    config: BotConfig
    applied: tuple[str, ...]
    needs_restart: tuple[str, ...]


def _get(config: BotConfig, key: str) -> object:
    value: object = config
    for part in key.split("."):
        value = getattr(value, part)  # key paths are the constants above, all real fields
    return value


def plan_reload(old: BotConfig, new: BotConfig) -> ReloadPlan:
    """The running config after reloading ``new`` over ``old`` (both already validated)."""
    applied = tuple(k for k in LIVE_KEYS if _get(old, k) != _get(new, k))
    restart = tuple(k for k in RESTART_KEYS if _get(old, k) != _get(new, k))
    service = new.service.model_copy(
        update={k.split(".", 1)[1]: _get(old, k) for k in RESTART_KEYS if k.startswith("service.")}
    )
    strategy = new.strategy.model_copy(update={"name": old.strategy.name})
    if strategy.name != new.strategy.name:
        strategy = old.strategy  # new params belong to another strategy: keep the running one
        applied = tuple(k for k in applied if k != "strategy.params")
    running = new.model_copy(
        update={
            "network": old.network,
            "chain_id": old.chain_id,
            "hub": old.hub,
            "workerpool": old.workerpool,
            "endpoints": old.endpoints,
            "keys": old.keys,
            "schedule": old.schedule,
            "ops": old.ops,
            "fills": old.fills,  # the fill ports (book reader, matcher) are built at start
            "strategy": strategy,
            "service": service,
        }
    )
    return ReloadPlan(running, applied, restart)

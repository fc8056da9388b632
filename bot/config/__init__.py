"""Configuration: the owner's TOML schema (bot.config.schema) and the settings derived from it
(bot.config.settings) — one place where config becomes what the cycle runs with.

``from bot.config import BotConfig`` (the 0.1 spelling) keeps working: the schema's public names
are re-exported here.
"""

from __future__ import annotations

from bot.config.schema import (
    AlertsConfig,
    AlertSinkConfig,
    BotConfig,
    EndpointsConfig,
    KeysConfig,
    KeySpec,
    OfferConfig,
    OpsConfig,
    RailsConfig,
    ScheduleConfig,
    ServiceConfig,
    StrategyConfig,
    config_from_mapping,
    load_config,
    validate_strategy,
)

__all__ = [
    "AlertSinkConfig",
    "AlertsConfig",
    "BotConfig",
    "EndpointsConfig",
    "KeySpec",
    "KeysConfig",
    "OfferConfig",
    "OpsConfig",
    "RailsConfig",
    "ScheduleConfig",
    "ServiceConfig",
    "StrategyConfig",
    "config_from_mapping",
    "load_config",
    "validate_strategy",
]

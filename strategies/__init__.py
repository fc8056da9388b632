"""Pricing strategies: the registry and the public surface.

Built-ins are listed here; an owner can ship their own strategy in a separate package by
declaring it in the ``pricebot.strategies`` entry-point group::

    [project.entry-points."pricebot.strategies"]
    mine = "my_package.module:MyStrategy"

A built-in name cannot be shadowed by an entry point (a typo'd plug-in must not silently replace
``fixed``).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from bot.domain.errors import InputError
from strategies.base import (
    Decision,
    EmptyParams,
    ParamSpec,
    Strategy,
    param,
    quote_for,
    run_fenced,
    table,
)
from strategies.per_offer import NoState, OfferPrice, PerOfferStrategy

__all__ = [
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "Decision",
    "EmptyParams",
    "NoState",
    "OfferPrice",
    "ParamSpec",
    "PerOfferStrategy",
    "Strategy",
    "available",
    "create",
    "get",
    "param",
    "quote_for",
    "run_fenced",
    "table",
]

ENTRY_POINT_GROUP = "pricebot.strategies"

# name -> "module:Class", imported on first use.
BUILTINS: dict[str, str] = {
    "fixed": "strategies.fixed:FixedStrategy",
    "competitive": "strategies.competitive:CompetitiveStrategy",
    "utilization": "strategies.utilization:UtilizationStrategy",
    "demand": "strategies.demand:DemandStrategy",
    "bandit": "strategies.bandit:BanditStrategy",
    "portfolio": "strategies.portfolio:PortfolioStrategy",
}


def _plugins() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    """Every strategy name: built-ins first, then installed plug-ins."""
    extra = sorted(n for n in _plugins() if n not in BUILTINS)
    return [*BUILTINS, *extra]


def get(name: str) -> type[Strategy[object]]:
    """The strategy class registered under ``name``."""
    target: object
    if name in BUILTINS:
        module, _, attr = BUILTINS[name].partition(":")
        target = getattr(import_module(module), attr)
    else:
        ep = _plugins().get(name)
        if ep is None:
            raise InputError("strategy.name", f"unknown strategy; available: {available()}", name)
        try:
            target = ep.load()  # type: ignore[attr-defined]
        except Exception as exc:
            raise InputError(
                "strategy.name", f"plug-in strategy failed to import: {exc!r}", name
            ) from exc
    if not (isinstance(target, type) and issubclass(target, Strategy)):
        raise InputError("strategy.name", "does not name a strategies.base.Strategy subclass", name)
    return target


def create(name: str, params: dict[str, object] | None = None) -> Strategy[object]:
    """Instantiate ``name`` with params from config (validated, errors name the key)."""
    cls = get(name)
    return cls(cls.params_from_mapping(params))

"""Every module's public surface is what its ``__all__`` says: the names it lists exist, and every
public class or function it defines is listed (a plug-in author reads ``__all__`` as the API)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from types import ModuleType

import pytest

import bot
import bot.domain.model
import bot.sandbox.market_server as market_server
import strategies

_SKIP_PREFIXES = ("bot.sandbox.market_server.__main__",)


def _modules() -> list[str]:
    names = ["bot", "strategies"]
    for package in (bot, strategies):
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if info.name.endswith("__main__") or info.name.startswith(_SKIP_PREFIXES):
                continue
            names.append(info.name)
    return sorted(names)


MODULES = _modules()


@pytest.mark.parametrize("name", MODULES)
def test_all_names_what_the_module_exports(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert all(hasattr(module, attr) for attr in exported), f"{name}.__all__ names a missing name"
    defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", None) == name
    }
    assert defined <= set(exported), f"public but not in __all__: {sorted(defined - set(exported))}"


def test_every_layer_package_is_listed() -> None:
    layers = {
        "domain",
        "pricing",
        "engine",
        "adapters",
        "config",
        "sim",
        "backtest",
        "ops",
        "sandbox",
        "app",
    }
    top = {info.name for info in pkgutil.iter_modules(bot.__path__)}
    assert top == layers, "every module of bot/ lives in a layer package"


def test_every_action_kind_is_exported() -> None:
    kinds = {cls.__name__ for cls in typing.get_args(bot.domain.model.Action)}
    assert kinds == {"Keep", "Publish", "Unpublish", "Cancel", "Relist"}
    assert kinds <= set(bot.domain.model.__all__)


def test_market_server_surface_is_pinned_and_documented() -> None:
    assert sorted(market_server.__all__) == [
        "FaultConfig",
        "MarketServer",
        "MarketServerConfig",
        "Marketplace",
        "RouteFault",
    ]
    for name in market_server.__all__:
        assert name in (market_server.__doc__ or "")

"""iexec-pricebot: the pricing agent of an iExec workerpool.

The code is in layer packages, each importing only the layers below it (``lint-imports`` checks):
``domain`` (orders, networks, rules, signing) < ``pricing`` (snapshot, ledger, rails, planner: pure)
< the top-level ``strategies`` < ``engine`` (ports, samplers, cycle, executor, reconcile) <
``adapters`` (the only network and disk I/O) and ``sim`` < ``config`` < ``backtest`` and ``ops`` <
``sandbox`` < ``app`` (service, CLI). docs/architecture.md draws it.

Release 0.2 moved the flat modules (``bot.model``, ``bot.snapshot``, ``bot.cli`` ...) into those
packages. A plug-in strategy written against the old paths keeps working for one release: the old
names are aliases of the new modules (the same module objects) and importing one warns with a
DeprecationWarning naming the new path. CHANGELOG.md lists the moves.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

__all__: list[str] = []

_MOVED_TO: dict[str, str] = {
    **{
        f"bot.{m}": f"bot.domain.{m}"
        for m in ("model", "errors", "networks", "rules", "order_io", "signing", "safe_json")
    },
    **{
        f"bot.{m}": f"bot.pricing.{m}"
        for m in ("snapshot", "ledger", "rails", "planner", "admission", "runtimes")
    },
    **{
        f"bot.{m}": f"bot.engine.{m}"
        for m in (
            "ports",
            "samplers",
            "cycle",
            "executor",
            "reconcile",
            "deadline",
            "snapshot_codec",
        )
    },
    **{f"bot.{m}": f"bot.adapters.{m}" for m in ("journal", "journal_backup", "keys")},
    **{f"bot.{m}": f"bot.app.{m}" for m in ("service", "cli", "commands")},
    "bot.settings": "bot.config.settings",
    "bot.adapters.safe_json": "bot.domain.safe_json",
}
"""Old module path -> new one (release 0.2). Removed in 0.3."""


class _AliasLoader(importlib.abc.Loader):
    """Hands back the already-imported new module, so old and new names are one module object."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._module: ModuleType | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        self._module = importlib.import_module(self._target)
        self._attrs = (self._module.__spec__, self._module.__loader__, self._module.__package__)
        return self._module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the old name's spec onto the module: put the real one back.
        module.__spec__, module.__loader__, module.__package__ = self._attrs
        module.__name__ = self._target


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = _moved_target(fullname)
        if new is None:
            return None
        warnings.warn(
            f"{fullname} moved to {new} in pricebot 0.2; the old path goes in 0.3",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.util.spec_from_loader(fullname, _AliasLoader(new))


def _moved_target(fullname: str) -> str | None:
    """``bot.cli`` -> ``bot.app.cli``; ``bot.commands.order`` -> ``bot.app.commands.order``."""
    if fullname in _MOVED_TO:
        return _MOVED_TO[fullname]
    head, _, tail = fullname.rpartition(".")
    parent = _MOVED_TO.get(head)
    return f"{parent}.{tail}" if parent is not None else None


if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedModuleFinder())

"""The public surface of the market client modules is what ``__all__`` says, no more, no less."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "bot.adapters.market_api",
        "bot.adapters.market_guards",
        "bot.adapters.market_models",
        "bot.adapters.rate_budget",
        "bot.adapters.safe_text",
        "bot.adapters.book_signatures",
        "bot.adapters.retrying",
    ],
)
def test_all_lists_exactly_the_public_definitions(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    defined = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", None) == name
    }
    assert defined <= exported, f"public but not exported: {sorted(defined - exported)}"
    assert all(hasattr(module, attr) for attr in exported)

"""The core's public surfaces: what ``__all__`` promises exists, and every action kind is in it."""

from __future__ import annotations

import typing

import pytest

import bot.domain.model
import bot.engine.ports
import strategies.base


@pytest.mark.parametrize(
    "module", [bot.domain.model, bot.engine.ports, strategies.base], ids=lambda m: m.__name__
)
def test_all_names_exist(module: object) -> None:
    missing = [n for n in module.__all__ if not hasattr(module, n)]  # type: ignore[attr-defined]
    assert not missing


def test_every_action_kind_is_exported() -> None:
    kinds = {cls.__name__ for cls in typing.get_args(bot.domain.model.Action)}
    assert kinds == {"Keep", "Publish", "Unpublish", "Cancel", "Relist"}
    assert kinds <= set(bot.domain.model.__all__)

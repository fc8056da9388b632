"""The 0.2 layout move keeps 0.1 plug-ins working for one release, and nothing of ours uses the old
paths (they warn, and they go in 0.3)."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bot

ROOT = Path(__file__).resolve().parents[2]
OLD_TO_NEW = bot._MOVED_TO


@pytest.mark.parametrize("old", sorted(OLD_TO_NEW))
def test_old_path_is_the_new_module_with_a_warning(old: str) -> None:
    # A fresh interpreter: in this one the alias may already be cached without a second warning.
    code = (
        "import importlib, warnings\n"
        "warnings.simplefilter('error')\n"
        f"try:\n    importlib.import_module({old!r})\n"
        "except DeprecationWarning as w:\n    print('WARNED', w)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert f"WARNED {old} moved to {OLD_TO_NEW[old]}" in out.stdout, out.stderr


def test_alias_and_new_module_are_one_object() -> None:
    with pytest.warns(DeprecationWarning):
        legacy = importlib.import_module("bot.commands.order")
    assert legacy is importlib.import_module("bot.app.commands.order")
    assert legacy.__name__ == "bot.app.commands.order"


def test_an_old_style_plugin_still_runs() -> None:
    code = (
        "from bot.snapshot import MarketSnapshot\n"  # the 0.1 spelling of a plug-in's imports
        "from bot.model import Quote\n"
        "import bot.pricing.snapshot, bot.domain.model\n"
        "assert MarketSnapshot is bot.pricing.snapshot.MarketSnapshot and Quote is bot.domain.model.Quote\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert out.stdout.strip() == "ok", out.stderr


def test_no_code_of_ours_imports_an_old_path() -> None:
    pattern = re.compile(
        r"^\s*(?:from|import)\s+(" + "|".join(re.escape(o) for o in OLD_TO_NEW) + r")(?![\w.])",
        re.M,
    )
    offenders = [
        str(path.relative_to(ROOT))
        for top in ("bot", "strategies", "tests", "bench")
        for path in (ROOT / top).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []

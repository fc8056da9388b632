"""The notebooks run top to bottom (on a tiny scenario) so they never rot."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.xdist_group("backtest-notebooks")


def test_both_notebooks_are_shipped() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"backtest", "tuning"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICEBOT_NB_SCENARIO", str(ROOT / "tests" / "backtest" / "tiny.toml"))
    monkeypatch.setenv("PRICEBOT_NB_DAYS", "0.05")
    monkeypatch.setenv("PRICEBOT_NB_JOBS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert errors == []
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last.get("outputs"), "the last cell shows a result"

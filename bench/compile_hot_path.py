"""Build the optional compiled copy of the backtest's hot path, and prove it changes nothing.

Usage::

    .venv/bin/python bench/compile_hot_path.py        # or: make compiled
    PYTHONPATH=.cache/compiled .venv/bin/pricebot backtest --scenario ... --out ...

A backtest spends its time in the shared cycle and the simulator, which are plain Python
(one decision per simulated minute is ~43,000 ticks a month). mypyc, which ships with mypy (a
dev dependency), compiles those modules from the *same* source to C extensions. This script:

1. copies ``bot/`` and ``strategies/`` (and pyproject.toml, for mypy's settings) to
   ``.cache/compiled/`` — the source tree itself is never touched, so editing a ``.py`` file can
   never be shadowed by a stale extension;
2. compiles the hot modules there (strategies stay Python: they are the owner's code);
3. runs the same scenarios with the compiled copy and with the source tree, and fails unless
   every counter and every time-series row is identical;
4. stamps the copy with a digest of the sources it was built from
   (``bench/backtest_speed.py`` refuses a stale copy).

Needs a C compiler and the Python headers (present on the project's machines).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / ".cache" / "compiled"
DIGEST_FILE = "SOURCE_DIGEST"

# The modules a backtest tick runs through, in the order of the cycle.
HOT = (
    "bot/model.py",
    "bot/snapshot.py",
    "bot/capacity.py",
    "bot/rails.py",
    "bot/planner.py",
    "bot/samplers.py",
    "bot/executor.py",
    "bot/cycle.py",
    "bot/sim/agents.py",
    "bot/sim/market_sim.py",
)

# Scenario / strategy pairs whose outputs must not move (1 simulated day each).
CHECKS = (
    ("stationary", "fixed"),
    ("price_war", "competitive"),
    ("demand_surge", "demand"),
    ("thin_market", "utilization"),
    ("capacity_drop", "bandit"),
    ("realistic", "portfolio"),
)

_PROBE = """
import hashlib, json, sys
from bot.backtest import prepare_scenario
from bot.backtest.engine import simulate
out = {}
for name, strategy in json.loads(sys.argv[2]):
    path = f"{sys.argv[1]}/config/scenarios/{name}.toml"
    run = simulate(prepare_scenario(path, 1.0), strategy, seed=1)
    blob = repr((run.counters, run.rows, run.curve, run.ticks))
    out[f"{name}/{strategy}"] = hashlib.sha256(blob.encode()).hexdigest()
import bot.cycle
out["_cycle_module"] = bot.cycle.__file__
print(json.dumps(out))
"""


def source_digest(root: Path) -> str:
    """Digest of every Python source under bot/ and strategies/ (what the copy is built from)."""
    h = hashlib.sha256()
    for package in ("bot", "strategies"):
        for path in sorted((root / package).rglob("*.py")):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _copy_sources() -> None:
    if DEST.exists():
        shutil.rmtree(DEST)
    DEST.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.pyc")
    for package in ("bot", "strategies"):
        shutil.copytree(ROOT / package, DEST / package, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", DEST / "pyproject.toml")


def _compile() -> None:
    mypyc = Path(sys.executable).with_name("mypyc")
    if not mypyc.exists():
        sys.exit("mypyc not found next to the interpreter: run `make setup` (mypy is a dev dep)")
    result = subprocess.run(
        [str(mypyc), *HOT], cwd=DEST, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        sys.exit("mypyc failed (see above); the source tree is untouched")
    shutil.rmtree(DEST / "build", ignore_errors=True)


def _probe(pythonpath: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT), json.dumps(CHECKS)],
        cwd=DEST.parent,  # not the repository root: `-c` puts the cwd first on sys.path
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def main() -> None:
    digest = source_digest(ROOT)
    print(f"copying bot/ and strategies/ to {DEST.relative_to(ROOT)} ...", flush=True)
    _copy_sources()
    print(f"compiling {len(HOT)} modules with mypyc (a minute or two) ...", flush=True)
    _compile()
    print("checking the compiled copy against the sources ...", flush=True)
    compiled, pure = _probe(DEST), _probe(ROOT)
    if not compiled.pop("_cycle_module").endswith(".so"):
        sys.exit("the compiled copy did not load its extensions")
    pure.pop("_cycle_module")
    if compiled != pure:
        bad = sorted(k for k in pure if compiled.get(k) != pure[k])
        shutil.rmtree(DEST)
        sys.exit(f"compiled outputs differ from the sources on {bad}: copy removed")
    (DEST / DIGEST_FILE).write_text(digest + "\n")
    print(f"ok: {len(CHECKS)} scenario/strategy pairs identical; use PYTHONPATH={DEST}")


if __name__ == "__main__":
    main()

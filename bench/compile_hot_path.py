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
2. compiles the hot modules there, then keeps only the extensions: the copy's package
   ``__init__`` files extend ``__path__`` to the source tree, so every other module (the
   strategies included: they are the owner's code) is imported from the sources as usual;
3. runs the same scenarios with the compiled copy and with the source tree, and fails unless
   every counter and every time-series row is identical;
4. stamps the copy with a digest of the ``bot/`` sources it was built from
   (``bench/backtest_speed.py`` refuses a stale copy; editing a strategy does not make it stale).

Needs a C compiler and the Python headers (present on the project's machines).
"""

from __future__ import annotations

import argparse
import ast
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
    "bot/domain/model.py",
    "bot/pricing/snapshot.py",
    "bot/pricing/ledger.py",
    "bot/pricing/rails.py",
    "bot/pricing/planner.py",
    "bot/engine/samplers.py",
    "bot/engine/executor.py",
    "bot/engine/cycle.py",
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
import bot.engine.cycle
out["_cycle_module"] = bot.engine.cycle.__file__
print(json.dumps(out))
"""


def source_digest(root: Path) -> str:
    """Digest of every Python source under bot/ (what the compiled modules were checked with)."""
    h = hashlib.sha256()
    for path in sorted((root / "bot").rglob("*.py")):
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


def _keep_only_extensions() -> None:
    """Leave the compiled modules; everything else resolves to the source tree."""
    shutil.rmtree(DEST / "strategies")
    shutil.rmtree(DEST / ".mypy_cache", ignore_errors=True)
    (DEST / "pyproject.toml").unlink()
    # "bot" too: since 0.2 no HOT module sits directly in it, but the copy's ``bot`` must be a
    # regular package (a namespace portion would lose to the source tree's) carrying the guard.
    packages = {str(Path(m).parent) for m in HOT} | {"bot"}
    for path in sorted(DEST.rglob("*.py")):
        path.unlink()
    for path in sorted(DEST.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    for package in sorted(packages):
        source = (ROOT / package).resolve()
        text = (source / "__init__.py").read_text()
        body = ast.parse(text).body
        run_source = ""
        if package == "bot":  # its code (the 0.1 module aliases) runs from the source, as is
            init = str(source / "__init__.py")
            run_source = f"exec(compile(open({init!r}).read(), {init!r}, 'exec'))\n"
        elif not all(_harmless(n) for n in body):
            # the copy's __init__ replaces it: a package with code there cannot host a HOT module
            sys.exit(f"{package}/__init__.py has code: leave that package's modules out of HOT")
        exports = "".join(
            f"{ast.get_source_segment(text, n)}\n" for n in body if _exports(n)
        )  # the layer packages' empty ``__all__`` (0.2 layout), kept as it is
        guard = _GUARD.format(root=str(ROOT.resolve())) if package == "bot" else ""
        (DEST / package / "__init__.py").write_text(
            '"""Compiled hot path (bench/compile_hot_path.py): the rest is in the sources."""\n\n'
            f"{exports}__path__.append({str(source)!r})\n{guard}{run_source}"
        )


def _exports(node: ast.stmt) -> bool:
    """``__all__ = ...`` / ``__all__: list[str] = ...``."""
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == "__all__"
    return isinstance(node, ast.Assign) and [
        t.id for t in node.targets if isinstance(t, ast.Name)
    ] == ["__all__"]


def _harmless(node: ast.stmt) -> bool:
    """A docstring, ``from __future__ import ...`` or ``__all__``: nothing the copy must run."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return True
    return _exports(node)


# Appended to the copy's bot/__init__.py: a copy older than the bot/ sources refuses to load
# (so a stale extension can never run in place of edited code, whatever command imports it).
_GUARD = """

def _refuse_if_stale() -> None:
    import hashlib
    import pathlib

    root = pathlib.Path({root!r})
    stamp = pathlib.Path(__file__).resolve().parents[1] / "SOURCE_DIGEST"
    digest = hashlib.sha256()
    for path in sorted((root / "bot").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    if not stamp.exists() or stamp.read_text().strip() != digest.hexdigest():
        raise ImportError(
            f"{{stamp.parent}} was compiled from other sources than {{root / 'bot'}}: "
            "run `make compiled` again, or leave it out of PYTHONPATH"
        )


_refuse_if_stale()
"""


def _probe(*pythonpath: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, pythonpath))}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT), json.dumps(CHECKS)],
        cwd=DEST.parent,  # not the repository root: `-c` puts the cwd first on sys.path
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise RuntimeError(f"the probe failed with PYTHONPATH={env['PYTHONPATH']} (see above)")
    return dict(json.loads(out.stdout))


def main() -> None:
    global DEST
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--dest",
        type=Path,
        default=DEST,
        help="where to build the copy (default .cache/compiled; .cache may be shared by worktrees)",
    )
    DEST = parser.parse_args().dest.resolve()
    digest = source_digest(ROOT)
    print(f"copying bot/ and strategies/ to {DEST} ...", flush=True)
    _copy_sources()
    print(f"compiling {len(HOT)} modules with mypyc (a minute or two) ...", flush=True)
    _compile()
    _keep_only_extensions()
    (DEST / DIGEST_FILE).write_text(digest + "\n")  # the copy's guard reads it
    print("checking the compiled copy against the sources ...", flush=True)
    try:
        problem = _check()
    except BaseException:
        shutil.rmtree(DEST)  # a crash or an interrupt must not leave a stamped, unchecked copy
        raise
    if problem is not None:
        shutil.rmtree(DEST)
        sys.exit(f"{problem}: copy removed")
    print(f"ok: {len(CHECKS)} scenario/strategy pairs identical; use PYTHONPATH={DEST}:{ROOT}")


def _check() -> str | None:
    """What is wrong with the compiled copy, or None when it matches the sources."""
    # The sources after the copy: ``strategies`` (never compiled) must come from this tree, not
    # from wherever the environment's editable install points (another worktree's).
    compiled, pure = _probe(DEST, ROOT), _probe(ROOT)
    if not compiled.pop("_cycle_module").endswith(".so"):
        return "the compiled copy did not load its extensions"
    pure.pop("_cycle_module")
    if compiled != pure:
        bad = sorted(k for k in pure if compiled.get(k) != pure[k])
        return f"compiled outputs differ from the sources on {bad}"
    return None


if __name__ == "__main__":
    main()

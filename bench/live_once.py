"""One live reprice on the sandbox: ``pricebot once --live`` measured from outside (issue #20).

Usage::

    nice -n 10 .venv/bin/python bench/live_once.py [--runs 5] [--tree NAME=DIR ...] [--callgrind]
        [--json out.json]

Starts its own sandbox (anvil + PoCo, marketplace, core, simulated agents; seed 1) in a temporary
state dir and stops it at the end. The bot runs the sandbox's config with the ``fixed`` strategy at
a price 3 % lower each run (the deadband is 2 %), so every run after the first publishes a new
order, unpublishes the old one and cancels it on chain through the relay: the reprice the issue
measured. Each tree (default: this checkout; ``--tree base=/tmp/base`` adds another checkout, e.g.
a ``git archive`` of main) runs in turn within every round, so trees are compared in one sitting.

Per run: wall and CPU seconds and peak RSS (``/usr/bin/time``), the decisions the bot logged.
Once per tree: the HTTP requests by kind (marketplace, core, JSON-RPC requests and calls), counted
by a loopback proxy in front of each endpoint (a separate run: the proxy's hop is not in the
timed runs). ``--callgrind``: the instructions of one more run under ``valgrind --tool=callgrind``
(deterministic, unlike seconds on a shared machine), of importing alone every module such a run
imports (the start-up share), of ``pricebot --help`` and ``pricebot order hash``, and of the
third-party imports in ``IMPORTS`` alone. The load average is recorded before and after.

Bytecode: each tree is compiled first and ``PYTHONDONTWRITEBYTECODE`` is dropped for the runs, so
start-up is what an installed bot sees (without .pyc files every run recompiles ~100 modules).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bot.sandbox.stack import read_info, spawn_detached, stop_detached

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
START_PRICE = 30_000_000  # nRLC, the sandbox's default price
STEP = 0.97  # 3 % lower each run: above the sandbox's 2 % deadband, below its 25 % max step
# What third-party imports alone cost: the interpreter, web3 (which imports eth-account, which
# imports eth-keyfile and py_ecc.bls; the live path no longer imports either), eth-account alone,
# and the packages the live path needs: httpx, the eth stack, pydantic, typer.
IMPORTS = (
    "pass",
    "import web3",
    "import eth_account",
    "import httpx",
    "import eth_abi.abi, eth_keys, rlp, eth_utils",
    "import pydantic",
    "import typer",
)
# Runs `pricebot ARGS` and writes the modules it imported, one per line, to the file $MODULES.
_LIST_MODULES = """
import os, sys
from bot.app.cli import main
sys.argv = ["pricebot", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
with open(os.environ["MODULES"], "w") as out:
    out.write("\\n".join(sorted(m for m in sys.modules if m != "__main__")))
"""
# Imports the modules listed in the file $MODULES (what a run imported), and nothing else.
_IMPORT_MODULES = """
import importlib, os
for name in open(os.environ["MODULES"]).read().split():
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""
ORDER = {  # what `pricebot order init` writes, with a fixed salt
    "workerpool": "0xdc975c2c24f484d36f4c5adcbeaa5e3151ce6248",
    "workerpoolprice": 20000000,
    "volume": 1,
    "tag": "0x" + "00" * 32,
    "category": 0,
    "trust": 0,
    "apprestrict": "0x" + "00" * 20,
    "datasetrestrict": "0x" + "00" * 20,
    "requesterrestrict": "0x" + "00" * 20,
    "salt": "0x0ad0417c244bf64f2cfec1fc2c5a0083c137d2b84f5266598e3e092f652cd078",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self.server.proxy.relay(self, b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.server.proxy.relay(self, self.rfile.read(length) if length else b"")

    do_PUT = do_POST
    do_DELETE = do_POST


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: CountingProxy) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy


class CountingProxy:
    """Forward every request (headers included) to ``upstream``; count requests and JSON-RPC calls.

    Not the soak's fault proxy: that one forwards the content type only, and the marketplace's
    authenticated calls need their authorization header.
    """

    HOP = frozenset({"host", "content-length", "connection", "transfer-encoding"})

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.requests = 0
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=60.0)
        self._server = _Server(self)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def relay(self, handler: _Handler, body: bytes) -> None:
        with self._lock:
            self.requests += 1
            try:
                data = json.loads(body) if body else None
            except ValueError:
                data = None
            for item in data if isinstance(data, list) else [data]:
                if isinstance(item, dict) and "method" in item:
                    self.calls[str(item["method"])] += 1
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in self.HOP}
        resp = self._client.request(
            handler.command, self.upstream + handler.path, content=body or None, headers=headers
        )
        handler.send_response(resp.status_code)
        for key, value in resp.headers.items():
            if key.lower() not in self.HOP | {"content-encoding"}:
                handler.send_header(key, value)
        handler.send_header("content-length", str(len(resp.content)))
        handler.end_headers()
        handler.wfile.write(resp.content)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def render(config: str, price: int, urls: dict[str, str] | None = None) -> str:
    """The sandbox's config with the fixed strategy at ``price`` (and proxied endpoints)."""
    strategy = f'[strategy]\nname = "fixed"\n\n[strategy.params]\nprice = {price}\n\n[[offers]]'
    text = re.sub(r"\[strategy\].*?\[\[offers\]\]", strategy, config, count=1, flags=re.S)
    # Both trees must accept it: schedule.market_budget_per_minute exists only since #20 (without
    # it a local network budgets 6,000/min; before #20 the budget was a fixed 90/min, burst 10,
    # and a reprice makes ~9 marketplace requests: neither tree waits for a token).
    text = re.sub(r"^market_budget_per_minute = .*\n", "", text, flags=re.M)
    for key, url in (urls or {}).items():
        if key == "rpc_urls":
            text = re.sub(r"^rpc_urls = \[.*?\]", f'rpc_urls = ["{url}"]', text, flags=re.M)
        else:
            text = re.sub(rf'^{key} = ".*?"', f'{key} = "{url}"', text, flags=re.M)
    return text


class Bench:
    def __init__(self, state: Path, trees: dict[str, Path]) -> None:
        self.state = state
        self.trees = trees
        self.info = read_info(state)
        self.template = (state / "pricebot.toml").read_text()
        self.price = START_PRICE
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env.update(self.info.bot_env())

    def next_config(self, urls: dict[str, str] | None = None) -> Path:
        self.price = int(self.price * STEP)
        path = self.state / "bench.toml"
        path.write_text(render(self.template, self.price, urls))
        return path

    def command(self, tree: Path, *args: str) -> tuple[list[str], dict[str, str]]:
        env = dict(self.env, PYTHONPATH=str(tree))
        return [sys.executable, "-m", "bot.app.cli", *args], env

    def once(self, tree: Path, config: Path) -> dict[str, Any]:
        cmd, env = self.command(tree, "once", "--live", "-c", str(config))
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            proc = subprocess.run(
                ["/usr/bin/time", "-o", tf.name, "-f", "%e %U %S %M", *cmd],
                env=env,
                capture_output=True,
                text=True,
                cwd=tree,
            )
            wall, user, sys_s, rss_kb = tf.read().split()[-4:]
        decisions = re.findall(r"decision: (\w+)[^\n]*?-> (\w+)", proc.stderr)
        if proc.returncode != 0:
            raise SystemExit(f"once --live failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return {
            "wall_s": float(wall),
            "cpu_s": round(float(user) + float(sys_s), 2),
            "rss_mib": round(int(rss_kb) / 1024, 1),
            "decisions": [f"{kind} {outcome}" for kind, outcome in decisions],
        }

    def requests(self, tree: Path) -> dict[str, Any]:
        proxies = {
            "market_url": CountingProxy(self.info.market_url),
            "core_url": CountingProxy(self.info.core_url),
            "rpc_urls": CountingProxy(self.info.rpc_url),
        }
        try:
            config = self.next_config({k: p.url for k, p in proxies.items()})
            run = self.once(tree, config)
        finally:
            for p in proxies.values():
                p.stop()
        rpc = proxies["rpc_urls"]
        return {
            "marketplace": proxies["market_url"].requests,
            "core": proxies["core_url"].requests,
            "json_rpc_requests": rpc.requests,
            "json_rpc_calls": sum(rpc.calls.values()),
            "json_rpc_methods": dict(rpc.calls.most_common()),
            "decisions": run["decisions"],
        }

    def imports_of(self, tree: Path, modules: Path, *args: str) -> int:
        """Instructions of importing, and only importing, what ``pricebot ARGS`` imports."""
        _, env = self.command(tree, *args)
        env = dict(env, MODULES=str(modules))
        subprocess.run(
            [sys.executable, "-c", _LIST_MODULES, *args],
            env=env,
            capture_output=True,
            cwd=tree,
            check=True,
        )
        return self.callgrind(tree, "-c", _IMPORT_MODULES, python=True, extra_env=env)

    def callgrind(
        self, tree: Path, *args: str, python: bool = False, extra_env: dict[str, str] | None = None
    ) -> int:
        """Instructions of one run of the CLI (or, ``python``, of ``python ARGS``)."""
        cmd, env = self.command(tree, *args)
        if extra_env:
            env = dict(env, **extra_env)
        if python:
            cmd = [sys.executable, *args]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "callgrind.out"
            subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
                env=env,
                capture_output=True,
                cwd=tree,
                check=True,
            )
            totals = re.search(r"^(?:totals|summary): (\d+)", out.read_text(), re.M)
        if totals is None:
            raise SystemExit(f"no instruction total in the callgrind output of {args}")
        return int(totals.group(1))


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def summarize(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, dict[str, float]]]:
    """Median and spread of wall, CPU and peak RSS per tree (or tool) that ran."""
    return {
        name: {key: summary([r[key] for r in rs]) for key in ("wall_s", "cpu_s", "rss_mib")}
        for name, rs in runs.items()
        if rs
    }


def emit(result: dict[str, Any], path: Path | None) -> None:
    """Print the result as JSON, and write it to ``path`` when one was given."""
    text = json.dumps(result, indent=2)
    print(text)
    if path:
        path.write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed reprices per tree")
    parser.add_argument("--tree", action="append", default=[], help="NAME=DIR, another checkout")
    parser.add_argument("--callgrind", action="store_true", help="instruction counts too")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    trees = {"this": ROOT, **{t.split("=", 1)[0]: Path(t.split("=", 1)[1]) for t in args.tree}}
    for tree in trees.values():
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "bot", "strategies"],
            cwd=tree,
            env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            check=True,
            stdout=subprocess.DEVNULL,
        )
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "load_before": load_average(),
        "trees": {name: str(path) for name, path in trees.items()},
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        state = Path(tmp) / "sandbox"
        started = time.monotonic()
        spawn_detached(state, seed=1)
        result["sandbox_start_s"] = round(time.monotonic() - started, 1)
        try:
            bench = Bench(state, trees)
            first = bench.once(ROOT, bench.next_config())  # the first order: publish only
            result["first_run"] = first
            for _ in range(args.runs):
                for name, tree in trees.items():
                    run = bench.once(tree, bench.next_config())
                    runs[name].append(run)
                    print(name, json.dumps(run), flush=True)
            result["requests"] = {name: bench.requests(tree) for name, tree in trees.items()}
            if args.callgrind:
                order_file = Path(tmp) / "order.json"
                order_file.write_text(json.dumps(ORDER))
                result["instructions"] = {
                    name: {
                        "once --live": bench.callgrind(
                            tree, "once", "--live", "-c", str(bench.next_config())
                        ),
                        "--help": bench.callgrind(tree, "--help"),
                        "order hash": bench.callgrind(
                            tree, "order", "hash", "-n", "bellecour", str(order_file)
                        ),
                        "python -c 'import bot.app.cli'": bench.callgrind(
                            tree, "-c", "import bot.app.cli", python=True
                        ),
                        "the imports of once --live alone": bench.imports_of(
                            tree,
                            Path(tmp) / f"modules-{name}.txt",
                            "once",
                            "--live",
                            "-c",
                            str(bench.next_config()),
                        ),
                    }
                    for name, tree in trees.items()
                }
                result["instructions"]["imports"] = {
                    f"python -c '{code}'": bench.callgrind(ROOT, "-c", code, python=True)
                    for code in IMPORTS
                }
        finally:
            stop_detached(state)
    result["load_after"] = load_average()
    result["runs"] = runs
    result["summary"] = summarize(runs)
    emit(result, args.json)


if __name__ == "__main__":
    main()

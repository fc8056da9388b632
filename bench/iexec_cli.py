"""The seed's manual reprice with the iExec CLI, next to ``pricebot once --live`` (issue #20).

Usage::

    nice -n 10 .venv/bin/python bench/iexec_cli.py [--runs 3] [--json out.json]

One sitting, one sandbox (started and stopped here, seed 1): first the bot reprices ``--runs``
times (``pricebot once --live``: publish the new order, unpublish the old one, cancel it on chain
through the relay; see bench/live_once.py), then the iExec CLI 9.0.1 (``.cache/npm``, ``make
node``) does what an owner does by hand for the same reprice, in a folder holding a ``chain.json``
naming the sandbox's chain, hub and marketplace and a ``deployed.json`` naming the workerpool:

    iexec order unpublish --workerpool   # the order in orders.json
    iexec order cancel --workerpool      # on chain, sent by the owner
    iexec order init --workerpool        # a fresh template in iexec.json (the new price set in it)
    iexec order sign --workerpool        # into orders.json
    iexec order publish --workerpool

with an encrypted wallet (``--keystoredir``, ``--password``) and again with an unencrypted one
(``wallet.json``). Per reprice: wall and CPU seconds (the five commands' sum, children included)
and the peak RSS (the largest of the five, ``/usr/bin/time``). Once per side: the HTTP requests
(marketplace and JSON-RPC), counted by the loopback proxy of bench/live_once.py. The CLI never
reads the book; the bot reads it every run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from live_once import ROOT, Bench, CountingProxy, emit, load_average, summarize

from bot.sandbox.stack import spawn_detached, stop_detached

IEXEC = ROOT / ".cache" / "npm" / "node_modules" / ".bin" / "iexec"
COMMANDS = ("unpublish", "cancel", "init", "sign", "publish")
PASSWORD = "bench-password"  # a throwaway keystore of anvil's public test key


class IexecCli:
    """One working folder of the iExec CLI on the sandbox (optionally behind counting proxies)."""

    def __init__(self, work: Path, bench: Bench, *, encrypted: bool) -> None:
        self.work = work
        self.bench = bench
        self.encrypted = encrypted
        self.price = 0
        work.mkdir(parents=True, exist_ok=True)
        self.point(bench.info.rpc_url, bench.info.market_url)
        info = bench.info
        (work / "deployed.json").write_text(
            json.dumps({"workerpool": {str(info.chain_id): to_checksum(info.workerpool)}})
        )
        (work / "iexec.json").write_text(json.dumps({"description": "bench"}))
        key = info.bot_env()["PRICEBOT_PRIVATE_KEY"]
        if encrypted:
            self.iexec("wallet", "import", key, "--keystoredir", "./keystore", "--force")
        else:
            self.iexec("wallet", "import", key, "--unencrypted", "--force", wallet=False)

    def point(self, rpc: str, market: str) -> None:
        """Write chain.json naming the sandbox (or the proxies in front of it)."""
        info = self.bench.info
        chain = {"id": str(info.chain_id), "host": rpc, "hub": info.hub, "iexecGateway": market}
        (self.work / "chain.json").write_text(
            json.dumps({"default": "local", "chains": {"local": chain}})
        )

    def iexec(self, *args: str, wallet: bool = True) -> dict[str, Any]:
        opts = ["--keystoredir", "./keystore", "--password", PASSWORD] if self.encrypted else []
        if not wallet:
            opts = opts[2:] if self.encrypted else []
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            started = time.monotonic()
            proc = subprocess.run(
                ["/usr/bin/time", "-o", tf.name, "-f", "%U %S %M", str(IEXEC), *args, "--raw"]
                + (opts if wallet else ["--password", PASSWORD] if self.encrypted else []),
                cwd=self.work,
                capture_output=True,
                text=True,
            )
            wall = time.monotonic() - started
            user, sys_s, rss_kb = tf.read().split()[-3:]
        if proc.returncode != 0:
            raise SystemExit(f"iexec {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return {
            "wall_s": round(wall, 2),
            "cpu_s": round(float(user) + float(sys_s), 2),
            "rss_mib": round(int(rss_kb) / 1024, 1),
            "out": json.loads(proc.stdout.strip().splitlines()[-1]),
        }

    def publish_first(self) -> None:
        for step in ("init", "sign", "publish"):
            self.step(step)

    def step(self, name: str) -> dict[str, Any]:
        flags = {"unpublish": ["--force"], "cancel": ["--force"], "publish": ["--force"]}
        run = self.iexec("order", name, "--workerpool", *flags.get(name, []))
        if name == "init":  # the owner types the new price into iexec.json
            self.price = self.price * 97 // 100 if self.price else 30_000_000
            doc = json.loads((self.work / "iexec.json").read_text())
            doc["order"]["workerpoolorder"].update(workerpoolprice=str(self.price), volume="6")
            (self.work / "iexec.json").write_text(json.dumps(doc, indent=2))
        return run

    def reprice(self) -> dict[str, Any]:
        steps = {name: self.step(name) for name in COMMANDS}
        return {
            "wall_s": round(sum(s["wall_s"] for s in steps.values()), 2),
            "cpu_s": round(sum(s["cpu_s"] for s in steps.values()), 2),
            "rss_mib": max(s["rss_mib"] for s in steps.values()),
            "per_command_wall_s": {name: s["wall_s"] for name, s in steps.items()},
        }


def to_checksum(address: str) -> str:
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address(address))


def counted(cli: IexecCli) -> dict[str, Any]:
    info = cli.bench.info
    rpc, market = CountingProxy(info.rpc_url), CountingProxy(info.market_url)
    try:
        cli.point(rpc.url, market.url)
        cli.reprice()
    finally:
        cli.point(info.rpc_url, info.market_url)
        rpc.stop()
        market.stop()
    return {
        "marketplace": market.requests,
        "json_rpc_requests": rpc.requests,
        "json_rpc_calls": sum(rpc.calls.values()),
        "json_rpc_methods": dict(rpc.calls.most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="reprices per side")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    if not IEXEC.exists():
        raise SystemExit(f"{IEXEC} is missing: run `make node`")
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_before": load_average(),
    }
    runs: dict[str, list[dict[str, Any]]] = {"pricebot": [], "iexec encrypted": []}
    runs["iexec unencrypted"] = []
    with tempfile.TemporaryDirectory(prefix="bench-iexec-") as tmp:
        state = Path(tmp) / "sandbox"
        spawn_detached(state, seed=1)
        try:
            bench = Bench(state, {"this": ROOT})
            bench.once(ROOT, bench.next_config())  # the bot's first order
            for _ in range(args.runs):
                run = bench.once(ROOT, bench.next_config())
                runs["pricebot"].append(run)
                print("pricebot", json.dumps(run), flush=True)
            result["requests"] = {"pricebot": bench.requests(ROOT)}
            # The bot's orders stay listed: the CLI reprices orders of its own in the same pool.
            for label, encrypted in (("iexec encrypted", True), ("iexec unencrypted", False)):
                cli = IexecCli(Path(tmp) / label.replace(" ", "-"), bench, encrypted=encrypted)
                cli.publish_first()
                for _ in range(args.runs):
                    run = cli.reprice()
                    runs[label].append(run)
                    print(label, json.dumps(run), flush=True)
                result["requests"][label] = counted(cli)
        finally:
            stop_detached(state)
    result["load_after"] = load_average()
    result["runs"] = runs
    result["summary"] = summarize(runs)
    bot = result["summary"]["pricebot"]
    result["ratio_wall"] = {
        name: round(s["wall_s"]["median"] / bot["wall_s"]["median"], 1)
        for name, s in result["summary"].items()
    }
    emit(result, args.json)


if __name__ == "__main__":
    main()

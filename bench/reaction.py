"""Reaction time: how long a competitor's move stays unanswered by ``pricebot run --live`` (#20).

Usage::

    nice -n 10 .venv/bin/python bench/reaction.py [--seconds 300] [--sample 1] [--reprice 2]
        [--json out.json]

Starts its own sandbox (seed 1, its simulated competitors moving by themselves) and the service
on it, live, with the sandbox's config (``competitive`` undercut, sample every 2 s, reprice every
4 s: 15 times production's default pace; its marketplace budget, 1,000/min), for ``--seconds``; meanwhile polls the marketplace's category-0 book every 0.25 s. A **move** is a
change of the cheapest competing price; it is **answered** when an order of ours at the
strategy's target for it (one step under it, within the strategy's floor and the rails'
ceiling) is published. Reaction = our order's ``publicationTimestamp`` minus the move's (the
competitor order's ``publicationTimestamp``, or the poll that saw the cheapest order go). Moves
the bot leaves alone (another move came first, or the rails' deadband / max step shaped the
answer) are counted, not timed. Goal: p95 within one reprice period plus the sampling and write
time. The service's log is searched for skipped jobs and waits for the request budget (there
must be none: the budget fits the schedule).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from live_once import ROOT, emit, load_average

from bot.sandbox.stack import read_info, spawn_detached, stop_detached

STEP = 1_000_000  # the sandbox strategy's undercut step (config/sandbox.toml)
FLOOR = 10_000_000  # its floor
CEILING = 100_000_000  # the sandbox rails' ceiling
ANSWER_WITHIN = 30.0  # seconds after which a move counts as left alone


@dataclass
class Seen:
    price: int
    workerpool: str
    published: float


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def poll(market: str, chain_id: int, client: httpx.Client) -> dict[str, Seen]:
    params = {"chainId": chain_id, "category": 0, "pageSize": 1000, "pageIndex": 0}
    data = client.get(f"{market}/workerpoolorders", params=params).json()
    return {
        r["orderHash"]: Seen(
            int(r["order"]["workerpoolprice"]),
            str(r["order"]["workerpool"]).lower(),
            _ts(r["publicationTimestamp"]),
        )
        for r in data.get("orders", [])
    }


def target(best: int) -> int:
    return min(CEILING, max(FLOOR, best - STEP))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--sample", type=int, default=2, help="the sandbox's: 2")
    parser.add_argument("--reprice", type=int, default=4, help="the sandbox's: 4")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_before": load_average(),
        "schedule": {"sample_seconds": args.sample, "reprice_seconds": args.reprice},
    }
    moves: list[tuple[float, int]] = []  # (time of the move, new cheapest competing price)
    ours: dict[str, Seen] = {}
    with tempfile.TemporaryDirectory(prefix="bench-reaction-") as tmp:
        state = Path(tmp) / "sandbox"
        spawn_detached(state, seed=1)
        info = read_info(state)
        pool = info.workerpool.lower()
        text = (state / "pricebot.toml").read_text()
        text = re.sub(r"^sample_seconds = .*$", f"sample_seconds = {args.sample}", text, flags=re.M)
        text = re.sub(
            r"^reprice_seconds = .*$", f"reprice_seconds = {args.reprice}", text, flags=re.M
        )
        config = state / "reaction.toml"
        config.write_text(text)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(info.bot_env(), PYTHONPATH=str(ROOT))
        log = (state / "reaction-bot.log").open("w")
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot.app.cli", "run", "--live", "-c", str(config)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            best: int | None = None
            best_hash: str | None = None
            end = time.monotonic() + args.seconds
            with httpx.Client(timeout=10.0) as client:
                while time.monotonic() < end:
                    now = time.time()
                    book = poll(info.market_url, info.chain_id, client)
                    for h, seen in book.items():
                        if seen.workerpool == pool:
                            ours.setdefault(h, seen)
                    rivals = {h: s for h, s in book.items() if s.workerpool != pool}
                    if rivals:
                        h, cheapest = min(rivals.items(), key=lambda kv: (kv[1].price, kv[0]))
                        if best is not None and cheapest.price != best:
                            # a new cheapest order moved at its publication; a cheaper one gone
                            # (or repriced up) moved when this poll saw it
                            new = h != best_hash and cheapest.price < best
                            moves.append((cheapest.published if new else now, cheapest.price))
                        best, best_hash = cheapest.price, h
                    time.sleep(0.25)
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(timeout=60)
            except subprocess.TimeoutExpired:
                bot.kill()
            log.close()
            stop_detached(state)
            # the budget must fit the schedule: no job skipped, no request waiting for a token
            lines = (state / "reaction-bot.log").read_text(errors="replace").splitlines()
            result["missed_jobs"] = sum("missed its run" in line for line in lines)
            result["budget_waits"] = sum("request budget" in line for line in lines)
            result["ticks_logged"] = sum("decision:" in line for line in lines)
    published = sorted(s.published for s in ours.values())
    by_price: dict[int, list[float]] = {}
    for s in ours.values():
        by_price.setdefault(s.price, []).append(s.published)
    reactions: list[float] = []
    left = 0
    for i, (at, price) in enumerate(moves):
        nxt = moves[i + 1][0] if i + 1 < len(moves) else float("inf")
        answers = [
            t for t in by_price.get(target(price), []) if at - 0.5 <= t <= at + ANSWER_WITHIN
        ]
        if answers and min(answers) <= nxt + args.reprice:
            reactions.append(max(0.0, min(answers) - at))
        else:
            left += 1
    result["load_after"] = load_average()
    result["moves"] = len(moves)
    result["answered"] = len(reactions)
    result["left_alone"] = left
    result["our_publishes"] = len(published)
    if len(reactions) >= 2:
        q = statistics.quantiles(reactions, n=20)
        result["reaction_s"] = {
            "p50": round(statistics.median(reactions), 2),
            "p95": round(q[18], 2),
            "max": round(max(reactions), 2),
        }
    emit(result, args.json)


if __name__ == "__main__":
    main()

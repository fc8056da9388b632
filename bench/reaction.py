"""Reaction time: how long a competitor's move stays unanswered by ``pricebot run --live`` (#20).

Usage::

    nice -n 10 .venv/bin/python bench/reaction.py [--seconds 300] [--sample 2] [--reprice 4]
        [--json out.json]

Starts its own sandbox (seed 1, its simulated competitors moving by themselves) and the service
on it, live, with the sandbox's config (``competitive`` undercut, sample every 2 s, reprice every
4 s: 15 times production's default pace; its marketplace budget, 1,000/min), for ``--seconds``;
meanwhile polls the marketplace's category-0 book every 0.25 s. A **move** is a change of the
cheapest competing price; it is **answered** when an order of ours at the strategy's target for
it (one step under it, within the strategy's floor and the rails' ceiling) is published.
Reaction = our order's ``publicationTimestamp`` minus the move's (the competitor order's
``publicationTimestamp``, or the poll that saw the cheapest order go: up to 0.25 s late).

After the run the service's journal says, for each answer, which tick made it: the tick's own
time (from its sampling start, the decision row's ``at``, to our order's publication: reading,
deciding, unpublishing the old order, cancelling it on chain, signing and publishing the new one)
is reported apart from the wait for that tick (move -> the tick's sampling start), and split by
phase from the journalled actions' times. A raise larger than the rails' max step is answered in
steps (the first tick after the move publishes 25 % up, the next ones the rest): such a move's
**first response** is that first step, and its full answer the order at the target. The bound is
checked per answered move on the first response: <= one reprice period + the responding tick's
own time, i.e. the responding tick started sampling within one period of the move.

Every move not answered gets a category, from the first tick that sampled after it (before the
next move): ``superseded`` (the next move came before any tick sampled), ``already_at_target``
(our listed order already sat at the target: the floor, or a move that did not change it),
``deadband`` (our order within the rails' 2 % of the target: kept on purpose), ``max_step``
(the rails let a raise climb 25 % of our current price per tick, and the next move came before
the climb reached the target), ``rails`` (another rail moved the strategy's quote), ``quoted_other`` (the tick's
strategy quoted another price: it saw another cheapest order), ``write_failed``, ``late``
(published after the next move had already changed the target) and ``no_tick`` (no tick sampled
in the window). The service's log is searched for skipped jobs and waits for the request budget
(there must be none: the budget fits the schedule).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from live_once import ROOT, emit, load_average

from bot.sandbox.stack import read_info, spawn_detached, stop_detached

STEP = 1_000_000  # the sandbox strategy's undercut step (config/sandbox.toml)
FLOOR = 10_000_000  # its floor
CEILING = 100_000_000  # the sandbox rails' ceiling
DEADBAND = 0.02  # the sandbox rails' deadband
ANSWER_WITHIN = 30.0  # seconds after which a move counts as left alone
CATEGORY = 0


@dataclass
class Seen:
    price: int
    workerpool: str
    published: float


@dataclass(frozen=True)
class Move:
    at: float
    price: int  # the new cheapest competing price
    kind: str  # "new" (a cheaper order published) or "gone" (the cheapest left or went up)


@dataclass
class Tick:
    """One decision row of the service's journal, as far as category 0 goes."""

    at: float  # the tick's sampling start
    quoted: int | None  # the strategy's price
    railed: int | None  # after the rails
    notes: list[str]
    steps: list[dict[str, Any]]
    published: list[str] = field(default_factory=list)  # order hashes published ok


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def poll(market: str, chain_id: int, client: httpx.Client) -> dict[str, Seen]:
    params = {"chainId": chain_id, "category": CATEGORY, "pageSize": 1000, "pageIndex": 0}
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


def _price_of(items: list[dict[str, Any]] | None) -> int | None:
    for q in items or []:
        if int(q.get("category", -1)) == CATEGORY and int(q.get("volume", 1)) > 0:
            return int(q["price"])
    return None


def read_ticks(journal: Path) -> tuple[list[Tick], dict[str, list[tuple[float, str]]]]:
    """The service's decisions (one per tick, oldest first) and its ok actions by order hash."""
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    ticks = []
    for at, payload in db.execute("SELECT at, payload FROM decisions ORDER BY id"):
        row = json.loads(payload)
        decision, rails = row.get("decision") or {}, row.get("rails") or {}
        steps = list(row.get("steps") or [])
        ticks.append(
            Tick(
                at=float(at),
                quoted=_price_of(decision.get("quotes")),
                railed=_price_of(rails.get("quotes")),
                notes=[
                    str(n[2]) if isinstance(n, list) else str(n) for n in rails.get("notes", [])
                ],
                steps=steps,
                published=[
                    str(s["order_hash"])
                    for s in steps
                    if s.get("kind") == "publish" and s.get("outcome") == "ok"
                ],
            )
        )
    actions: dict[str, list[tuple[float, str]]] = {}
    for at, kind, h in db.execute(
        "SELECT at, kind, order_hash FROM actions WHERE outcome = 'ok' ORDER BY id"
    ):
        actions.setdefault(str(h), []).append((float(at), str(kind)))
    db.close()
    return ticks, actions


def listed_at(timeline: list[tuple[float, list[int]]], at: float) -> list[int]:
    """Our listed category-0 prices at the last poll before ``at``."""
    prices: list[int] = []
    for t, seen in timeline:
        if t > at:
            break
        prices = seen
    return prices


def classify(
    move: Move, nxt: float, first: Tick | None, ours: list[int], publishes: list[float]
) -> tuple[str, str]:
    """Why a move was not answered: (category, reason)."""
    goal = target(move.price)
    if first is None:
        if nxt - move.at < ANSWER_WITHIN:
            return "superseded", f"next move {nxt - move.at:.1f} s later, before any tick sampled"
        return "no_tick", "no tick sampled within the window"
    if goal in ours and first.quoted == goal:
        return "already_at_target", f"our order already at {goal}"
    if first.quoted != goal:
        why = next((s.get("reason", "") for s in first.steps if s.get("reason")), "")
        return "quoted_other", f"the tick quoted {first.quoted} (target {goal}): {why}"[:160]
    if first.railed != first.quoted:
        notes = "; ".join(first.notes)
        # the max step: a raise climbs in steps of 25 % of our current price, one per tick
        category = "max_step" if "at most" in notes else "rails"
        return category, f"rails moved {first.quoted} to {first.railed}: {notes}"
    keeps = [s for s in first.steps if s.get("kind") == "keep"]
    if keeps and "deadband" in str(keeps[0].get("reason", "")):
        return "deadband", str(keeps[0]["reason"])
    bad = [s for s in first.steps if s.get("outcome") not in ("ok", None)]
    if bad:
        return (
            "write_failed",
            f"{bad[0].get('kind')} {bad[0].get('outcome')}: {bad[0].get('detail')}",
        )
    if publishes:
        return (
            "late",
            f"published at {goal} {min(publishes) - move.at:.1f} s after, past the next move",
        )
    return "other", f"steps {[(s.get('kind'), s.get('outcome')) for s in first.steps]}"[:160]


def split(
    tick: Tick, h: str, at: float, actions: dict[str, list[tuple[float, str]]]
) -> dict[str, float]:
    """The responding tick's own time by phase, from its journalled actions' times (each action
    is journalled when done): reading and deciding up to the old order's unpublish, the old
    order's cancel on chain (transaction and receipt), signing and publishing ours (``h``,
    listed at ``at``)."""
    inside = sorted((a, k) for acts in actions.values() for a, k in acts if tick.at <= a <= at)
    unpublished = [a for a, k in inside if k == "unpublish"]
    cancelled = [a for a, k in inside if k == "cancel"]
    signed = min((a for a, k in actions.get(h, []) if k == "sign"), default=at)
    first_write = unpublished[0] if unpublished else signed
    closed = cancelled[-1] if cancelled else first_write
    return {
        "read_decide_unpublish": first_write - tick.at,
        "cancel": closed - first_write,
        "sign_publish": at - closed,
    }


def quantiles(xs: list[float]) -> dict[str, float]:
    if len(xs) < 2:
        return {"n": len(xs)}
    q = statistics.quantiles(xs, n=20)
    return {
        "n": len(xs),
        "p50": round(statistics.median(xs), 2),
        "p95": round(q[18], 2),
        "max": round(max(xs), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--sample", type=int, default=2, help="the sandbox's: 2")
    parser.add_argument("--reprice", type=int, default=4, help="the sandbox's: 4")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--keep", type=Path, help="keep the raw run here (polls, the service's journal and log)"
    )
    parser.add_argument("--analyse", type=Path, help="analyse a run kept with --keep, no run")
    args = parser.parse_args()
    if args.analyse:
        raw = json.loads((args.analyse / "raw.json").read_text())
        ticks, actions = read_ticks(args.analyse / "journal-live.sqlite")
        kept = {k: v for k, v in raw.items() if k not in ("moves", "ours", "timeline")}
        kept.update(
            analyse(
                [Move(*m) for m in raw["moves"]],
                {h: Seen(*s) for h, s in raw["ours"].items()},
                [(t, list(p)) for t, p in raw["timeline"]],
                ticks,
                actions,
                raw["schedule"]["reprice_seconds"],
            )
        )
        emit(kept, args.json)
        return
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "load_before": load_average(),
        "schedule": {"sample_seconds": args.sample, "reprice_seconds": args.reprice},
    }
    moves: list[Move] = []
    ours: dict[str, Seen] = {}
    timeline: list[tuple[float, list[int]]] = []  # (poll time, our listed prices)
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
                    mine = sorted(s.price for s in book.values() if s.workerpool == pool)
                    timeline.append((now, mine))
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
                            moves.append(
                                Move(
                                    cheapest.published if new else now,
                                    cheapest.price,
                                    "new" if new else "gone",
                                )
                            )
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
        journal = state / "journal" / "journal-live.sqlite"
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy2(journal, args.keep / journal.name)
            shutil.copy2(state / "reaction-bot.log", args.keep / "reaction-bot.log")
            raw = {
                **result,
                "moves": [[m.at, m.price, m.kind] for m in moves],
                "ours": {h: [s.price, s.workerpool, s.published] for h, s in ours.items()},
                "timeline": timeline,
            }
            (args.keep / "raw.json").write_text(json.dumps(raw))
        ticks, actions = read_ticks(journal)
    result.update(analyse(moves, ours, timeline, ticks, actions, args.reprice))
    result["load_after"] = load_average()
    emit(result, args.json)


def analyse(
    moves: list[Move],
    ours: dict[str, Seen],
    timeline: list[tuple[float, list[int]]],
    ticks: list[Tick],
    actions: dict[str, list[tuple[float, str]]],
    period: float,
) -> dict[str, Any]:
    by_price: dict[int, list[tuple[float, str]]] = {}
    for h, s in ours.items():
        by_price.setdefault(s.price, []).append((s.published, h))
    tick_of = {h: t for t in ticks for h in t.published}
    reactions: list[float] = []  # move -> our order at the target
    firsts: list[float] = []  # move -> our first order toward it (the target, or a rails step)
    stepped = 0
    waits: list[float] = []
    own_times: list[float] = []
    phases: dict[str, list[float]] = {"read_decide_unpublish": [], "cancel": [], "sign_publish": []}
    within = 0
    outside: list[dict[str, Any]] = []
    left: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for i, move in enumerate(moves):
        nxt = moves[i + 1].at if i + 1 < len(moves) else float("inf")
        goal = target(move.price)
        answers = sorted(
            (t, h)
            for t, h in by_price.get(goal, [])
            if move.at - 0.5 <= t <= move.at + ANSWER_WITHIN
        )
        if answers and answers[0][0] <= nxt + period:
            at, h = answers[0]
            reactions.append(max(0.0, at - move.at))
            tick = tick_of.get(h)
            if tick is None:
                outside.append({"move_at": round(move.at, 2), "why": "answering tick not found"})
                continue
            # A raise the rails' max step splits: the first tick after the move publishes a step
            # toward the target, a later one the target. The bound is the first response's.
            steps_toward = [
                x
                for x in ticks
                if move.at <= x.at < tick.at
                and x.quoted == goal
                and x.railed not in (None, x.quoted)
                and x.published
            ]
            if steps_toward:
                tick, h = steps_toward[0], steps_toward[0].published[-1]
                at = (
                    ours[h].published
                    if h in ours
                    else max(a for a, _ in actions.get(h, [(at, "")]))
                )
                stepped += 1
            firsts.append(max(0.0, at - move.at))
            wait, own = tick.at - move.at, at - tick.at
            waits.append(wait)
            own_times.append(own)
            for phase, seconds in split(tick, h, at, actions).items():
                phases[phase].append(seconds)
            if wait <= period + 1e-3:  # i.e. first response <= period + the tick's own time
                within += 1
            else:
                outside.append(
                    {
                        "move_at": round(move.at, 2),
                        "first_response_s": round(at - move.at, 2),
                        "wait_s": round(wait, 2),
                        "own_s": round(own, 2),
                    }
                )
            continue
        first = next(
            (t for t in ticks if move.at <= t.at < min(nxt, move.at + ANSWER_WITHIN)), None
        )
        late = [
            t for t, _ in by_price.get(goal, []) if move.at - 0.5 <= t <= move.at + ANSWER_WITHIN
        ]
        category, reason = classify(move, nxt, first, listed_at(timeline, move.at), late)
        left[category] += 1
        examples.setdefault(category, [])
        if len(examples[category]) < 3:
            examples[category].append(reason)
    return {
        "moves": len(moves),
        "moves_by_kind": dict(Counter(m.kind for m in moves)),
        "answered": len(reactions),
        "left_alone": sum(left.values()),
        "left_by_category": dict(left.most_common()),
        "left_examples": examples,
        "our_publishes": len(ours),
        "ticks": len(ticks),
        "answered_in_steps": stepped,
        "reaction_s": quantiles(reactions),
        "first_response_s": quantiles(firsts),
        "wait_for_tick_s": quantiles(waits),
        "tick_own_s": quantiles(own_times),
        "tick_phases_s": {k: quantiles(v) for k, v in phases.items()},
        "bound": {
            "rule": f"first response <= {period} s + the responding tick's own time",
            "within": within,
            "outside": outside,
        },
    }


if __name__ == "__main__":
    main()

"""``pricebot demo``: the bot live on the local sandbox for two minutes, watched from outside.

The demo starts a detached sandbox, runs the real service (``pricebot run --live``) as its own
process with the sandbox's public test keys, and meanwhile observes the world the way anyone could:
the marketplace book (our best price against the best competitor), the chain (deals for our
workerpool, ``ClosedWorkerpoolOrder`` events) and the pool's core ``/metrics``. At the end it stops
the bot gracefully, reads the bot's own journal for what it did, prints a summary, draws a plot and
stops the sandbox. Everything it starts is stopped on every path out, errors included.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.domain.errors import ConfigError
from bot.domain.model import NRLC_PER_RLC
from bot.sandbox.anvil import repo_root
from bot.sandbox.stack import SandboxInfo, spawn_detached, stop_detached

__all__ = [
    "DemoResult",
    "Sample",
    "Watcher",
    "bot_process",
    "plot",
    "run_demo",
    "sigterm_unwinds",
    "stop_process",
    "stop_stale_bot",
    "summary",
]

BOT_STOP_TIMEOUT_S = 20.0
BOT_PID_FILE = "bot.pid"


@dataclass(frozen=True, slots=True)
class Sample:
    """What the world looked like at one instant (prices in nRLC, None = nothing listed)."""

    t: float
    ours: int | None
    best_competitor: int | None
    our_orders: int
    tasks_matched: int
    revenue: int
    busy_slots: int
    slots: int


@dataclass(slots=True)
class DemoResult:
    samples: list[Sample] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)
    closed_on_chain: int = 0
    deals: int = 0
    tasks_matched: int = 0
    revenue: int = 0
    plot: Path | None = None
    bot_exit: int | None = None
    world: dict[str, Any] = field(default_factory=dict)


class Watcher:
    """Reads the sandbox from outside: market book, deals for our pool, cancels, utilization."""

    def __init__(self, info: SandboxInfo) -> None:
        from bot.sandbox import poco
        from bot.sandbox.pool import ChainDealFeed, PoolSpec, SimulatedPool

        self._info = info
        self._http = httpx.Client(timeout=5.0)
        self._feed = ChainDealFeed(
            info.rpc_url, info.hub, info.workerpool, SimulatedPool(PoolSpec()), time.time
        )
        self._w3 = poco.web3_for(info.rpc_url)
        self._hub = poco.hub_contract(self._w3, info.hub)
        self.tasks = 0
        self.revenue = 0
        self.deals = 0

    def close(self) -> None:
        self._http.close()

    def book(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(our open orders, everyone else's public open orders) in category 0."""
        resp = self._http.get(
            self._info.market_url + "/workerpoolorders",
            params={"chainId": self._info.chain_id, "category": 0, "pageSize": 1000},
            headers={"x-real-ip": "10.0.9.9"},
        )
        orders = resp.json().get("orders", []) if resp.status_code == 200 else []
        ours = [o for o in orders if o["order"]["workerpool"].lower() == self._info.workerpool]
        others = [o for o in orders if o["order"]["workerpool"].lower() != self._info.workerpool]
        return ours, others

    def utilization(self) -> tuple[int, int]:
        try:
            m = self._http.get(self._info.core_url + "/metrics").json()
            return int(m["aliveComputingCpu"]), int(m["aliveRegisteredCpu"])
        except (httpx.HTTPError, ValueError, KeyError):
            return 0, 0

    def sample(self, t: float) -> Sample:
        for deal in self._feed.poll():
            self.deals += 1
            self.tasks += deal.size
            self.revenue += deal.size * deal.price
        ours, others = self.book()
        busy, slots = self.utilization()
        price = lambda o: int(o["order"]["workerpoolprice"])  # noqa: E731
        return Sample(
            t=t,
            ours=min(map(price, ours), default=None),
            best_competitor=min(map(price, others), default=None),
            our_orders=len(ours),
            tasks_matched=self.tasks,
            revenue=self.revenue,
            busy_slots=busy,
            slots=slots,
        )

    def closed_orders(self) -> int:
        """ClosedWorkerpoolOrder events: only the bot closes orders on chain in the sandbox."""
        logs = self._hub.events.ClosedWorkerpoolOrder().get_logs(from_block=0)
        return len(logs)


@contextlib.contextmanager
def bot_process(info: SandboxInfo, *args: str, log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``pricebot <args>`` against the sandbox; SIGTERM then SIGKILL on the way out."""
    env = {**os.environ, **info.bot_env(), "PYTHONUNBUFFERED": "1"}
    out = log_file.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.app.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(repo_root()),
    )
    out.close()
    pid_file = log_file.with_name(BOT_PID_FILE)
    pid_file.write_text(f"{proc.pid}\n")
    try:
        yield proc
    finally:
        stop_process(proc)
        pid_file.unlink(missing_ok=True)


def stop_stale_bot(state_dir: Path) -> None:
    """A bot left by a demo that was itself killed -9: stop it if it still runs our config."""
    from bot.sandbox.stack import is_running

    pid_file = state_dir / BOT_PID_FILE
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    if is_running(pid, str(state_dir / "pricebot.toml")):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into SystemExit for the block, so its ``finally`` clauses stop everything."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = BOT_STOP_TIMEOUT_S) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    return int(proc.returncode)


def _rlc(nrlc: int | None) -> str:
    return "-" if nrlc is None else f"{nrlc / NRLC_PER_RLC:.4f}"


def _journal_actions(journal_dir: Path) -> Counter[str]:
    from bot.adapters.journal import journal_path, open_journal

    counts: Counter[str] = Counter()
    if not journal_path(journal_dir, live=True).exists():
        return counts
    journal = open_journal(journal_dir, live=True)
    try:
        for row in journal.actions(limit=1_000_000):
            counts[f"{row.kind}:{row.outcome}"] += 1
    finally:
        journal.close()
    return counts


def plot(result: DemoResult, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = result.samples
    t = [x.t for x in s]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    ax1.step(
        t,
        [None if x.ours is None else x.ours / NRLC_PER_RLC for x in s],
        where="post",
        label="our best order",
        color="tab:blue",
        linewidth=2,
    )
    ax1.step(
        t,
        [None if x.best_competitor is None else x.best_competitor / NRLC_PER_RLC for x in s],
        where="post",
        label="best competitor",
        color="tab:orange",
        linestyle="--",
    )
    ax1.set_ylabel("price per XS task (RLC)")
    ax1.set_title("pricebot live on the local sandbox")
    ax1.legend(loc="upper right")
    ax1.grid(alpha=0.3)
    ax2.plot(t, [x.tasks_matched for x in s], label="tasks matched (ours, cumulative)")
    ax2.step(t, [x.busy_slots for x in s], where="post", label="busy slots", alpha=0.7)
    ax2.step(t, [x.slots for x in s], where="post", label="slots", color="grey", alpha=0.5)
    ax2.set_xlabel("seconds since the bot started")
    ax2.set_ylabel("tasks / slots")
    ax2.legend(loc="upper left")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary(result: DemoResult) -> str:
    acts = result.actions

    def count(kind: str) -> int:
        return sum(n for key, n in acts.items() if key.split(":")[0] == kind)

    lines = [
        "",
        "pricebot demo summary",
        "---------------------",
        f"orders published        {count('publish')}",
        f"orders unpublished      {count('unpublish')}",
        f"orders cancelled        {count('cancel')} (ClosedWorkerpoolOrder on chain: "
        f"{result.closed_on_chain})",
        f"deals for our pool      {result.deals}",
        f"tasks matched           {result.tasks_matched}",
        f"revenue                 {_rlc(result.revenue)} RLC",
        f"journal actions         {dict(sorted(acts.items()))}",
    ]
    w = result.world
    if w:
        lines += [
            f"the world               {w.get('request_orders', 0)} request orders for "
            f"{w.get('requested_tasks', 0)} tasks; "
            f"{sum(w.get('tasks_bought', {}).values())} tasks bought "
            f"({w.get('tasks_bought_from_us', 0)} from us)",
            f"adversary               {w.get('adversarial_tasks_on_unlisted_orders', 0)} tasks "
            "taken from orders that were unlisted but still valid on chain",
        ]
    lines += [
        "",
        "  time   our price   best competitor   our orders   tasks   busy/slots",
    ]
    step = max(1, len(result.samples) // 12)
    for x in result.samples[::step]:
        lines.append(
            f"{x.t:6.0f}s  {_rlc(x.ours):>9}   {_rlc(x.best_competitor):>15}   "
            f"{x.our_orders:>10}   {x.tasks_matched:>5}   {x.busy_slots:>4}/{x.slots}"
        )
    if result.plot is not None:
        lines += ["", f"plot: {result.plot}"]
    return "\n".join(lines)


def run_demo(
    state_dir: Path,
    *,
    duration: float = 120.0,
    seed: int = 1,
    echo: Any = print,
    progress: bool = True,
) -> DemoResult:
    """Start the sandbox, run the bot live for ``duration`` seconds, report, stop everything."""
    state_dir = Path(state_dir).resolve()
    with sigterm_unwinds():
        return _run_demo(state_dir, duration, seed, echo, progress)


def _run_demo(state_dir: Path, duration: float, seed: int, echo: Any, progress: bool) -> DemoResult:
    stop_stale_bot(state_dir)  # a previous run killed half-way must not be left running
    stop_detached(state_dir)
    for stale in ("journal", "bot.log", "sandbox.log", "market.sqlite"):
        path = state_dir / stale
        if path.is_dir():
            for child in path.iterdir():
                child.unlink()
        else:
            path.unlink(missing_ok=True)
    from bot.ops import ENDPOINT_FILE

    result = DemoResult()
    echo(f"starting the sandbox in {state_dir} ...")
    t0 = time.monotonic()
    try:
        info = spawn_detached(state_dir, seed=seed)
        echo(
            f"sandbox ready in {time.monotonic() - t0:.1f} s: chain {info.rpc_url}, "
            f"market {info.market_url}, core {info.core_url}"
        )
        watcher = Watcher(info)
        try:
            with bot_process(
                info, "run", "--config", info.config, "--live", log_file=state_dir / "bot.log"
            ) as bot:
                try:
                    _watch(
                        watcher,
                        bot,
                        duration,
                        result,
                        echo,
                        progress,
                        ops_file=state_dir / "journal" / ENDPOINT_FILE,
                    )
                except ConfigError as exc:
                    raise ConfigError(f"{exc}; end of bot.log:\n{_tail(state_dir)}") from None
                result.bot_exit = stop_process(bot)
            with contextlib.suppress(httpx.HTTPError, OSError, ValueError):
                result.samples.append(watcher.sample(duration))  # deals up to the bot's stop
            result.closed_on_chain = watcher.closed_orders()
            result.deals = watcher.deals
            result.tasks_matched = watcher.tasks
            result.revenue = watcher.revenue
        finally:
            watcher.close()
    finally:
        stop_detached(state_dir)
    result.actions = _journal_actions(state_dir / "journal")
    with contextlib.suppress(OSError, ValueError):
        result.world = json.loads((state_dir / "activity.json").read_text())
    if result.samples:
        result.plot = plot(result, state_dir / "demo.png")
    echo(summary(result))
    if result.bot_exit not in (0, None):
        raise ConfigError(
            f"the bot exited with {result.bot_exit}; end of bot.log:\n{_tail(state_dir)}"
        )
    return result


def _tail(state_dir: Path, size: int = 3000) -> str:
    try:
        return (state_dir / "bot.log").read_text(errors="replace")[-size:]
    except OSError:
        return "(no bot.log)"


def _watch(
    watcher: Watcher,
    bot: subprocess.Popen[bytes],
    duration: float,
    result: DemoResult,
    echo: Any,
    progress: bool,
    ops_file: Path | None = None,
) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=False)
    live = progress and console.is_terminal
    start = time.monotonic()
    bar = Progress(
        TextColumn("[bold]bot live[/]"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
        transient=False,
    )
    with bar if live else contextlib.nullcontext():
        task = bar.add_task("demo", total=duration, status="") if live else None
        last_echo = -10.0
        while (elapsed := time.monotonic() - start) < duration:
            if bot.poll() is not None:
                raise ConfigError(f"the bot stopped early with exit code {bot.returncode}")
            if ops_file is not None and ops_file.exists():
                with contextlib.suppress(OSError, ValueError, KeyError):
                    url = json.loads(ops_file.read_text())["url"]
                    echo(f"bot ops server: {url}/healthz  {url}/metrics  {url}/api/v1/status")
                    ops_file = None  # shown once
            try:
                s = watcher.sample(elapsed)
            except (httpx.HTTPError, OSError, ValueError):
                time.sleep(1.0)
                continue
            result.samples.append(s)
            status = (
                f"ours {_rlc(s.ours)}  best other {_rlc(s.best_competitor)} RLC  "
                f"tasks {s.tasks_matched}  busy {s.busy_slots}/{s.slots}"
            )
            if task is not None:
                bar.update(task, completed=min(elapsed, duration), status=status)
            elif elapsed - last_echo >= 10.0:
                echo(f"[{elapsed:5.0f}s] {status}")
                last_echo = elapsed
            time.sleep(1.0)
        if task is not None:
            bar.update(task, completed=duration)

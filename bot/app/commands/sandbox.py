"""``pricebot sandbox up|down|status`` and the top-level ``pricebot demo``.

The sandbox is a local iExec world (anvil + PoCo, marketplace, core /metrics, simulated pool and
agents) for trying the bot without risking anything; see docs/sandbox.md. Heavy imports happen
inside the commands so ``pricebot --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "app",
    "down",
    "register",
    "status",
    "up",
]

app = typer.Typer(no_args_is_help=True)

StateDir = Annotated[
    Path,
    typer.Option(
        "--state-dir",
        help="Folder for sandbox.json, pricebot.toml, env.sh, logs and the bot's journal.",
        file_okay=False,
    ),
]


@app.command("up")
def up(
    state_dir: StateDir = Path(".cache/sandbox"),
    detach: Annotated[
        bool, typer.Option("--detach", help="Run in the background; stop with `sandbox down`.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the simulated agents.")] = 1,
    demand: Annotated[
        float | None,
        typer.Option("--demand-per-min", min=0, help="Request orders per minute (default 10)."),
    ] = None,
    agents: Annotated[
        bool, typer.Option(help="Run the simulated competitors and requesters.")
    ] = True,
    domain: Annotated[
        str,
        typer.Option(
            help="EIP-712 domain of the hub: local, or bellecour / arbitrum-mainnet (the "
            "production chain id and hub address, so signatures are production's)."
        ),
    ] = "local",
) -> None:
    """Start anvil with PoCo, the local marketplace, core /metrics, the pool and the agents."""
    from bot.sandbox.stack import spawn_detached, stop_detached, wait_for_signal

    # Even in the foreground the sandbox runs in its own session: a terminal Ctrl-C reaches this
    # command only, which then stops the sandbox in order (anvil last), not all of it at once.
    try:
        info = spawn_detached(
            state_dir, seed=seed, demand_per_min=demand, agents=agents, domain=domain
        )
        _describe(info.to_json(), state_dir)
        if detach:
            return
        typer.echo("running; Ctrl-C (or SIGTERM) stops everything")
        wait_for_signal()
    finally:
        if not detach:
            stop_detached(state_dir)
            typer.echo("sandbox stopped")


@app.command("down")
def down(state_dir: StateDir = Path(".cache/sandbox")) -> None:
    """Stop everything `sandbox up --detach` started in this state dir."""
    from bot.sandbox.stack import stop_detached

    stopped = stop_detached(state_dir)
    typer.echo(f"stopped {len(stopped)} process(es)" if stopped else "nothing was running")


@app.command("status")
def status(state_dir: StateDir = Path(".cache/sandbox")) -> None:
    """Say whether the sandbox in this state dir runs, and where its parts listen."""
    from bot.sandbox.stack import is_running, read_info

    info = read_info(state_dir)
    alive = info.status == "ready" and is_running(info.pids.get("supervisor", -1), "bot.sandbox")
    typer.echo(f"sandbox: {'running' if alive else 'stopped'}")
    _describe(info.to_json(), state_dir)
    activity = state_dir / "activity.json"
    with contextlib.suppress(OSError, ValueError):  # none yet: nothing to show
        typer.echo("activity: " + json.dumps(json.loads(activity.read_text()), indent=2))
    if not alive:
        raise typer.Exit(1)


def _describe(info: dict[str, object], state_dir: Path) -> None:
    shown = {
        k: info[k]
        for k in ("rpc_url", "chain_id", "hub", "market_url", "core_url", "workerpool", "config")
    }
    typer.echo(json.dumps(shown, indent=2))
    typer.echo(
        f"keys: anvil's public test keys, in {state_dir}/sandbox.json; "
        f"`source {state_dir}/env.sh` exports them for the bot"
    )


def register(root: typer.Typer) -> None:
    """Add ``pricebot demo`` to the root app."""

    @root.command("demo")
    def demo(
        state_dir: StateDir = Path(".cache/demo"),
        duration: Annotated[
            float, typer.Option(help="Seconds the bot runs live on the sandbox.", min=10)
        ] = 120.0,
        seed: Annotated[int, typer.Option(help="Seed of the simulated agents.")] = 1,
        progress: Annotated[bool, typer.Option(help="Show a live progress bar.")] = True,
    ) -> None:
        """Start the sandbox, run the bot live on it, print a summary and a plot, stop it all."""
        from bot.sandbox.demo import run_demo

        run_demo(state_dir, duration=duration, seed=seed, echo=typer.echo, progress=progress)

"""``pricebot chain``: a local PoCo chain for manual use, a deployer, and a network check.

- ``up`` starts anvil, deploys PoCo, creates a workerpool for anvil key #1 with stake, prints the
  deployment as one JSON object and waits for Ctrl-C (then stops anvil). On chain id 134 or 42161
  the hub is moved to the production address, so production-domain signatures verify.
- ``deploy`` deploys PoCo onto any JSON-RPC node and prints the deployment JSON.
- ``verify`` connects like the bot does and reports whether the RPC and hub match a network.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from bot.domain.errors import ConfigError

__all__ = [
    "app",
    "deploy",
    "up",
    "verify",
]

app = typer.Typer(no_args_is_help=True)

_PRODUCTION_HUBS = {
    134: "0x3eca1b216a7df1c7689aeb259ffb83adfb894e7f",
    42161: "0x098bfcb1e50ebca0baa92c12ea0c3f045a1ad9f0",
}
_KEY_ENV = "PRICEBOT_DEPLOYER_KEY"


def _deployer_key() -> str:
    """The deployer key from ``$PRICEBOT_DEPLOYER_KEY``, else anvil's public test key #0."""
    from bot.sandbox.anvil import ANVIL_KEYS

    return os.environ.get(_KEY_ENV) or ANVIL_KEYS[0]


def _stage(rpc_url: str, relocate: bool) -> dict[str, object]:
    from bot.domain.signing import address_of
    from bot.sandbox import poco
    from bot.sandbox.anvil import ANVIL_KEYS

    key = _deployer_key()
    dep = poco.deploy_poco(rpc_url, key)
    if relocate and dep.chain_id in _PRODUCTION_HUBS:
        dep = poco.relocate_hub(dep, _PRODUCTION_HUBS[dep.chain_id], sender_key=key)
    owner_key = ANVIL_KEYS[1]
    pool = poco.create_workerpool(dep, owner_key, "local-pool")
    stake = 1_000 * 10**9
    poco.fund_rlc(dep, address_of(owner_key), 10 * stake, from_key=key)
    poco.deposit_stake(dep, owner_key, stake)
    return {
        **dep.to_json(),
        "workerpool": pool,
        "workerpool_owner": address_of(owner_key),
        "owner_key": "anvil key #1 (public test key)",
        "gas_wallet": address_of(ANVIL_KEYS[2]),
    }


@app.command("up")
def up(
    chain_id: Annotated[
        int, typer.Option("--chain-id", help="134 and 42161 get the production hub address.")
    ] = 31337,
    port: Annotated[
        int | None, typer.Option("--port", help="Loopback port (default: a free one).")
    ] = None,
    state_file: Annotated[
        Path | None,
        typer.Option(
            "--state-file", help="anvil --state file: reloaded if present, saved on exit."
        ),
    ] = None,
    relocate: Annotated[
        bool, typer.Option(help="Move the hub to the production address on 134/42161.")
    ] = True,
) -> None:
    """Start anvil with PoCo deployed; print the deployment JSON; Ctrl-C stops it."""
    from bot.sandbox.anvil import run_anvil

    info_file = state_file.with_suffix(".deployment.json") if state_file else None
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _on_signal)
    try:
        with run_anvil(chain_id, port=port, state_file=state_file) as node:
            if (
                info_file is not None
                and info_file.is_file()
                and state_file
                and state_file.is_file()
            ):
                info = json.loads(info_file.read_text())
                info["rpc_url"] = node.rpc_url
            else:
                info = _stage(node.rpc_url, relocate)
            if info_file is not None:
                info_file.write_text(json.dumps(info, indent=2) + "\n")
            typer.echo(json.dumps(info, indent=2))
            typer.echo(f"anvil pid {node.pid} on {node.rpc_url}; Ctrl-C to stop", err=True)
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    typer.echo("anvil stopped", err=True)


@app.command("deploy")
def deploy(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of the target node.")],
    relocate: Annotated[
        bool, typer.Option(help="On 134/42161 (anvil only) move the hub to the production address.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the JSON to this file.")
    ] = None,
) -> None:
    """Deploy PoCo 6.1.0 (token mode) onto ``--rpc``; the key comes from $PRICEBOT_DEPLOYER_KEY."""
    info = _stage(rpc, relocate)
    text = json.dumps(info, indent=2)
    if out is not None:
        out.write_text(text + "\n")
    typer.echo(text)


@app.command("verify")
def verify(
    network: Annotated[
        str,
        typer.Option(
            "--network",
            "-n",
            help="arbitrum-mainnet | arbitrum-sepolia-testnet | bellecour | local",
        ),
    ],
    rpc: Annotated[
        list[str] | None, typer.Option("--rpc", help="RPC URL (repeat for fail-over).")
    ] = None,
    chain_id: Annotated[
        int | None, typer.Option("--chain-id", help="With --network local.")
    ] = None,
    hub: Annotated[str | None, typer.Option("--hub", help="With --network local.")] = None,
    workerpool: Annotated[
        str | None, typer.Option("--workerpool", help="Also show its owner and stake.")
    ] = None,
) -> None:
    """Check that the RPC serves the network's chain and the hub's EIP-712 domain; read-only."""
    from bot.adapters.chain import RpcChain
    from bot.domain.networks import get_network

    net = get_network(network, chain_id=chain_id, hub=hub, rpc_url=rpc[0] if rpc else None)
    chain = RpcChain.connect(net, rpc_urls=rpc or None)
    report: dict[str, object] = {
        "network": net.name,
        "chain_id": net.chain_id,
        "hub": net.hub,
        "rpc_url": chain.rpc_url,
        "domain": "ok",
        "category_differences": chain.category_differences(),
    }
    if workerpool is not None:
        owner = chain.owner(workerpool)
        stake = chain.stake(owner)
        report.update(
            workerpool=workerpool, owner=owner, stake_free=stake.free, stake_locked=stake.locked
        )
    typer.echo(json.dumps(report, indent=2))
    if report["category_differences"]:
        raise ConfigError("category table differs from the chain (see category_differences)")

"""``pricebot market``: run the local marketplace server (a faithful iexec-market-api stand-in).

Heavy imports (web3, uvicorn, starlette) happen inside the command so ``pricebot --help`` stays
fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

__all__ = [
    "app",
    "serve",
]

app = typer.Typer(no_args_is_help=True)


@app.command("serve")
def serve(
    rpc: str = typer.Option(..., "--rpc", help="JSON-RPC URL of the chain holding PoCo."),
    hub: str = typer.Option(..., "--hub", help="PoCo hub (diamond proxy) address."),
    chain_id: int = typer.Option(..., "--chain-id", help="Chain id served (the chainId query)."),
    port: int = typer.Option(3000, "--port", help="TCP port on the loopback host."),
    host: str = typer.Option("127.0.0.1", "--host", help="Loopback address to bind."),
    db: str = typer.Option(":memory:", "--db", help="SQLite file; default: in memory."),
    max_open_orders: int = typer.Option(50, help="Open orders per wallet and order type."),
    rate_limit: int = typer.Option(100, help="Requests per client per period."),
    rate_period: float = typer.Option(60.0, help="Rate-limit window, seconds."),
    client_header: str = typer.Option(
        "x-real-ip", help="Header naming the client for the rate limit."
    ),
    from_block: int = typer.Option(0, help="First block the watcher indexes."),
    watch_interval: float = typer.Option(1.0, help="Seconds between watcher passes."),
    faults: Path | None = typer.Option(
        None, help="JSON file with a FaultConfig (see docs/marketplace.md)."
    ),
) -> None:
    """Serve the marketplace API for one chain until interrupted (Ctrl-C / SIGTERM)."""
    from bot.domain.errors import InputError
    from bot.sandbox.market_server import FaultConfig, MarketServer, MarketServerConfig

    fault_config = FaultConfig()
    if faults is not None:
        try:
            fault_config = FaultConfig.model_validate(json.loads(faults.read_text()))
        except (OSError, ValueError) as exc:
            raise InputError("--faults", f"must be a readable JSON FaultConfig: {exc}") from exc
    config = MarketServerConfig(
        chain_id=chain_id,
        rpc_url=rpc,
        hub=hub,
        db_path=db,
        host=host,
        port=port,
        max_open_orders=max_open_orders,
        rate_limit_max=rate_limit,
        rate_limit_period=rate_period,
        client_ip_header=client_header,
        from_block=from_block,
        watcher_interval=watch_interval,
        faults=fault_config,
    )
    server = MarketServer(config)
    typer.echo(f"marketplace for chain {chain_id} (hub {config.hub}) on {server.url}", err=True)
    server.serve_forever()

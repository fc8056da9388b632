"""The ``pricebot`` command line: the composition root that maps errors to exit codes.

Each command group lives in its own module under ``bot.app.commands``; heavy imports happen inside the
commands so ``pricebot --help`` stays fast.
"""

from __future__ import annotations

import sys

import typer

from bot.app.commands import (
    backtest,
    chain,
    config_cmd,
    journal_cmd,
    market,
    ops_cmd,
    order,
    sandbox,
    service,
    strategies_cmd,
)
from bot.domain.errors import BotError, exit_code_for

__all__ = ["app", "main"]


app = typer.Typer(
    name="pricebot",
    help="Unattended pricing agent for iExec workerpool owners.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(order.app, name="order", help="Hash, sign, verify and template workerpool orders.")
app.add_typer(config_cmd.app, name="config", help="Check a pool-owner configuration.")
app.add_typer(
    chain.app, name="chain", help="The local PoCo chain (anvil) used by tests and the sandbox."
)
app.add_typer(market.app, name="market", help="The local marketplace server.")
app.add_typer(sandbox.app, name="sandbox", help="The embedded local iExec sandbox.")
app.add_typer(journal_cmd.app, name="journal", help="Back up and restore the journal.")
service.register(app)
ops_cmd.register(app)
backtest.register(app)
sandbox.register(app)
strategies_cmd.register(app)


def main() -> None:
    try:
        # With standalone_mode=False click *returns* the code of a typer.Exit instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except BotError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exit_code_for(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        # typer >= 0.20 vendors click (typer._click), so match the click exception protocol
        # rather than the class from the stand-alone click package.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise


if __name__ == "__main__":
    main()

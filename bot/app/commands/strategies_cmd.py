"""``pricebot strategies``: what strategies exist and what each one lets an owner tune.

The parameter table is read from each strategy's declared ``Params`` (bounds, unit, doc), the same
declarations that config validation and sweeps use, so it cannot drift from the code.
"""

from __future__ import annotations

import sys

import typer

__all__ = ["register"]


def _bounds(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return ""
    return f"[{'' if low is None else low} .. {'' if high is None else high}]"


def register(app: typer.Typer) -> None:
    """Add the top-level ``strategies`` command to the ``pricebot`` app."""

    @app.command("strategies")
    def strategies_cmd(
        name: str = typer.Argument(None, help="Show only this strategy's parameters."),
    ) -> None:
        """List the pricing strategies (built-in and plug-in) and their parameters."""
        import strategies

        names = [name] if name else strategies.available()
        for strategy_name in names:
            cls = strategies.get(strategy_name)
            doc = cls.__doc__ or sys.modules[cls.__module__].__doc__ or ""
            lines = [line.strip() for line in doc.splitlines() if line.strip()]
            summary = lines[0].split(": ", 1)[-1] if lines else ""
            typer.echo(f"{strategy_name}: {summary}")
            for spec in cls.param_specs():
                unit = f" {spec.unit}" if spec.unit else ""
                choices = f" one of {list(spec.choices)}" if spec.choices else ""
                typer.echo(
                    f"  {spec.name} ({spec.kind}{unit}) = {spec.default!r} "
                    f"{_bounds(spec.min, spec.max)}{choices}  {spec.doc}".rstrip()
                )

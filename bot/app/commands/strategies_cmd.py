"""``pricebot strategies``: what strategies exist and what each one lets an owner tune.

The parameter table is read from each strategy's declared ``Params`` (bounds, unit, doc), the same
declarations that config validation and sweeps use, so it cannot drift from the code.
"""

from __future__ import annotations

import keyword
import re
import sys
from importlib import resources
from pathlib import Path

import typer

from bot.domain.errors import InputError

__all__ = ["register", "write_template"]

_NAME = re.compile(r"[a-z][a-z0-9_]{1,19}")
_ENTRY_POINTS = '[project.entry-points."pricebot.strategies"]'


def _bounds(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return ""
    return f"[{'' if low is None else low} .. {'' if high is None else high}]"


def register(app: typer.Typer) -> None:
    """Add the top-level ``strategies`` command to the ``pricebot`` app."""

    @app.command("strategies")
    def strategies_cmd(
        name: str = typer.Argument(None, help="Show only this strategy's parameters."),
        new_name: str = typer.Argument(
            None, metavar="[NEW_NAME]", help="With NAME 'new': write a plug-in strategy template."
        ),
        root: Path = typer.Option(
            Path("."), "--root", help="Project root the template is written into (with 'new')."
        ),
    ) -> None:
        """List the pricing strategies and their parameters; `strategies new NAME` writes one."""
        import strategies

        if name == "new":
            for path in write_template(new_name, root):
                typer.echo(f"wrote {path}")
            typer.echo("next: make setup (installs its entry point), then make test")
            return

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
            gate = cls.raise_gain_factor
            typer.echo(
                f"  raise gate factor {gate:g} (the rails'; rails.raise_gain_factor overrides)"
                if gate
                else "  raise gate off (factor 0; rails.raise_gain_factor turns it on)"
            )


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def write_template(name: str | None, root: Path) -> list[Path]:
    """Write strategies/NAME.py, its test and its entry point; refuse to overwrite anything.

    The template is the per-offer API (strategies.per_offer) with typed params and state, so the
    owner edits one method; its test passes as written, so `make test` stays green from the start.
    """
    import strategies

    if name is None or not _NAME.fullmatch(name) or keyword.iskeyword(name):
        raise InputError(
            "name", "must be 2-20 lowercase letters, digits or _, starting with a letter", name
        )
    if name in strategies.available() or name == "new":
        raise InputError("name", "is already a strategy's name; pick another", name)
    module = root / "strategies" / f"{name}.py"
    test = root / "tests" / "unit" / "strategies" / f"test_{name}.py"
    pyproject = root / "pyproject.toml"
    for path in (module, test):
        if path.exists():
            raise InputError("name", f"{path} exists already; nothing was written", name)
    if not pyproject.is_file() or _ENTRY_POINTS not in pyproject.read_text(encoding="utf-8"):
        raise InputError("--root", f"must hold a pyproject.toml with {_ENTRY_POINTS}", str(root))
    cls = _class_name(name)
    templates = resources.files("bot.app") / "templates"
    module.write_text(
        (templates / "strategy.py.tmpl").read_text(encoding="utf-8").format(name=name, cls=cls),
        encoding="utf-8",
    )
    test.parent.mkdir(parents=True, exist_ok=True)
    test.write_text(
        (templates / "test_strategy.py.tmpl")
        .read_text(encoding="utf-8")
        .format(name=name, cls=cls),
        encoding="utf-8",
    )
    text = pyproject.read_text(encoding="utf-8")
    entry = f'{name} = "strategies.{name}:{cls}"'
    pyproject.write_text(
        text.replace(_ENTRY_POINTS, f"{_ENTRY_POINTS}\n{entry}", 1), encoding="utf-8"
    )
    return [module, test, pyproject]

"""Top-level commands placeholder; filled by its owner module."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's top-level commands to the ``pricebot`` app."""

"""The CLI's command groups, one module each, registered by bot.app.cli."""

from __future__ import annotations

__all__: list[str] = []

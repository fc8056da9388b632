"""Application: the long-running service, the command line and its commands.

The only layer that wires everything together; nothing imports it."""

from __future__ import annotations

__all__: list[str] = []

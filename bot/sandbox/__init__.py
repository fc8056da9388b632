"""The real local iExec stack: anvil with PoCo, the marketplace server, the simulated pool.

Each piece lives in its own module and is imported directly (``bot.sandbox.anvil``,
``bot.sandbox.poco``, ...): importing this package costs nothing, so a command that needs only
one piece does not start or load the others.
"""

from __future__ import annotations

__all__: list[str] = []

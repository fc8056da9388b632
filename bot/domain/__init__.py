"""Domain: what an order, a network, a rule and a signature are (pure, no I/O).

The vocabulary every other layer speaks; imports nothing of the project but itself."""

from __future__ import annotations

__all__: list[str] = []

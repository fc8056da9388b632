"""Engine: the ports, the samplers, the cycle, the executor and reconcile.

Turns the pure core into actions through the ports (bot.engine.ports) only; which adapters fill
those ports (live, simulated, fakes) is decided by the layers above."""

from __future__ import annotations

__all__: list[str] = []

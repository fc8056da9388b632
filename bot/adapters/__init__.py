"""Adapters: the only code that talks to the network or the disk (marketplace, chain, core metrics,
signer, keys, journal). Each fills one port of bot.engine.ports; the simulator fills the same ports."""

from __future__ import annotations

__all__: list[str] = []

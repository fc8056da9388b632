"""Simulated market: pure agent models (shared with the sandbox) and the fast in-process simulator."""

from __future__ import annotations

__all__: list[str] = []

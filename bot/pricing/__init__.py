"""Pricing: snapshot, ledger, admission, rails and planner, the pure core of a decision.

Given what was sampled, decide what to list; no clock, no network, no disk, so the backtester and
the live service run the same code and tests need no fakes. Imports only bot.domain."""

from __future__ import annotations

__all__: list[str] = []

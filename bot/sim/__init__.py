"""Simulated market: pure agent models (shared with the sandbox) and the fast in-process simulator."""

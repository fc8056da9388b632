"""The package's public surface is what its docstring lists (house rule 7)."""

from __future__ import annotations

import bot.sandbox.market_server as market_server


def test_public_surface_is_pinned() -> None:
    assert sorted(market_server.__all__) == [
        "FaultConfig",
        "MarketServer",
        "MarketServerConfig",
        "Marketplace",
        "RouteFault",
    ]
    for name in market_server.__all__:
        assert name in (market_server.__doc__ or "")
        assert getattr(market_server, name) is not None

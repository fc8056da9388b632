"""A local marketplace that behaves like iexec-market-api, for tests, the sandbox and the SDK.

Public surface::

    MarketServerConfig   settings (chain, hub, RPC, limits, faults), validated when built
    MarketServer         run it: ``with MarketServer(cfg) as srv: srv.url`` (uvicorn + watcher)
    FaultConfig          injected faults (error rates, 429 bursts, latency, drops, stale reads)
    RouteFault           faults for one route key such as ``"GET /workerpoolorders"``
    Marketplace          the behaviour without HTTP (publish checks, statuses), for unit use

docs/marketplace.md describes the routes, the checks and what differs from the real service.
"""

from __future__ import annotations

from ._config import MarketServerConfig
from ._faults import FaultConfig, RouteFault
from ._server import MarketServer
from ._service import Marketplace

__all__ = ["FaultConfig", "MarketServer", "MarketServerConfig", "Marketplace", "RouteFault"]

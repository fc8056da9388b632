"""pytest fixtures for the local marketplace server (MARKET-SERVER engineer).

Fixtures:

- ``market_server`` (function): a running ``MarketServer`` bound to the ``poco`` fixture's chain
  with a fresh in-memory database, inside ``chain_snapshot`` (the chain is reverted after the
  test). One server per test module is ``reset()`` before each test (empty book, default limits,
  no faults), which is much cheaper than starting one. Attributes: ``url``, ``chain_id``, ``config``, ``market``
  (the in-process ``Marketplace``), and the admin handle: ``set_faults(...)``,
  ``set_limits(rate_limit_max=, rate_limit_period=, max_open_orders=)``,
  ``reset_rate_limit()``, ``sync()`` (index the chain up to its head now, so a test never sleeps
  waiting for the watcher). The same controls exist over HTTP under ``/_admin``.
- ``market_server_factory`` (function): ``market_server_factory(**config_overrides)`` starts
  another server on the same chain (e.g. ``max_open_orders=3`` or ``rate_limit_max=5``); every
  server it starts is stopped at the end of the test.
- ``market_url`` (function): ``market_server.url``.

The watcher thread polls every 0.2 s; tests call ``sync()`` after a transaction instead of
waiting. Rate limit defaults to 100/min per client key, keyed by the ``X-Real-IP`` header.
``market_server.client`` is a keep-alive httpx client on the server (a fresh httpx client per
request costs ~0.1 s on a loaded machine).

Seeding many orders (e.g. > 1,000 for pagination): ``market_server.set_limits(max_open_orders=
2000)`` then ``market_server.market.publish("workerpoolorder", {"order": fields_and_sign},
owner_address)`` runs every publish check against the chain without HTTP or challenges (about
100 orders/s on a loaded 2-core machine); over HTTP, raise ``rate_limit_max`` too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.sandbox.anvil import AnvilNode
from bot.sandbox.market_server import MarketServer, MarketServerConfig
from bot.sandbox.poco import PocoDeployment

__all__ = ["MarketServerFactory"]

MarketServerFactory = Callable[..., MarketServer]


@pytest.fixture
def market_server_factory(
    chain_snapshot: AnvilNode, poco: PocoDeployment
) -> Iterator[MarketServerFactory]:
    started: list[MarketServer] = []

    def make(**overrides: Any) -> MarketServer:
        settings: dict[str, Any] = {
            "chain_id": poco.chain_id,
            "rpc_url": poco.rpc_url,
            "hub": poco.hub,
            "watcher_interval": 0.2,
        }
        settings.update(overrides)
        server = MarketServer(MarketServerConfig(**settings))
        started.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in started:
            server.close()


@pytest.fixture(scope="module")
def _module_market_server(poco: PocoDeployment) -> Iterator[MarketServer]:
    config = MarketServerConfig(
        chain_id=poco.chain_id, rpc_url=poco.rpc_url, hub=poco.hub, watcher_interval=0.2
    )
    with MarketServer(config) as server:
        yield server


@pytest.fixture
def market_server(chain_snapshot: AnvilNode, _module_market_server: MarketServer) -> MarketServer:
    _module_market_server.reset()
    return _module_market_server


@pytest.fixture
def market_url(market_server: MarketServer) -> str:
    return market_server.url

"""Run the marketplace: uvicorn on a loopback port in a background thread, plus the watcher.

``MarketServer`` is a context manager so the port, the thread and the watcher are released even
when the code using it fails; the CLI runs the same object in the foreground.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from bot.domain.errors import ConfigError, NetworkMismatch

from ._app import build_app
from ._chain import ChainReader, RpcChainReader
from ._config import MarketServerConfig
from ._errors import ChainUnavailable
from ._faults import FaultConfig
from ._middleware import FaultState, RateLimiter
from ._service import Marketplace
from ._storage import Storage
from ._watcher import Watcher

__all__ = ["MarketServer"]

_log = logging.getLogger(__name__)
START_TIMEOUT_S = 10.0
_IDENTITY = "chain_identity"


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class MarketServer:
    """One running marketplace. ``url`` is its base URL; the admin helpers talk to it over HTTP
    like any client would."""

    def __init__(self, config: MarketServerConfig, chain: ChainReader | None = None) -> None:
        self.config = config
        if chain is None:
            chain = RpcChainReader(config.rpc_url, config.hub)
        self.chain = chain
        self.storage = Storage(config.db_path)
        self.market = Marketplace(config, self.storage, chain)
        self.watcher = Watcher(
            self.market, config.watcher_interval, config.from_block, config.blocks_batch_size
        )
        self.faults = FaultState(config.faults)
        self.limiter = RateLimiter(config.rate_limit_max, config.rate_limit_period)
        self.app = build_app(self.market, self.watcher, self.faults, self.limiter)
        self.port = config.port or _free_port(config.host)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def chain_id(self) -> int:
        return self.config.chain_id

    def _uvicorn(self) -> uvicorn.Server:
        cfg = uvicorn.Config(
            self.app,
            host=self.config.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_keep_alive=5,
        )
        return uvicorn.Server(cfg)

    def check_chain(self) -> None:
        """Fail fast, naming the flag, when the RPC or hub is not the chain we claim to serve.

        A database file kept from another chain (a restarted anvil has a new genesis) is wiped
        and re-indexed rather than serving orders that chain never saw.
        """
        try:
            domain = self.chain.domain()
            if domain.chain_id != self.config.chain_id:
                raise NetworkMismatch(
                    f"chain_id: the hub's EIP-712 domain is for chain {domain.chain_id}, "
                    f"not {self.config.chain_id}"
                )
            if domain.verifying_contract.lower() != self.config.hub:
                raise NetworkMismatch(f"hub: domain() names {domain.verifying_contract}")
            identity = f"{domain.chain_id}:{self.config.hub}:{self.chain.block_hash(0)}"
            stored = self.storage.get_meta(_IDENTITY)
            if stored is not None and stored != identity:
                _log.warning(
                    "database %s was built on another chain: re-indexing", self.config.db_path
                )
                self.watcher.reset(self.storage.clear, self.config.from_block)
            self.storage.set_meta(_IDENTITY, identity)
            self.watcher.sync()
        except ChainUnavailable as exc:
            raise ConfigError(
                f"cannot read PoCo at {self.config.rpc_url} (hub {self.config.hub}): {exc}"
            ) from exc

    def start(self) -> MarketServer:
        """Index the chain once, then serve in a background thread; return when it answers."""
        self.check_chain()
        self._server = self._uvicorn()
        self._thread = threading.Thread(target=self._server.run, name="market-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigError(f"market server did not start on {self.url}")
            time.sleep(0.01)
        self.watcher.start()
        return self

    def serve_forever(self) -> None:
        """Foreground mode for the CLI: Ctrl-C / SIGTERM stop uvicorn, then the watcher."""
        self.check_chain()
        self.watcher.start()
        try:
            self._uvicorn().run()
        finally:
            self.watcher.stop()
            self.storage.close()

    def stop(self) -> None:
        self.watcher.stop()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._server = None

    def close(self) -> None:
        self.stop()
        if self._client is not None:
            self._client.close()
            self._client = None
        self.storage.close()

    def __enter__(self) -> MarketServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- admin helpers (in-process; the same controls exist over HTTP under /_admin) ----------

    def set_faults(self, faults: FaultConfig | dict[str, Any] | None = None) -> None:
        cfg = (
            faults if isinstance(faults, FaultConfig) else FaultConfig.model_validate(faults or {})
        )
        self.faults.set(cfg)

    def set_limits(
        self,
        *,
        rate_limit_max: int | None = None,
        rate_limit_period: float | None = None,
        max_open_orders: int | None = None,
    ) -> None:
        self.limiter.configure(rate_limit_max, rate_limit_period)
        if max_open_orders is not None:
            self.market.max_open_orders = max_open_orders

    def reset(self) -> int:
        """Back to a fresh server on the current chain: empty book, config limits, no faults.

        Lets one running server serve many tests (starting one costs ~0.5 s).
        """
        self.faults.set(self.config.faults)
        self.limiter.configure(self.config.rate_limit_max, self.config.rate_limit_period)
        self.market.max_open_orders = self.config.max_open_orders
        identity = self.storage.get_meta(_IDENTITY)

        def clear() -> None:
            self.storage.clear()
            if identity is not None:
                self.storage.set_meta(_IDENTITY, identity)

        return self.watcher.reset(clear, self.config.from_block)

    def reset_rate_limit(self) -> None:
        self.limiter.reset()

    def sync(self) -> int:
        """Index the chain up to its head now (what the watcher thread does every interval)."""
        return self.watcher.sync()

    @property
    def client(self) -> httpx.Client:
        """A keep-alive HTTP client on this server (a new httpx client per call costs ~0.1 s)."""
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=10)
        return self._client

    def get(self, path: str, **params: Any) -> httpx.Response:
        """Convenience GET with ``chainId`` filled in (tests, debugging)."""
        params.setdefault("chainId", self.chain_id)
        return self.client.get(path, params=params)

"""Settings of one local marketplace server (one chain, like one watcher + API pair)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from bot.domain.errors import InputError
from bot.domain.model import norm_address

from ._faults import FaultConfig

__all__ = ["DEFAULT_MAX_OPEN_ORDERS", "DEFAULT_RATE_LIMIT", "MarketServerConfig"]

# Code defaults of iexec-market-api (api/src/config.js); production values are unknown.
DEFAULT_MAX_OPEN_ORDERS = 50
DEFAULT_RATE_LIMIT = 100
DEFAULT_RATE_PERIOD = 60.0
DEFAULT_PAGE_SIZE = 20


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class MarketServerConfig:
    """Everything the server needs; validated when built so a bad flag fails before binding.

    ``client_ip_header`` is how the rate limiter tells clients apart: the real API keys on
    ``x-real-ip`` (set by its reverse proxy). On loopback every client has the same socket
    address, so simulated agents send their own header value and do not eat the bot's budget.
    """

    chain_id: int
    rpc_url: str
    hub: str
    db_path: str = ":memory:"
    host: str = "127.0.0.1"
    port: int = 0
    max_open_orders: int = DEFAULT_MAX_OPEN_ORDERS
    rate_limit_max: int = DEFAULT_RATE_LIMIT
    rate_limit_period: float = DEFAULT_RATE_PERIOD
    client_ip_header: str = "x-real-ip"
    default_page_size: int = DEFAULT_PAGE_SIZE
    watcher_interval: float = 0.5
    from_block: int = 0
    blocks_batch_size: int = 1000
    admin_routes: bool = True
    version: str = "7.1.2-pricebot-local"
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int):
            raise InputError("chain_id", "must be a positive integer", self.chain_id)
        if self.chain_id <= 0:
            raise InputError("chain_id", "must be a positive integer", self.chain_id)
        object.__setattr__(self, "hub", norm_address(self.hub, "hub"))
        if not _is_loopback(self.host):
            raise InputError("host", "must be a loopback address (127.0.0.1, ::1, localhost)")
        if not 0 <= self.port <= 65535:
            raise InputError("port", "must be between 0 and 65535", self.port)
        if self.max_open_orders < 1:
            raise InputError("max_open_orders", "must be at least 1", self.max_open_orders)
        if self.rate_limit_max < 1:
            raise InputError("rate_limit_max", "must be at least 1", self.rate_limit_max)
        if self.rate_limit_period <= 0:
            raise InputError("rate_limit_period", "must be > 0 seconds", self.rate_limit_period)
        if not 10 <= self.default_page_size <= 1000:
            raise InputError("default_page_size", "must be between 10 and 1000")
        if self.watcher_interval <= 0:
            raise InputError("watcher_interval", "must be > 0 seconds", self.watcher_interval)
        if not self.client_ip_header.strip():
            raise InputError("client_ip_header", "must be a header name")
        object.__setattr__(self, "client_ip_header", self.client_ip_header.strip().lower())

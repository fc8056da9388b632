"""Listed workerpool orders parsed and checked once per change, not once per tick.

The service reads the whole competing book every tick, and most of it has not moved since the
last one. Parsing a record (pydantic, strict), recomputing its order hash (two keccaks) and
building its domain values cost about 0.07 ms of CPU per order and tick: with a 500-order book,
most of a tick (issue #20). :class:`ParsedBook` keeps, by order hash, the listed JSON item
together with what the client made of it; an item identical to the one kept (compared whole,
nested order included, at C speed) is the same record, so its parse and hash check still hold.
Any change — ``remaining`` after a fill, ``status``, a field under a reused hash — is a miss
and is parsed and checked again. Only records that passed every check are kept; a refused one
is re-examined (and logged) each time, as before.

The signature check is not skipped: ``BookSignatureCheck`` has its own cache by (hash, sign)
and re-asks the chain for the pool owner on its own schedule.

Bounded twice: an order not listed in any read for ``unseen_ttl`` seconds is forgotten (swept
every quarter of that; a taken or cancelled order is never listed again, and one entry holds about
5 kB), and past ``max_orders`` the oldest tenth goes at once. A forgotten order still listed is
parsed again once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.adapters.market_models import WireWorkerpoolOrderRecord
from bot.domain.model import BookEntry, SignedWorkerpoolOrder

__all__ = ["ParsedBook", "ParsedOrder", "RecentMap"]

DEFAULT_MAX_ORDERS = 20_000
DEFAULT_UNSEEN_TTL = 3600.0

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class ParsedOrder:
    """One listed record that passed the wire model and the hash check, in its three shapes."""

    record: WireWorkerpoolOrderRecord
    entry: BookEntry
    signed: SignedWorkerpoolOrder


class RecentMap(Generic[K, V]):
    """A dict that forgets what nobody asked for lately: an entry not read nor written for
    ``ttl`` seconds goes (swept every quarter of that), and past ``max_items`` the oldest
    tenth goes at once. For caches keyed by listed orders, which are never listed again once
    taken or cancelled."""

    def __init__(
        self,
        max_items: int = DEFAULT_MAX_ORDERS,
        *,
        ttl: float = DEFAULT_UNSEEN_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be >= 1")
        if not ttl > 0:
            raise ValueError("ttl must be > 0")
        self._max = max_items
        self._ttl = ttl
        self._clock = clock
        self._items: dict[K, V] = {}
        self._seen: dict[K, float] = {}
        self._swept = clock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._seen[key] = self._clock()
        return value

    def put(self, key: K, value: V) -> None:
        now = self._clock()
        if now - self._swept >= self._ttl / 4:
            before = now - self._ttl
            for old in [k for k, seen in self._seen.items() if seen < before]:
                del self._items[old]
                del self._seen[old]
            self._swept = now
        items = self._items
        if key not in items and len(items) >= self._max:
            for old in list(items)[: self._max // 10 + 1]:
                del items[old]  # oldest first
                del self._seen[old]
        items.pop(key, None)  # a replaced entry moves to the young end
        items[key] = value
        self._seen[key] = now


class ParsedBook:
    """Parsed records by order hash, each with the exact JSON item it came from."""

    def __init__(
        self,
        max_orders: int = DEFAULT_MAX_ORDERS,
        *,
        unseen_ttl: float = DEFAULT_UNSEEN_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_orders < 1:
            raise ValueError("max_orders must be >= 1")
        self._items: RecentMap[str, tuple[dict[str, Any], ParsedOrder]] = RecentMap(
            max_orders, ttl=unseen_ttl, clock=clock
        )
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, item: object) -> ParsedOrder | None:
        """What ``item`` parsed to last time, if this very item (same hash, equal JSON) was kept."""
        if not isinstance(item, dict):
            return None
        key = item.get("orderHash")
        if not isinstance(key, str):
            return None
        kept = self._items.get(key)
        if kept is None or kept[0] != item:
            self.misses += 1
            return None
        self.hits += 1
        return kept[1]

    def put(self, item: dict[str, Any], parsed: ParsedOrder) -> None:
        """Keep ``parsed`` for ``item`` (which must not be mutated afterwards)."""
        key = item.get("orderHash")
        if isinstance(key, str):
            self._items.put(key, (item, parsed))

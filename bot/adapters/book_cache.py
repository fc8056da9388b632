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
from typing import Any

from bot.adapters.market_models import WireWorkerpoolOrderRecord
from bot.domain.model import BookEntry, SignedWorkerpoolOrder

__all__ = ["ParsedBook", "ParsedOrder"]

DEFAULT_MAX_ORDERS = 20_000
DEFAULT_UNSEEN_TTL = 3600.0


@dataclass(frozen=True, slots=True)
class ParsedOrder:
    """One listed record that passed the wire model and the hash check, in its three shapes."""

    record: WireWorkerpoolOrderRecord
    entry: BookEntry
    signed: SignedWorkerpoolOrder


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
        if not unseen_ttl > 0:
            raise ValueError("unseen_ttl must be > 0")
        self._max = max_orders
        self._ttl = unseen_ttl
        self._clock = clock
        self._items: dict[str, tuple[dict[str, Any], ParsedOrder]] = {}
        self._seen: dict[str, float] = {}
        self._swept = clock()
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
        self._seen[key] = self._clock()
        return kept[1]

    def put(self, item: dict[str, Any], parsed: ParsedOrder) -> None:
        """Keep ``parsed`` for ``item`` (which must not be mutated afterwards)."""
        key = item.get("orderHash")
        if not isinstance(key, str):
            return
        now = self._clock()
        if now - self._swept >= self._ttl / 4:
            self._sweep(now - self._ttl)
            self._swept = now
        items = self._items
        if key not in items and len(items) >= self._max:
            for old in list(items)[: self._max // 10 + 1]:
                del items[old]  # oldest first
                del self._seen[old]
        items.pop(key, None)  # a changed record moves to the young end
        items[key] = (item, parsed)
        self._seen[key] = now

    def _sweep(self, before: float) -> None:
        gone = [key for key, seen in self._seen.items() if seen < before]
        for key in gone:
            del self._items[key]
            del self._seen[key]

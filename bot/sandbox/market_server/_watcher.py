"""Keeps order status and deals in step with the chain, like iexec-market-api's watcher.

Upstream subscribes to hub events over a websocket and replays missed blocks; here one
background thread polls ``eth_getLogs`` from the last indexed block to the head, in batches.
``sync()`` runs one pass in the caller's thread, so tests and the admin route can wait for the
book to reflect a transaction without sleeping. If the chain goes backwards (an anvil snapshot
revert), the checkpoint follows it down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ._chain import ChainEvent
from ._errors import ChainUnavailable
from ._service import Marketplace

__all__ = ["Watcher"]

_log = logging.getLogger(__name__)
_CHECKPOINT = "checkpoint_block"


class Watcher:
    def __init__(self, market: Marketplace, interval: float, from_block: int, batch: int) -> None:
        self._market = market
        self._interval = interval
        self._batch = batch
        self._sync_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        stored = market.storage.get_meta(_CHECKPOINT)
        self._next = int(stored) + 1 if stored is not None else from_block
        self.last_error: str | None = None

    @property
    def checkpoint(self) -> int:
        """Last block fully indexed (-1 before the first pass)."""
        return self._next - 1

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="market-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync()
                self.last_error = None
            except ChainUnavailable as exc:
                self.last_error = str(exc)
                _log.warning("watcher: %s", exc)
            except Exception as exc:  # keep indexing whatever one bad event does
                self.last_error = repr(exc)
                _log.exception("watcher pass failed")
            self._stop.wait(self._interval)

    def reset(self, clear: Callable[[], None], from_block: int) -> int:
        """Wipe the index with ``clear`` and re-index from ``from_block``, atomically."""
        with self._sync_lock:
            clear()
            self._next = from_block
        return self.sync()

    def sync(self) -> int:
        """Index every block up to the current head; return the new checkpoint."""
        with self._sync_lock:
            head = self._market.chain.block_number()
            if head < self.checkpoint:
                self._next = head + 1
            while self._next <= head:
                end = min(head, self._next + self._batch - 1)
                for event in self._market.chain.events(self._next, end):
                    self._apply(event)
                self._next = end + 1
                self._market.storage.set_meta(_CHECKPOINT, str(end))
            return self.checkpoint

    def _apply(self, event: ChainEvent) -> None:
        m = self._market
        a = event.args
        if event.kind == "matched":
            m.record_deal(a, event.block_number, event.log_index, event.tx_hash)
            touched = m.on_matched(
                {
                    "apporder": a["appHash"],
                    "datasetorder": a["datasetHash"],
                    "workerpoolorder": a["workerpoolHash"],
                    "requestorder": a["requestHash"],
                },
                event.block_number,
            )
            if "apporder" in touched or "datasetorder" in touched:
                m.clean_dependant_requestorders()
        elif event.kind == "closed":
            if m.on_closed(a["kind"], a["orderHash"]) and a["kind"] in ("apporder", "datasetorder"):
                m.clean_dependant_requestorders()
        elif event.kind == "category":
            m.record_category(a, event.block_number, event.tx_hash)
        elif event.kind == "stake_transfer":
            if int(a["value"]) != 0 and a["from"] != "0x" + "0" * 40:
                m.on_stake_moved(a["from"])
        elif event.kind == "resource_transfer":
            m.on_owner_changed(a["registry"], a["resource"], a["from"])

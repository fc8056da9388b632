"""The ports a fill needs (issue #15): read the fill book, re-read one request, estimate and send
``matchOrders``. The live service wires the marketplace client and the chain adapter behind them,
the backtest its simulator; the fill executor (bot.engine.fill_exec) only sees these Protocols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.domain.fill_orders import (
    AppOrder,
    DatasetOrder,
    FillBook,
    ListedOrder,
    RequestOrder,
    SignedOrder,
)
from bot.domain.model import SignedWorkerpoolOrder

__all__ = ["FillPorts", "FillReader", "MatchOrders", "MatchReceipt", "Matcher"]


@dataclass(frozen=True, slots=True)
class MatchOrders:
    """The four orders of one ``matchOrders`` call (no dataset: ``dataset`` is None)."""

    app: SignedOrder[AppOrder]
    dataset: SignedOrder[DatasetOrder] | None
    workerpool: SignedWorkerpoolOrder
    request: SignedOrder[RequestOrder]


@dataclass(frozen=True, slots=True)
class MatchReceipt:
    """What the receipt proves: the deal (``OrdersMatched`` for our order, ``SchedulerNotice``
    for our pool), the volume matched, the gas used and the transaction."""

    deal_id: str
    volume: int
    gas_used: int
    tx_hash: str
    scheduler_notice: bool


@runtime_checkable
class FillReader(Protocol):
    def fill_book(self, workerpool: str) -> FillBook:
        """Open request orders open to our pool, with the app and dataset orders they name."""
        ...

    def request(self, order_hash: str) -> ListedOrder[RequestOrder] | None:
        """The request as listed now (None: not listed, e.g. unpublished by its requester)."""
        ...


@runtime_checkable
class Matcher(Protocol):
    def estimate_match(self, orders: MatchOrders) -> int:
        """Gas of ``matchOrders(orders)``; raises ``ChainRevert`` if it would revert (unsent)."""
        ...

    def match(self, orders: MatchOrders) -> MatchReceipt:
        """Send ``matchOrders`` from the gas wallet (never ``sponsorMatchOrders``) and confirm
        the deal from the receipt; a revert raises ``ChainRevert``."""
        ...


@dataclass(frozen=True, slots=True)
class FillPorts:
    """``trusted``: the orders are the simulator's own (not EIP-712 signed), so the fill
    executor does not recompute their hashes nor check their signatures; never set live."""

    reader: FillReader
    matcher: Matcher
    trusted: bool = False

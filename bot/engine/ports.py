"""The small interfaces the edges implement.

The live service wires real adapters (httpx marketplace client, web3 chain, core /metrics), the
sandbox wires the same adapters to local servers, and the backtester wires in-process simulated
ones. The cycle, the executor and reconcile only ever see these Protocols, so none of them knows
which world it is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from bot.domain.model import (
    BookEntry,
    Category,
    ChainOrderStatus,
    Deal,
    OwnOrder,
    PoolTask,
    PoolUtilization,
    RequestOrderView,
    SignedWorkerpoolOrder,
    Stake,
    WorkerpoolOrder,
)
from bot.domain.safe_json import JsonValue

__all__ = [
    "BookQuery",
    "CancelOutcome",
    "Chain",
    "Clock",
    "Journal",
    "MarketReader",
    "MarketWriter",
    "OrderRow",
    "OrderState",
    "OwnOrdersReader",
    "PoolMetrics",
    "Signer",
    "TaskFeed",
]


@dataclass(frozen=True, slots=True)
class BookQuery:
    """A ``GET /workerpoolorders`` filter. ``"any"`` in app/dataset/requester shows restricted orders."""

    category: int | None = None
    min_tag: int | None = None
    max_tag: int | None = None
    min_trust: int | None = None
    min_volume: int | None = None
    workerpool: str | None = None
    workerpool_owner: str | None = None
    app: str | None = "any"
    dataset: str | None = "any"
    requester: str | None = "any"
    is_app_strict: bool = False
    is_dataset_strict: bool = False
    is_requester_strict: bool = False


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """Result of an on-chain close: ``already_closed`` when there was nothing left to close."""

    order_hash: str
    tx_hash: str | None
    already_closed: bool
    gas_used: int = 0


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Unix seconds."""
        ...


@runtime_checkable
class OwnOrdersReader(Protocol):
    """Our listed orders with their full signed form (restricted ones included), so reconcile
    can cancel a stray order on chain without having journalled it."""

    def our_orders(self, workerpool: str) -> list[OwnOrder]: ...


@runtime_checkable
class MarketReader(OwnOrdersReader, Protocol):
    """The marketplace's read side; ``our_orders`` is part of it (reconcile and withdraw need it)."""

    def workerpool_orders(self, query: BookQuery) -> list[BookEntry]:
        """Every page of open workerpool orders matching ``query``, cheapest first then earliest."""
        ...

    def workerpool_order(self, order_hash: str) -> BookEntry | None: ...

    def request_orders(
        self, category: int | None = None, workerpool: str | None = None
    ) -> list[RequestOrderView]:
        """Open request orders; ``workerpool`` includes those addressed to that pool."""
        ...

    def deals(self, workerpool: str, since: float | None = None) -> list[Deal]: ...


@runtime_checkable
class MarketWriter(Protocol):
    def publish(self, signed: SignedWorkerpoolOrder) -> str:
        """Publish; returns the order hash. Idempotent: an already published order is a success."""
        ...

    def unpublish(self, order_hash: str) -> None:
        """Remove from the listing. Idempotent: not found counts as done."""
        ...

    def unpublish_all(self, workerpool: str) -> list[str]: ...


@runtime_checkable
class Chain(Protocol):
    @property
    def chain_id(self) -> int: ...

    def owner(self, workerpool: str) -> str: ...

    def consumed(self, order_hash: str) -> int: ...

    def consumed_many(self, order_hashes: Sequence[str]) -> dict[str, int]:
        """``consumed`` of each hash; one JSON-RPC batch where the adapter can (every tick reads
        all our tracked orders)."""
        ...

    def order_status(self, signed: SignedWorkerpoolOrder) -> ChainOrderStatus: ...

    def stake(self, account: str) -> Stake: ...

    def categories(self) -> Sequence[Category]: ...

    def cancel(self, signed: SignedWorkerpoolOrder) -> CancelOutcome:
        """Close the order on chain (relayed by default) and confirm ``consumed == volume``."""
        ...

    def gas_balance(self) -> int:
        """Wei left on the wallet that sends transactions."""
        ...


@runtime_checkable
class Signer(Protocol):
    """Holds the owner key; nothing else in the bot ever sees it."""

    @property
    def address(self) -> str: ...

    def sign_order(self, order: WorkerpoolOrder) -> SignedWorkerpoolOrder: ...

    def sign_close(self, order: WorkerpoolOrder) -> str:
        """Signature of the WorkerpoolOrderOperation CLOSE, for a relayed cancel."""
        ...

    def sign_gateway_challenge(self, chain_id: int, challenge: str) -> str:
        """Sign the marketplace's one-use ``iExec Gateway`` login challenge."""
        ...


@runtime_checkable
class PoolMetrics(Protocol):
    def utilization(self) -> PoolUtilization: ...


OrderState = Literal["signed", "published", "unpublished", "closed"]
"""Where a signed order stands as far as the journal knows; all but ``closed`` may be valid."""


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One journalled signed order and where it stands."""

    signed: SignedWorkerpoolOrder
    signed_at: float
    state: OrderState
    updated_at: float


@runtime_checkable
class TaskFeed(Protocol):
    """Our pool's tasks with their deadlines and progress: the data admission needs.

    The live adapter reads our deals (``SchedulerNotice`` + ``viewDeal``) and the task events
    (``TaskInitialize``, ``TaskContribute``) on chain; the sandbox's pool emits those events for
    real; the simulator serves its own tasks. ``/metrics`` cannot replace it: it counts tasks by
    status only, with no category, deadline or duration.
    """

    def pool_tasks(self, workerpool: str, since: float) -> list[PoolTask]:
        """Every task of the pool's deals that started at or after ``since``, oldest deal first."""
        ...


@runtime_checkable
class Journal(Protocol):
    """Append-only memory of what the bot signed, decided and did.

    ``persistent`` tells the cycle whether records are written out (it then encodes snapshots and
    decisions as JSON) or only counted in memory (a backtest: it hands over the raw result and
    skips the encoding, which would dominate a month of ticks).
    """

    @property
    def persistent(self) -> bool: ...

    def record_signed(self, signed: SignedWorkerpoolOrder, at: float) -> None: ...

    def record_action(
        self, at: float, kind: str, order_hash: str | None, outcome: str, detail: str = ""
    ) -> None: ...

    def record_decision(self, at: float, payload: dict[str, object]) -> None: ...

    def record_snapshot(self, at: float, payload: dict[str, object]) -> None: ...

    def signed_orders(self) -> list[SignedWorkerpoolOrder]: ...

    def set_order_state(self, order_hash: str, state: OrderState, at: float) -> None: ...

    def order_state(self, order_hash: str) -> OrderState | None: ...

    def order_rows(self, *, open_only: bool = False) -> list[OrderRow]:
        """Journalled orders, oldest first; ``open_only``: those not known to be closed."""
        ...

    def action_details(self, kind: str, since: float) -> list[str]:
        """Details of the ``ok`` actions of ``kind`` at or after ``since``, oldest first (the
        fill executor restores the day's match gas from them after a restart)."""
        ...

    def load_strategy_state(self) -> JsonValue: ...

    def save_strategy_state(self, state: object) -> None: ...

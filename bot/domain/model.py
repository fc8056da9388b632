"""Frozen values every part of the bot exchanges.

Standard library only, so the pure core, the strategies and the simulator can use them without
pulling in web3 or httpx. Money is integer nRLC (1 RLC = 10**9 nRLC), never a float: a price that
is off by one nRLC is a different signed order. Times are Unix seconds (float) so the simulator can
make millions of them cheaply; they always arrive as inputs, never from a clock read here.

Addresses are kept lower-case (``0x`` + 40 hex) and bytes32 values lower-case (``0x`` + 64 hex):
one canonical spelling makes equality and hashing of values trivial. Checksummed spellings are
produced at the edges that need them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Generic, Literal, NamedTuple, Protocol, TypeVar

from bot.domain.errors import InputError

__all__ = [
    "MAX_SAFE_INTEGER",
    "MAX_UINT256",
    "NRLC_PER_RLC",
    "TAG_BITS",
    "ZERO_ADDRESS",
    "ZERO_BYTES32",
    "Action",
    "BookEntry",
    "Cancel",
    "Category",
    "ChainOrderStatus",
    "Deal",
    "HasFields",
    "Keep",
    "MarketStatus",
    "OwnOrder",
    "PoolTask",
    "PoolUtilization",
    "Publish",
    "Quote",
    "Relist",
    "RequestOrderView",
    "SignedOrder",
    "SignedWorkerpoolOrder",
    "Slot",
    "Stake",
    "Unpublish",
    "WorkerpoolOrder",
    "checked_signature",
    "is_address",
    "norm_address",
    "norm_bytes32",
    "parse_tag",
    "pool_order_fits",
    "signed_json",
    "tag_from_bytes32",
    "tag_names",
    "tag_to_bytes32",
]

NRLC_PER_RLC = 10**9
MAX_UINT256 = 2**256 - 1
MAX_SAFE_INTEGER = 2**53 - 1
ZERO_ADDRESS = "0x" + "0" * 40
ZERO_BYTES32 = "0x" + "0" * 64

_new_tuple = tuple.__new__  # builds a Slot without a Python-level __new__ (several per tick)

# Bit positions of the tag names the iExec SDK knows (SDK utils TAG_MAP).
TAG_BITS: dict[str, int] = {"tee": 0, "scone": 1, "gramine": 2, "tdx": 3, "gpu": 8}

# \Z, not $: "$" also matches before a trailing newline, which would then be kept in the value.
_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}\Z")
_BYTES32_RE = re.compile(r"0x[0-9a-fA-F]{64}\Z")


def is_address(value: object) -> bool:
    return isinstance(value, str) and bool(_ADDRESS_RE.match(value))


def norm_address(value: object, field_name: str = "address") -> str:
    """Return the canonical lower-case spelling, or raise naming the field."""
    if not is_address(value):
        raise InputError(field_name, "must be an address: 0x followed by 40 hex digits", value)
    assert isinstance(value, str)
    return value.lower()


def norm_bytes32(value: object, field_name: str = "bytes32") -> str:
    if not isinstance(value, str) or not _BYTES32_RE.match(value):
        raise InputError(field_name, "must be bytes32: 0x followed by 64 hex digits", value)
    return value.lower()


def tag_to_bytes32(tag: int) -> str:
    if not 0 <= tag < 2**256:
        raise InputError("tag", "must fit in bytes32", tag)
    return "0x" + format(tag, "064x")


def tag_from_bytes32(value: str, field_name: str = "tag") -> int:
    return int(norm_bytes32(value, field_name), 16)


def parse_tag(value: object, field_name: str = "tag") -> int:
    """Accept the spellings iExec tools use: bytes32 hex, a list of names, or a comma string."""
    if isinstance(value, bool):
        raise InputError(field_name, "must be bytes32 hex or a list of tag names", value)
    if isinstance(value, int):
        if not 0 <= value < 2**256:
            raise InputError(field_name, "must fit in bytes32", value)
        return value
    if isinstance(value, str) and value.startswith("0x"):
        return tag_from_bytes32(value, field_name)
    names: list[object]
    if isinstance(value, str):
        names = [n.strip() for n in value.split(",") if n.strip()]
    elif isinstance(value, list | tuple):
        names = list(value)
    else:
        raise InputError(field_name, "must be bytes32 hex or a list of tag names", value)
    tag = 0
    for name in names:
        if not isinstance(name, str) or name.lower() not in TAG_BITS:
            raise InputError(field_name, f"unknown tag name; known: {sorted(TAG_BITS)}", name)
        tag |= 1 << TAG_BITS[name.lower()]
    return tag


def tag_names(tag: int) -> list[str]:
    return [name for name, bit in TAG_BITS.items() if tag >> bit & 1]


def pool_order_fits(tag: int, trust: int, order_tag: int, order_trust: int) -> bool:
    """PoCo's matchOrders rule between what a request (or the deal's app and dataset) asks,
    ``tag`` and ``trust``, and a workerpool order's ``order_tag`` and ``order_trust``: every tag
    bit asked is in the order's tag, and the order's trust is at least the one asked. The one
    copy of the rule: the demand views, the fill policy, the simulator's takers, the yardstick's
    requester kinds and robust's rival reading all ask it."""
    return tag & ~order_tag == 0 and trust <= order_trust


def _check_uint(name: str, value: object, low: int = 0, high: int = MAX_UINT256) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(name, "must be an integer", value)
    if not low <= value <= high:
        raise InputError(name, f"must be between {low} and {high}", value)
    return value


@dataclass(frozen=True, slots=True)
class Category:
    """A PoCo category: its id, name and reference time (workClockTimeRef, seconds)."""

    id: int
    name: str
    work_clock_time_ref: int

    @property
    def contribution_deadline(self) -> int:
        """Seconds after the deal's start by which a task must have been contributed (7x)."""
        return 7 * self.work_clock_time_ref

    @property
    def final_deadline(self) -> int:
        return 10 * self.work_clock_time_ref


class Slot(NamedTuple):
    """Where an order sells: everything but price and volume that tells two offers apart.

    Two orders in one slot compete for the same requesters and share one capacity entry; orders
    in different slots (even a trust apart) do not. The one spelling of a slot: offers, quotes,
    our orders, the ledger, the rails' notes and reconcile all key by it. A tuple, so hashing
    and comparing it (several times per order per tick) stay C-speed.
    """

    category: int
    tag: int
    trust: int
    apprestrict: str = ZERO_ADDRESS
    datasetrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS


@dataclass(frozen=True, slots=True)
class WorkerpoolOrder:
    """The ten EIP-712 fields of a PoCo workerpool order, validated when built."""

    workerpool: str
    workerpoolprice: int
    volume: int
    tag: str
    category: int
    trust: int
    apprestrict: str = ZERO_ADDRESS
    datasetrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    salt: str = ZERO_BYTES32

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "workerpool", norm_address(self.workerpool, "workerpool"))
        _check_uint("workerpoolprice", self.workerpoolprice)
        _check_uint("volume", self.volume, low=1)
        set_(self, "tag", norm_bytes32(self.tag, "tag"))
        _check_uint("category", self.category)
        _check_uint("trust", self.trust)
        for name in ("apprestrict", "datasetrestrict", "requesterrestrict"):
            set_(self, name, norm_address(getattr(self, name), name))
        set_(self, "salt", norm_bytes32(self.salt, "salt"))

    @property
    def tag_int(self) -> int:
        return int(self.tag, 16)

    @property
    def is_restricted(self) -> bool:
        return any(
            r != ZERO_ADDRESS
            for r in (self.apprestrict, self.datasetrestrict, self.requesterrestrict)
        )

    @property
    def slot(self) -> Slot:
        return _new_tuple(
            Slot,
            (
                self.category,
                self.tag_int,
                self.trust,
                self.apprestrict,
                self.datasetrestrict,
                self.requesterrestrict,
            ),
        )

    def fields(self) -> dict[str, int | str]:
        """The ten fields in PoCo order, as EIP-712 message values."""
        return {
            "workerpool": self.workerpool,
            "workerpoolprice": self.workerpoolprice,
            "volume": self.volume,
            "tag": self.tag,
            "category": self.category,
            "trust": self.trust,
            "apprestrict": self.apprestrict,
            "datasetrestrict": self.datasetrestrict,
            "requesterrestrict": self.requesterrestrict,
            "salt": self.salt,
        }


def checked_signature(order_hash: object, sign: object) -> tuple[str, str]:
    """A signed order's ``orderHash`` and ``sign`` as stored: bytes32 and lower-case hex, or an
    InputError naming the field (one rule for every kind of signed order)."""
    normalised = norm_bytes32(order_hash, "orderHash")
    if not isinstance(sign, str) or not re.fullmatch(r"0x([0-9a-fA-F]{2})*", sign):
        raise InputError("sign", "must be 0x-prefixed hex bytes", sign)
    return normalised, sign.lower()


def signed_json(
    fields: Mapping[str, int | str], sign: str, order_hash: str
) -> dict[str, int | str]:
    """The marketplace / SDK shape of a signed order: its fields plus ``sign`` and ``orderHash``."""
    out: dict[str, int | str] = dict(fields)
    out["sign"] = sign
    out["orderHash"] = order_hash
    return out


class HasFields(Protocol):
    """Any order we sign or read signed: its EIP-712 fields by name."""

    def fields(self) -> dict[str, int | str]: ...


OrderT = TypeVar("OrderT", bound=HasFields)


@dataclass(frozen=True, slots=True)
class SignedOrder(Generic[OrderT]):
    """An order with its signature and its hash (the full EIP-712 digest) as given to us.

    Nothing here proves the hash belongs to the fields or the signature to the signer: a fill
    recomputes and checks both (bot.domain.signing.check_signed) before using another's order.
    """

    order: OrderT
    sign: str
    order_hash: str

    def __post_init__(self) -> None:
        order_hash, sign = checked_signature(self.order_hash, self.sign)
        object.__setattr__(self, "order_hash", order_hash)
        object.__setattr__(self, "sign", sign)

    def to_json(self) -> dict[str, int | str]:
        """The marketplace / SDK shape: the order's fields plus ``sign`` and ``orderHash``."""
        return signed_json(self.order.fields(), self.sign, self.order_hash)


@dataclass(frozen=True, slots=True)
class SignedWorkerpoolOrder(SignedOrder[WorkerpoolOrder]):
    """One of our own orders, signed: a type of its own, as the journal and the executor name it."""


class MarketStatus(StrEnum):
    """Order status as the marketplace reports it."""

    OPEN = "open"
    FILLED = "filled"
    CANCELED = "canceled"
    DEAD = "dead"


class ChainOrderStatus(StrEnum):
    """Order status as the chain sees it (from ``viewConsumed``)."""

    OPEN = "open"  # nothing consumed
    PARTIAL = "partial"  # partly filled, still matchable
    CLOSED = "closed"  # consumed == volume: filled or cancelled


@dataclass(frozen=True, slots=True)
class BookEntry:
    """One workerpool order as listed in the marketplace book."""

    order_hash: str
    workerpool: str
    owner: str
    price: int
    volume: int
    remaining: int
    category: int
    tag: int
    trust: int
    published_at: float
    apprestrict: str = ZERO_ADDRESS
    datasetrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    status: MarketStatus = MarketStatus.OPEN

    @property
    def is_restricted(self) -> bool:
        return any(
            r != ZERO_ADDRESS
            for r in (self.apprestrict, self.datasetrestrict, self.requesterrestrict)
        )


@dataclass(frozen=True, slots=True)
class RequestOrderView:
    """A request order from the book: the demand side."""

    order_hash: str
    requester: str
    app: str
    dataset: str
    workerpool: str  # restriction: ZERO_ADDRESS means any pool
    workerpoolmaxprice: int
    volume: int
    remaining: int
    category: int
    tag: int
    trust: int
    published_at: float


@dataclass(frozen=True, slots=True)
class Deal:
    """A match that happened: price history and demand evidence."""

    deal_id: str
    workerpool: str
    price: int
    volume: int
    category: int
    tag: int
    trust: int
    at: float
    requester: str = ZERO_ADDRESS
    app: str = ZERO_ADDRESS
    # The matched request order's own workerpool field (ZERO_ADDRESS: any pool), read from the
    # match's calldata: a buyer who named the pool is captive to it, whatever the price was.
    # None: not known (the source cannot read the match, e.g. the marketplace's /deals alone).
    request_workerpool: str | None = None
    # The matched request order's ``workerpoolmaxprice`` (nRLC per task: the buyer's cap), read
    # from the same calldata: what this buyer would have paid at most, whatever the deal's price.
    # None: not known (as ``request_workerpool``).
    request_maxprice: int | None = None


@dataclass(frozen=True, slots=True)
class PoolUtilization:
    """What the iExec Core Scheduler's /metrics says about our pool's capacity."""

    registered_cpu: int
    computing_cpu: int
    registered_gpu: int = 0
    computing_gpu: int = 0
    backlog: int = 0  # tasks RECEIVED + INITIALIZING + INITIALIZED: committed, not yet computing
    alive_workers: int = 0
    sampled_at: float = 0.0

    def slots_and_busy(self, gpu: bool = False) -> tuple[int, int]:
        """A resource's slots and its busy tasks: the registered CPU (or GPU) slots, and the
        tasks computing on them plus the backlog. The scheduler does not say which kind the
        backlog is, so it is charged to both (conservative): the one rule for every reader of
        the pool's load (the ledger's capacity, the fills' busy share and throughput)."""
        if gpu:
            return self.registered_gpu, self.computing_gpu + self.backlog
        return self.registered_cpu, self.computing_cpu + self.backlog

    def free(self, gpu: bool = False) -> int:
        """A resource's slots neither computing nor promised to the backlog (never below 0):
        the one rule for the CPU's ``free_slots`` and the ledger's ``free_slots(util, gpu)``."""
        slots, busy = self.slots_and_busy(gpu)
        return max(0, slots - busy)

    @property
    def free_slots(self) -> int:
        """The CPU's free slots (:meth:`free`): what the dashboard and the status line show."""
        return self.free()

    @property
    def ratio(self) -> float:
        """Busy share of the CPU slots, backlog included (may exceed 1 when queued)."""
        slots, busy = self.slots_and_busy()
        if slots <= 0:
            return 1.0
        return busy / slots


@dataclass(frozen=True, slots=True)
class PoolTask:
    """One task of a deal on our pool: its deadline and how far it got, as the chain tells it.

    ``deal_start`` is the block time of the match (``deal.startTime``) and
    ``contribution_deadline`` is ``deal_start + 7 x workClockTimeRef``: PoCo's ``contribute``
    requires ``contributionDeadline > block.timestamp``, so the task must be *run and
    contributed* by then, not merely started. ``initialized_at`` and ``contributed_at`` are the
    block times of ``TaskInitialize`` and ``TaskContribute`` (None: not yet). ``started_at`` is
    when a worker took the task, which the chain does not say: only a source that knows it (the
    core's ``/tasks/{id}`` status dates, the simulator) fills it. Admission learns run times from
    contributed tasks and charges the open ones (bot.pricing.runtimes, bot.pricing.admission).
    """

    task_id: str
    category: int
    deal_start: float
    contribution_deadline: float
    initialized_at: float | None = None
    started_at: float | None = None
    contributed_at: float | None = None

    @property
    def contributed(self) -> bool:
        return self.contributed_at is not None

    @property
    def run_seconds(self) -> float | None:
        """Observed run time of a contributed task: contribution minus the best start we know.

        Without ``started_at`` the start is the initialize (else the match) time, so the time a
        task waited for a slot is counted as run time: an over-estimate, on the safe side.
        """
        if self.contributed_at is None:
            return None
        start = self.started_at
        if start is None:
            start = self.initialized_at if self.initialized_at is not None else self.deal_start
        return max(0.0, self.contributed_at - start)


@dataclass(frozen=True, slots=True)
class Stake:
    """The owner's account on the hub, in nRLC."""

    free: int
    locked: int


@dataclass(frozen=True, slots=True)
class OwnOrder:
    """One of our orders still valid on chain, whether listed on the marketplace or not."""

    signed: SignedWorkerpoolOrder
    remaining: int
    published: bool
    published_at: float
    market_status: MarketStatus | None = None
    # Read from ``signed`` once: rails, planner and executor read them for every order every tick.
    order_hash: str = field(init=False, repr=False, compare=False)
    price: int = field(init=False, repr=False, compare=False)
    category: int = field(init=False, repr=False, compare=False)
    tag: int = field(init=False, repr=False, compare=False)
    slot: Slot = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        order = self.signed.order
        slot = order.slot
        set_(self, "order_hash", self.signed.order_hash)
        set_(self, "price", order.workerpoolprice)
        set_(self, "category", slot.category)
        set_(self, "tag", slot.tag)
        set_(self, "slot", slot)


@dataclass(frozen=True, slots=True)
class Quote:
    """What a strategy wants listed for one (category, tag, trust, restrictions) slot."""

    category: int
    price: int
    volume: int
    tag: int = 0
    trust: int = 0
    apprestrict: str = ZERO_ADDRESS
    datasetrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    reason: str = ""
    # A deliberate move to a price the strategy chose (not a follow of a signal): the rails bound
    # it by ``rails.max_jump`` instead of ``rails.max_step``, so it costs one re-signed order (and
    # one cancel going up) instead of one per step (bot.pricing.rails).
    jump: bool = False

    def __post_init__(self) -> None:
        price, volume = self.price, self.volume
        # exact int (not bool) in range: the common case, checked without two calls
        if not (
            type(price) is int
            and type(volume) is int
            and 0 <= price <= MAX_UINT256
            and 0 <= volume <= MAX_UINT256
        ):
            _check_uint("quote.price", price)
            _check_uint("quote.volume", volume)

    def with_volume(self, volume: int) -> Quote:
        """The same quote cut (or grown) to ``volume``: the rails' capacity and the planner's stake
        coverage size a quote after the strategy chose its price, and nothing else may change."""
        return replace(self, volume=volume)

    @property
    def slot(self) -> Slot:
        """Where this quote sells: two quotes with the same slot compete for the same orders."""
        return _new_tuple(
            Slot,
            (
                self.category,
                self.tag,
                self.trust,
                self.apprestrict,
                self.datasetrestrict,
                self.requesterrestrict,
            ),
        )


@dataclass(frozen=True, slots=True)
class Keep:
    order_hash: str
    reason: str
    kind: Literal["keep"] = field(default="keep", init=False)


@dataclass(frozen=True, slots=True)
class Publish:
    """Sign a new order for ``quote`` and publish it."""

    quote: Quote
    reason: str
    kind: Literal["publish"] = field(default="publish", init=False)


@dataclass(frozen=True, slots=True)
class Unpublish:
    """Remove from the marketplace listing; the order stays valid on chain."""

    order_hash: str
    reason: str
    kind: Literal["unpublish"] = field(default="unpublish", init=False)


@dataclass(frozen=True, slots=True)
class Cancel:
    """Close on chain with manageWorkerpoolOrder(CLOSE); the only real cancel."""

    order_hash: str
    reason: str
    kind: Literal["cancel"] = field(default="cancel", init=False)


@dataclass(frozen=True, slots=True)
class Relist:
    """List again one of our orders that is valid on chain but not listed (a publish that failed,
    or one withdrawn by the kill switch) when its price is still wanted: cheaper than cancelling
    it on chain and signing a copy, and its volume is already counted."""

    order_hash: str
    reason: str
    kind: Literal["relist"] = field(default="relist", init=False)


Action = Keep | Publish | Unpublish | Cancel | Relist

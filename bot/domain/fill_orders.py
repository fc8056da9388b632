"""Frozen values of the other three PoCo order kinds: request, app and dataset orders.

A fill (bot.pricing.fills) matches a requester's signed request order, an app order (and a dataset order
when the request names a dataset) and our own workerpool order in one ``matchOrders`` call. The
bot must therefore keep the other orders *whole*: every EIP-712 field (the request's ``params``
included), the signature and the order hash, so the hash can be recomputed from the fields and the
signature checked before anything is sent (bot.domain.signing does both). Standard library only, like
bot.domain.model: the pure core reads them.

Field names and order are PoCo's (``IexecLibOrders_v5``, poco-contracts.md section 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.domain.errors import InputError
from bot.domain.model import (
    MAX_UINT256,
    ZERO_ADDRESS,
    ZERO_BYTES32,
    MarketStatus,
    SignedOrder,
    norm_address,
    norm_bytes32,
)

__all__ = [
    "AppOrder",
    "DatasetOrder",
    "FillBook",
    "FillRecord",
    "ListedOrder",
    "RequestOrder",
    "SignedOrder",
    "fill_detail",
    "fill_record",
]


def _uint(name: str, value: object, low: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_UINT256:
        raise InputError(name, f"must be an integer between {low} and 2**256-1", value)


def _addresses(obj: object, prefix: str, names: tuple[str, ...]) -> None:
    for name in names:
        object.__setattr__(obj, name, norm_address(getattr(obj, name), f"{prefix}.{name}"))


@dataclass(frozen=True, slots=True)
class RequestOrder:
    """The fifteen EIP-712 fields of a requester's order; ``workerpool`` is a restriction."""

    app: str
    appmaxprice: int
    dataset: str
    datasetmaxprice: int
    workerpool: str
    workerpoolmaxprice: int
    requester: str
    volume: int
    tag: str
    category: int
    trust: int
    beneficiary: str
    callback: str
    params: str
    salt: str

    def __post_init__(self) -> None:
        _addresses(
            self,
            "requestorder",
            ("app", "dataset", "workerpool", "requester", "beneficiary", "callback"),
        )
        for name in ("appmaxprice", "datasetmaxprice", "workerpoolmaxprice", "category", "trust"):
            _uint(f"requestorder.{name}", getattr(self, name))
        _uint("requestorder.volume", self.volume, low=1)
        object.__setattr__(self, "tag", norm_bytes32(self.tag, "requestorder.tag"))
        object.__setattr__(self, "salt", norm_bytes32(self.salt, "requestorder.salt"))
        if not isinstance(self.params, str):
            raise InputError("requestorder.params", "must be a string", self.params)

    @property
    def tag_int(self) -> int:
        return int(self.tag, 16)

    def fields(self) -> dict[str, int | str]:
        return {
            "app": self.app,
            "appmaxprice": self.appmaxprice,
            "dataset": self.dataset,
            "datasetmaxprice": self.datasetmaxprice,
            "workerpool": self.workerpool,
            "workerpoolmaxprice": self.workerpoolmaxprice,
            "requester": self.requester,
            "volume": self.volume,
            "tag": self.tag,
            "category": self.category,
            "trust": self.trust,
            "beneficiary": self.beneficiary,
            "callback": self.callback,
            "params": self.params,
            "salt": self.salt,
        }


@dataclass(frozen=True, slots=True)
class AppOrder:
    """The eight EIP-712 fields of an app owner's order."""

    app: str
    appprice: int
    volume: int
    tag: str = ZERO_BYTES32
    datasetrestrict: str = ZERO_ADDRESS
    workerpoolrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    salt: str = ZERO_BYTES32

    def __post_init__(self) -> None:
        _addresses(
            self, "apporder", ("app", "datasetrestrict", "workerpoolrestrict", "requesterrestrict")
        )
        _uint("apporder.appprice", self.appprice)
        _uint("apporder.volume", self.volume, low=1)
        object.__setattr__(self, "tag", norm_bytes32(self.tag, "apporder.tag"))
        object.__setattr__(self, "salt", norm_bytes32(self.salt, "apporder.salt"))

    @property
    def tag_int(self) -> int:
        return int(self.tag, 16)

    @property
    def price(self) -> int:
        return self.appprice

    @property
    def asset(self) -> str:
        """What the order sells (the app), as :class:`DatasetOrder` names its dataset."""
        return self.app

    @property
    def other_restrict(self) -> str:
        """The restriction on the request's other asset (its dataset)."""
        return self.datasetrestrict

    def fields(self) -> dict[str, int | str]:
        return {
            "app": self.app,
            "appprice": self.appprice,
            "volume": self.volume,
            "tag": self.tag,
            "datasetrestrict": self.datasetrestrict,
            "workerpoolrestrict": self.workerpoolrestrict,
            "requesterrestrict": self.requesterrestrict,
            "salt": self.salt,
        }


@dataclass(frozen=True, slots=True)
class DatasetOrder:
    """The eight EIP-712 fields of a dataset owner's order."""

    dataset: str
    datasetprice: int
    volume: int
    tag: str = ZERO_BYTES32
    apprestrict: str = ZERO_ADDRESS
    workerpoolrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    salt: str = ZERO_BYTES32

    def __post_init__(self) -> None:
        _addresses(
            self,
            "datasetorder",
            ("dataset", "apprestrict", "workerpoolrestrict", "requesterrestrict"),
        )
        _uint("datasetorder.datasetprice", self.datasetprice)
        _uint("datasetorder.volume", self.volume, low=1)
        object.__setattr__(self, "tag", norm_bytes32(self.tag, "datasetorder.tag"))
        object.__setattr__(self, "salt", norm_bytes32(self.salt, "datasetorder.salt"))

    @property
    def tag_int(self) -> int:
        return int(self.tag, 16)

    @property
    def price(self) -> int:
        return self.datasetprice

    @property
    def asset(self) -> str:
        """What the order sells (the dataset), as :class:`AppOrder` names its app."""
        return self.dataset

    @property
    def other_restrict(self) -> str:
        """The restriction on the request's other asset (its app)."""
        return self.apprestrict

    def fields(self) -> dict[str, int | str]:
        return {
            "dataset": self.dataset,
            "datasetprice": self.datasetprice,
            "volume": self.volume,
            "tag": self.tag,
            "apprestrict": self.apprestrict,
            "workerpoolrestrict": self.workerpoolrestrict,
            "requesterrestrict": self.requesterrestrict,
            "salt": self.salt,
        }


OrderT = TypeVar("OrderT", RequestOrder, AppOrder, DatasetOrder)


@dataclass(frozen=True, slots=True)
class ListedOrder(Generic[OrderT]):
    """A signed order as the marketplace lists it: what is left of it and its status."""

    signed: SignedOrder[OrderT]
    remaining: int
    status: MarketStatus = MarketStatus.OPEN
    published_at: float = 0.0

    @property
    def order_hash(self) -> str:
        return self.signed.order_hash

    @property
    def order(self) -> OrderT:
        return self.signed.order


@dataclass(frozen=True, slots=True)
class FillBook:
    """The part of the market a fill needs, read whole: request orders that may name our pool,
    and the app and dataset orders they could be matched with (all signed, as listed)."""

    requests: tuple[ListedOrder[RequestOrder], ...] = ()
    apporders: tuple[ListedOrder[AppOrder], ...] = ()
    datasetorders: tuple[ListedOrder[DatasetOrder], ...] = ()
    by_hash: Mapping[str, ListedOrder[RequestOrder]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Per app (dataset), its open orders with volume left, cheapest first (price, then when
    # published, then hash): every request of a tick looks its asset up here instead of
    # scanning and sorting the whole book (bot.pricing.fills reads it ~100 times a tick).
    open_apps: Mapping[str, tuple[ListedOrder[AppOrder], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    open_datasets: Mapping[str, tuple[ListedOrder[DatasetOrder], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_hash", {r.order_hash: r for r in self.requests})
        object.__setattr__(self, "open_apps", _open_by_asset(self.apporders))
        object.__setattr__(self, "open_datasets", _open_by_asset(self.datasetorders))


_Asset = TypeVar("_Asset", AppOrder, DatasetOrder)


def _open_by_asset(
    listed: tuple[ListedOrder[_Asset], ...],
) -> dict[str, tuple[ListedOrder[_Asset], ...]]:
    by: dict[str, list[ListedOrder[_Asset]]] = {}
    for a in listed:
        if a.status is MarketStatus.OPEN and a.remaining > 0:
            by.setdefault(a.order.asset, []).append(a)
    return {
        k: tuple(sorted(v, key=lambda a: (a.order.price, a.published_at, a.order_hash)))
        for k, v in by.items()
    }


_FILL = re.compile(r"^deal (\S+) request \S+ volume (\d+) price (\d+) gas (\d+) tx ")


@dataclass(frozen=True, slots=True)
class FillRecord:
    """A confirmed fill as journalled (an ``ok`` action of kind ``fill``): what the ops view
    and the gas budget read back."""

    deal_id: str
    volume: int
    price: int
    gas: int

    @property
    def revenue_nrlc(self) -> int:
        return self.price * self.volume


def fill_detail(deal_id: str, request: str, volume: int, price: int, gas: int, tx: str) -> str:
    """The journalled detail of a confirmed fill (read back by :func:`fill_record`)."""
    return f"deal {deal_id} request {request} volume {volume} price {price} gas {gas} tx {tx}"


def fill_record(detail: str) -> FillRecord | None:
    """The fill a ``fill`` action's detail records (None: not a confirmed fill's detail)."""
    m = _FILL.match(detail)
    if m is None:
        return None
    return FillRecord(m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)))

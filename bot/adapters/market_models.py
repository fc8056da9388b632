"""Wire models of the iExec marketplace API, and their translation into ``bot.domain.model`` values.

Everything the marketplace says passes through these pydantic models before the bot looks at it.
They are deliberately stricter than the server: integers must be JSON integers within
``0..2^53-1`` (the API's ``SafeUint``), addresses and bytes32 values must be well formed, times
must be the ISO strings the API writes, and records must be self-consistent (remaining <= volume).
A record that fails is dropped by the client with a logged reason; a whole answer that fails
raises ``MalformedResponse``.

Shapes follow iexec-market-api (api/src/models/*Model.js, services/order.js, services/auth.js),
see ../shared/reference/market-api.md sections 2-5.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    model_validator,
)

from bot.adapters.safe_text import clean_text
from bot.domain.errors import MalformedResponse, NetworkMismatch
from bot.domain.fill_orders import AppOrder, DatasetOrder, ListedOrder, RequestOrder, SignedOrder
from bot.domain.model import (
    MAX_SAFE_INTEGER,
    BookEntry,
    Category,
    Deal,
    MarketStatus,
    OwnOrder,
    RequestOrderView,
    SignedWorkerpoolOrder,
    WorkerpoolOrder,
)
from bot.domain.signing import GATEWAY_CHALLENGE_PREFIX

__all__ = [
    "CHALLENGE_PREFIX",
    "ChallengeTypedData",
    "WireAppOrder",
    "WireAppOrderRecord",
    "WireCategory",
    "WireDatasetOrder",
    "WireDatasetOrderRecord",
    "WireDeal",
    "WireOrdersPage",
    "WirePage",
    "WireRequestOrder",
    "WireRequestOrderRecord",
    "WireResource",
    "WireWorkerpoolOrder",
    "WireWorkerpoolOrderRecord",
    "challenge_text",
    "describe_validation_error",
    "error_message",
    "to_book_entry",
    "to_category",
    "to_deal",
    "to_listed_app",
    "to_listed_dataset",
    "to_listed_request",
    "to_own_order",
    "to_request_view",
    "to_signed_order",
]

CHALLENGE_PREFIX = GATEWAY_CHALLENGE_PREFIX  # what the marketplace asks us to sign

# \Z, not $ ("$" lets a trailing newline through); [0-9], not \d (which reads "١٢" as 12).
_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}\Z")
_BYTES32_RE = re.compile(r"0x[0-9a-fA-F]{64}\Z")
_HEX_RE = re.compile(r"0x(?:[0-9a-fA-F]{2})*\Z")
# The API writes Date.toISOString(): always UTC, always milliseconds. Seconds-only is tolerated.
_ISO_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-]00:00)\Z"
)
# What randomstring.generate() produces (32 alphanumerics); tolerant of other token alphabets.
_CHALLENGE_VALUE_RE = re.compile(r"[A-Za-z0-9_-]{8,128}\Z")


def _address(value: str) -> str:
    if not _ADDRESS_RE.match(value):
        raise ValueError("must be an address: 0x followed by 40 hex digits")
    return value.lower()


def _bytes32(value: str) -> str:
    if not _BYTES32_RE.match(value):
        raise ValueError("must be bytes32: 0x followed by 64 hex digits")
    return value.lower()


def _hex(value: str) -> str:
    if not _HEX_RE.match(value) or len(value) > 2 + 2 * 1024:
        raise ValueError("must be 0x-prefixed hex bytes (at most 1024 bytes)")
    return value.lower()


def _iso_to_unix(value: object) -> float:
    if not isinstance(value, str) or not _ISO_RE.match(value):
        raise ValueError("must be an ISO-8601 UTC timestamp like 2019-09-11T10:03:38.068Z")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _chain_id(value: object) -> int:
    """``GET /<orders>/:hash`` echoes the query string (a string); lists carry a number."""
    if isinstance(value, bool):
        raise ValueError("must be a chain id")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    raise ValueError("must be a chain id (integer or string of digits)")


Address = Annotated[str, Strict(), AfterValidator(_address)]
Bytes32 = Annotated[str, Strict(), AfterValidator(_bytes32)]
HexBytes = Annotated[str, Strict(), AfterValidator(_hex)]
SafeUint = Annotated[int, Strict(), Field(ge=0, le=MAX_SAFE_INTEGER)]
PositiveSafeUint = Annotated[int, Strict(), Field(ge=1, le=MAX_SAFE_INTEGER)]
Timestamp = Annotated[float, BeforeValidator(_iso_to_unix)]
ChainId = Annotated[int, BeforeValidator(_chain_id), Field(ge=1)]


class _Wire(BaseModel):
    """Unknown keys are ignored (the API adds fields between versions); known ones are strict."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class WireWorkerpoolOrder(_Wire):
    workerpool: Address
    workerpoolprice: SafeUint
    volume: PositiveSafeUint
    tag: Bytes32
    category: SafeUint
    trust: SafeUint
    apprestrict: Address
    datasetrestrict: Address
    requesterrestrict: Address
    salt: Bytes32
    sign: HexBytes


class WireRequestOrder(_Wire):
    app: Address
    appmaxprice: SafeUint
    dataset: Address
    datasetmaxprice: SafeUint
    workerpool: Address
    workerpoolmaxprice: SafeUint
    requester: Address
    volume: PositiveSafeUint
    tag: Bytes32
    category: SafeUint
    trust: SafeUint
    beneficiary: Address
    callback: Address
    params: Annotated[str, Strict(), Field(max_length=65536)]
    salt: Bytes32
    sign: HexBytes


class WireAppOrder(_Wire):
    app: Address
    appprice: SafeUint
    volume: PositiveSafeUint
    tag: Bytes32
    datasetrestrict: Address
    workerpoolrestrict: Address
    requesterrestrict: Address
    salt: Bytes32
    sign: HexBytes


class WireDatasetOrder(_Wire):
    dataset: Address
    datasetprice: SafeUint
    volume: PositiveSafeUint
    tag: Bytes32
    apprestrict: Address
    workerpoolrestrict: Address
    requesterrestrict: Address
    salt: Bytes32
    sign: HexBytes


OrderT = TypeVar("OrderT", WireWorkerpoolOrder, WireRequestOrder, WireAppOrder, WireDatasetOrder)


class _OrderRecord(_Wire, Generic[OrderT]):
    """``OrderWithMetadata`` (api/src/models/*orderModel.js): the signed order and its status."""

    orderHash: Bytes32
    order: OrderT
    chainId: ChainId
    remaining: SafeUint
    status: MarketStatus
    publicationTimestamp: Timestamp
    signer: Address

    @model_validator(mode="after")
    def _consistent(self) -> _OrderRecord[OrderT]:
        if self.remaining > self.order.volume:
            raise ValueError("remaining exceeds the order's volume")
        return self


class WireWorkerpoolOrderRecord(_OrderRecord[WireWorkerpoolOrder]):
    """A workerpool order record (api/src/models/workerpoolorderModel.js)."""


class WireRequestOrderRecord(_OrderRecord[WireRequestOrder]):
    """A request order record (api/src/models/requestorderModel.js)."""


class WireAppOrderRecord(_OrderRecord[WireAppOrder]):
    """An app order record (api/src/models/apporderModel.js)."""


class WireDatasetOrderRecord(_OrderRecord[WireDatasetOrder]):
    """A dataset order record (api/src/models/datasetorderModel.js)."""


class WireResource(_Wire):
    pointer: Address
    owner: Address
    price: SafeUint


class WireDeal(_Wire):
    """A deal (api/src/models/dealModel.js); only the fields the bot uses are required."""

    dealid: Bytes32
    chainId: ChainId
    app: WireResource
    dataset: WireResource
    workerpool: WireResource
    requester: Address
    volume: PositiveSafeUint
    category: SafeUint
    tag: Bytes32
    trust: SafeUint
    blockNumber: SafeUint
    blockTimestamp: Timestamp
    workerpoolHash: Bytes32 | None = None
    requestHash: Bytes32 | None = None
    transactionHash: Bytes32 | None = None  # the match's: its calldata holds the request order
    botFirst: SafeUint | None = None  # the request's consumed volume before it: makes the id


class WireCategory(_Wire):
    catid: SafeUint
    chainId: ChainId
    name: Annotated[str, Strict(), Field(max_length=1024)]
    description: Annotated[str, Strict(), Field(max_length=65536)] = ""
    workClockTimeRef: PositiveSafeUint


class WirePage(_Wire):
    """The paginated envelope; the items are validated one by one by the client."""

    ok: Literal[True]
    count: SafeUint
    nextPage: SafeUint | None = None


class WireOrdersPage(WirePage):
    orders: list[Any]


class _TypedField(_Wire):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    type: str


class ChallengeTypedData(BaseModel):
    """The ``data`` of ``GET /challenge``; unknown keys anywhere make it unsignable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    types: dict[str, list[_TypedField]]
    domain: dict[str, Any]
    primaryType: str
    message: dict[str, Any]


_DOMAIN_TYPE = [("name", "string"), ("version", "string"), ("chainId", "uint256")]
_CHALLENGE_TYPE = [("challenge", "string")]


def challenge_text(payload: object, chain_id: int) -> str:
    """Return the challenge string if ``payload`` is exactly the iExec Gateway login typed data.

    The server hands us something to sign with the owner key; anything but this one shape (another
    domain, a verifyingContract, another primary type, extra fields, another chain) could be a
    signature usable elsewhere, so it is refused before the signer ever sees it.
    """
    where = "GET /challenge"
    try:
        data = ChallengeTypedData.model_validate(payload)
    except ValidationError as exc:
        raise MalformedResponse(where, describe_validation_error(exc)) from None
    types = {k: [(f.name, f.type) for f in v] for k, v in data.types.items()}
    if types != {"EIP712Domain": _DOMAIN_TYPE, "Challenge": _CHALLENGE_TYPE}:
        raise MalformedResponse(
            where,
            "refusing to sign: types must be exactly EIP712Domain(name,version,chainId)"
            " and Challenge(challenge string)",
        )
    if data.primaryType != "Challenge":
        raise MalformedResponse(where, "refusing to sign: primaryType must be Challenge")
    if set(data.domain) != {"name", "version", "chainId"}:
        raise MalformedResponse(
            where, "refusing to sign: domain must have exactly name, version and chainId"
        )
    if data.domain["name"] != "iExec Gateway" or data.domain["version"] != "1":
        raise MalformedResponse(
            where, "refusing to sign: domain must be {name: 'iExec Gateway', version: '1'}"
        )
    try:
        served_chain = _chain_id(data.domain["chainId"])
    except ValueError:
        raise MalformedResponse(
            where, "refusing to sign: domain.chainId is not a chain id"
        ) from None
    if served_chain != chain_id:
        raise NetworkMismatch(
            f"{where}: the marketplace serves chain {served_chain}, the bot is configured for "
            f"chain {chain_id}; refusing to sign"
        )
    if set(data.message) != {"challenge"} or not isinstance(data.message["challenge"], str):
        raise MalformedResponse(where, "refusing to sign: message must be {challenge: string}")
    text: str = data.message["challenge"]
    if not text.startswith(CHALLENGE_PREFIX) or not _CHALLENGE_VALUE_RE.match(
        text[len(CHALLENGE_PREFIX) :]
    ):
        raise MalformedResponse(
            where,
            f"refusing to sign: challenge must be {CHALLENGE_PREFIX!r} followed by a random token",
        )
    return text


def describe_validation_error(exc: ValidationError, limit: int = 3) -> str:
    """One line naming the failing fields and rules, short enough for a log line.

    A location may be a key the server chose (``{"types": {"\\nFAKE LOG LINE": …}}``): each part
    is cleaned to one printable line, so hostile input cannot forge log lines (found by the fuzz,
    issue #19).
    """
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(clean_text(str(p), 64) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {clean_text(str(err['msg']), 200)}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


def error_message(body: object) -> str | None:
    """The ``error`` of an ``{ok: false, error}`` envelope, if that is what ``body`` is.

    Cleaned (:func:`bot.adapters.safe_text.clean_text`): it goes into exceptions, logs and the
    journal, so escape codes, CR/LF and other control characters never get through, and it is
    bounded in length."""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return clean_text(body["error"]) or None
    return None


def to_book_entry(rec: WireWorkerpoolOrderRecord) -> BookEntry:
    o = rec.order
    return BookEntry(
        order_hash=rec.orderHash,
        workerpool=o.workerpool,
        owner=rec.signer,
        price=o.workerpoolprice,
        volume=o.volume,
        remaining=rec.remaining,
        category=o.category,
        tag=int(o.tag, 16),
        trust=o.trust,
        published_at=rec.publicationTimestamp,
        apprestrict=o.apprestrict,
        datasetrestrict=o.datasetrestrict,
        requesterrestrict=o.requesterrestrict,
        status=rec.status,
    )


def to_signed_order(rec: WireWorkerpoolOrderRecord) -> SignedWorkerpoolOrder:
    o = rec.order
    order = WorkerpoolOrder(
        workerpool=o.workerpool,
        workerpoolprice=o.workerpoolprice,
        volume=o.volume,
        tag=o.tag,
        category=o.category,
        trust=o.trust,
        apprestrict=o.apprestrict,
        datasetrestrict=o.datasetrestrict,
        requesterrestrict=o.requesterrestrict,
        salt=o.salt,
    )
    return SignedWorkerpoolOrder(order=order, sign=o.sign, order_hash=rec.orderHash)


def to_own_order(
    rec: WireWorkerpoolOrderRecord, signed: SignedWorkerpoolOrder | None = None
) -> OwnOrder:
    """``signed``: the record's ``to_signed_order`` when the caller already has it."""
    return OwnOrder(
        signed=to_signed_order(rec) if signed is None else signed,
        remaining=rec.remaining,
        published=rec.status == MarketStatus.OPEN,
        published_at=rec.publicationTimestamp,
        market_status=rec.status,
    )


def to_request_view(rec: WireRequestOrderRecord) -> RequestOrderView:
    o = rec.order
    return RequestOrderView(
        order_hash=rec.orderHash,
        requester=o.requester,
        app=o.app,
        dataset=o.dataset,
        workerpool=o.workerpool,
        workerpoolmaxprice=o.workerpoolmaxprice,
        volume=o.volume,
        remaining=rec.remaining,
        category=o.category,
        tag=int(o.tag, 16),
        trust=o.trust,
        published_at=rec.publicationTimestamp,
    )


def to_deal(wire: WireDeal) -> Deal:
    return Deal(
        deal_id=wire.dealid,
        workerpool=wire.workerpool.pointer,
        price=wire.workerpool.price,
        volume=wire.volume,
        category=wire.category,
        tag=int(wire.tag, 16),
        trust=wire.trust,
        at=wire.blockTimestamp,
        requester=wire.requester,
        app=wire.app.pointer,
    )


def to_category(wire: WireCategory) -> Category:
    return Category(id=wire.catid, name=wire.name, work_clock_time_ref=wire.workClockTimeRef)


def _fields(wire: _Wire) -> dict[str, Any]:
    return {k: v for k, v in wire.model_dump().items() if k != "sign"}


_DomainT = TypeVar("_DomainT", RequestOrder, AppOrder, DatasetOrder)


def _to_listed(rec: _OrderRecord[Any], cls: type[_DomainT]) -> ListedOrder[_DomainT]:
    """The whole signed order of one record, as a fill needs it (one shape for every kind)."""
    return ListedOrder(
        SignedOrder(cls(**_fields(rec.order)), rec.order.sign, rec.orderHash),
        rec.remaining,
        rec.status,
        rec.publicationTimestamp,
    )


def to_listed_request(rec: WireRequestOrderRecord) -> ListedOrder[RequestOrder]:
    """The whole signed request order (every EIP-712 field) as a fill needs it (bot.pricing.fills)."""
    return _to_listed(rec, RequestOrder)


def to_listed_app(rec: WireAppOrderRecord) -> ListedOrder[AppOrder]:
    return _to_listed(rec, AppOrder)


def to_listed_dataset(rec: WireDatasetOrderRecord) -> ListedOrder[DatasetOrder]:
    return _to_listed(rec, DatasetOrder)

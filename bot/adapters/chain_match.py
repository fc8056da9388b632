"""``matchOrders`` for fills (issue #15): calldata, and what its receipt proves; and, for any deal
of our pool, the request order its match transaction carried (issue #14): whose pool it named and
the most its buyer would pay.

The hub's ``matchOrders(app, dataset, workerpool, request)`` takes the four signed orders as ABI
tuples (PoCo ``IexecPoco1``; poco-contracts.md section 4); a fill without a dataset passes an
all-zero dataset order, as the iExec SDK does. Never ``sponsorMatchOrders``: there the sender
pays the deal. The receipt must show ``OrdersMatched`` for our workerpool order (the deal id and
the volume) and ``SchedulerNotice`` for our pool.

**Whose request a deal was.** A deal stores neither the request order nor its hash, only what
PoCo copied from it; whether the buyer *named* our pool (the request's ``workerpool`` field) is
in the match's calldata alone, and so is the buyer's cap (``workerpoolmaxprice``: the deal
records the price paid, not the most the buyer would have paid). :func:`matched_request_of`
decodes a transaction sent to the hub as ``matchOrders`` or ``sponsorMatchOrders`` (same
arguments), recomputes the request order's EIP-712 hash with the project's signing code and
trusts both fields only if the deal id is
``keccak256(requestHash, botFirst)``, which is how PoCo derives it (IexecPoco1Facet; the same
request matched twice makes two deals with two ``botFirst``). Anything else is "not known"
(None): another contract that called the hub, calldata that does not decode, a hash that does
not give the deal id. PoCo Boost's ``matchOrdersBoost`` deals emit ``SchedulerNoticeBoost`` and
live in ``viewDealBoost``, so they never reach the readers of ``SchedulerNotice`` deals; the Boost
facet is not deployed on Arbitrum (poco-contracts.md section 5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from bot.adapters.chain_wallet import Receipt
from bot.domain.errors import ChainError, InputError
from bot.domain.fill_orders import AppOrder, RequestOrder, SignedOrder
from bot.domain.model import (
    ZERO_ADDRESS,
    Deal,
    SignedWorkerpoolOrder,
    norm_address,
    norm_bytes32,
)
from bot.domain.networks import Network
from bot.domain.signing import hash_market_order
from bot.engine.fill_ports import MatchOrders, MatchReceipt

__all__ = [
    "MATCH_ORDERS_SIGNATURE",
    "DealMatch",
    "MatchedRequest",
    "encode_match_orders",
    "match_receipt",
    "matched_request_of",
    "with_request",
]

_APP = "(address,uint256,uint256,bytes32,address,address,address,bytes32,bytes)"
_DATASET = _APP
_WORKERPOOL = (
    "(address,uint256,uint256,bytes32,uint256,uint256,address,address,address,bytes32,bytes)"
)
_REQUEST = (
    "(address,uint256,address,uint256,address,uint256,address,uint256,bytes32,uint256,uint256,"
    "address,address,string,bytes32,bytes)"
)
MATCH_ORDERS_SIGNATURE = f"matchOrders({_APP},{_DATASET},{_WORKERPOOL},{_REQUEST})"
# Both take the four orders; sponsorMatchOrders only makes the sender pay the deal.
_MATCH_SELECTORS = frozenset(
    keccak(text=f"{name}({_APP},{_DATASET},{_WORKERPOOL},{_REQUEST})")[:4]
    for name in ("matchOrders", "sponsorMatchOrders")
)
_ORDERS_MATCHED = keccak(text="OrdersMatched(bytes32,bytes32,bytes32,bytes32,bytes32,uint256)")
_SCHEDULER_NOTICE = keccak(text="SchedulerNotice(address,bytes32)")


def _address(value: object) -> object:
    return to_checksum_address(str(value))


def _bytes32(value: object) -> object:
    return bytes.fromhex(str(value)[2:])


_TYPES: dict[str, Callable[[object], object]] = {"address": _address, "bytes32": _bytes32}


def _tuple(fields: dict[str, int | str], types: str, sign: str) -> tuple[Any, ...]:
    kinds = types.strip("()").split(",")
    values: list[Any] = []
    for kind, value in zip(kinds[:-1], fields.values(), strict=True):
        conv = _TYPES.get(kind)
        values.append(conv(value) if conv else value)
    values.append(bytes.fromhex(sign.removeprefix("0x")))
    return tuple(values)


# No dataset: an all-zero dataset order (volume 0, empty sign), as the SDK sends.
_ZERO = to_checksum_address(ZERO_ADDRESS)
_NO_DATASET = (_ZERO, 0, 0, bytes(32), _ZERO, _ZERO, _ZERO, bytes(32), b"")


def encode_match_orders(orders: MatchOrders) -> str:
    app: SignedOrder[AppOrder] = orders.app
    request: SignedOrder[RequestOrder] = orders.request
    wp: SignedWorkerpoolOrder = orders.workerpool
    if orders.dataset is None:
        dataset: tuple[Any, ...] = _NO_DATASET
    else:
        dataset = _tuple(orders.dataset.order.fields(), _DATASET, orders.dataset.sign)
    args = [
        _tuple(app.order.fields(), _APP, app.sign),
        dataset,
        _tuple(wp.order.fields(), _WORKERPOOL, wp.sign),
        _tuple(request.order.fields(), _REQUEST, request.sign),
    ]
    selector = keccak(text=MATCH_ORDERS_SIGNATURE)[:4]
    return "0x" + (selector + encode([_APP, _DATASET, _WORKERPOOL, _REQUEST], args)).hex()


def match_receipt(
    receipt: Receipt, tx_hash: str, orders: MatchOrders, workerpool: str
) -> MatchReceipt:
    """The deal our order made, read from the receipt's logs; ChainError when it shows none."""
    ours = bytes.fromhex(orders.workerpool.order_hash[2:])
    deal: tuple[str, int] | None = None
    notice = False
    for entry in receipt.logs:
        topics = entry.topics
        if not topics:
            continue
        data = entry.data
        if topics[0] == _ORDERS_MATCHED:
            dealid, _app, _ds, wp_hash, _req, volume = decode(
                ["bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint256"], data
            )
            if wp_hash == ours:
                deal = ("0x" + dealid.hex(), int(volume))
        elif topics[0] == _SCHEDULER_NOTICE and len(topics) > 1:
            pool = "0x" + topics[1][-20:].hex()
            notice = notice or pool == workerpool.lower()
    if deal is None:
        raise ChainError(f"matchOrders tx {tx_hash} mined without OrdersMatched for our order")
    return MatchReceipt(deal[0], deal[1], receipt.gas_used, tx_hash, notice)


@dataclass(frozen=True, slots=True)
class DealMatch:
    """Where a deal of ``workerpool`` was made: its match transaction and first task index."""

    deal_id: str
    tx_hash: str
    bot_first: int
    workerpool: str


@dataclass(frozen=True, slots=True)
class MatchedRequest:
    """What the request order of a deal said, read from its match transaction."""

    workerpool: str  # lower-case; the zero address: any pool
    maxprice: int  # ``workerpoolmaxprice``, nRLC per task: the most its buyer would pay


def _request_of(raw: tuple[Any, ...]) -> RequestOrder:
    """A decoded request tuple (the fifteen EIP-712 fields, then ``sign``) as the domain order."""
    names = [f.name for f in fields(RequestOrder)]
    values: dict[str, Any] = {
        name: "0x" + v.hex() if isinstance(v, bytes) else v
        for name, v in zip(names, raw[: len(names)], strict=True)
    }
    return RequestOrder(**values)


def matched_request_of(
    network: Network, to: str, calldata: bytes, match: DealMatch
) -> MatchedRequest | None:
    """The ``workerpool`` field (lower-case) and ``workerpoolmaxprice`` of the request order that
    made ``match``'s deal, read from its transaction (``to`` and ``calldata``); None unless the
    calldata is a hub ``matchOrders``/``sponsorMatchOrders`` for this pool whose request hashes
    to the deal id."""
    if to.lower() != network.hub.lower() or calldata[:4] not in _MATCH_SELECTORS:
        return None
    try:
        _app, _dataset, wp, req = decode([_APP, _DATASET, _WORKERPOOL, _REQUEST], calldata[4:])
        request = _request_of(req)
        request_hash = bytes.fromhex(hash_market_order(network, request)[2:])
        deal_id = norm_bytes32(match.deal_id, "deal_id")
        pool = norm_address(match.workerpool, "workerpool")
        made = "0x" + keccak(request_hash + match.bot_first.to_bytes(32, "big")).hex()
    except (DecodingError, InputError, ValueError, TypeError, OverflowError):
        return None
    if str(wp[0]).lower() != pool or made != deal_id:
        return None
    return MatchedRequest(request.workerpool, request.workerpoolmaxprice)


def with_request(deal: Deal, found: MatchedRequest | None) -> Deal:
    """``deal`` with what its request order said (None: both fields not known)."""
    if found is None:
        return replace(deal, request_workerpool=None, request_maxprice=None)
    return replace(deal, request_workerpool=found.workerpool, request_maxprice=found.maxprice)

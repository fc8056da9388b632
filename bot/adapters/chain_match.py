"""``matchOrders`` for fills (issue #15): calldata, and what its receipt proves.

The hub's ``matchOrders(app, dataset, workerpool, request)`` takes the four signed orders as ABI
tuples (PoCo ``IexecPoco1``; poco-contracts.md section 4); a fill without a dataset passes an
all-zero dataset order, as the iExec SDK does. Never ``sponsorMatchOrders``: there the sender
pays the deal. The receipt must show ``OrdersMatched`` for our workerpool order (the deal id and
the volume) and ``SchedulerNotice`` for our pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from bot.adapters.chain_wallet import Receipt
from bot.domain.errors import ChainError
from bot.domain.fill_orders import AppOrder, RequestOrder, SignedOrder
from bot.domain.model import ZERO_ADDRESS, SignedWorkerpoolOrder
from bot.engine.fill_ports import MatchOrders, MatchReceipt

__all__ = ["MATCH_ORDERS_SIGNATURE", "encode_match_orders", "match_receipt"]

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

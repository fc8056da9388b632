"""What the marketplace reads from the chain, behind a small interface.

The real API and watcher read the hub (``domain``, ``viewConsumed``, ``viewAccount``,
``verifySignature``, ``viewDeal``), the registries (``isRegistered``) and the resources
(``owner()``), and index the hub's and registries' events. ``ChainReader`` is that surface;
``Web3ChainReader`` implements it with web3 and the PoCo hub ABI, and turns every web3 or
transport failure into ``ChainUnavailable`` (HTTP 500 "retry later", as upstream).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from eth_abi.abi import decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError

from ._errors import ChainUnavailable
from ._hashing import Domain

__all__ = [
    "ChainEvent",
    "ChainReader",
    "DealView",
    "ResourceKind",
    "Web3ChainReader",
]

ResourceKind = Literal["app", "dataset", "workerpool"]
T = TypeVar("T")

_RESOURCE_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "isRegistered",
        "stateMutability": "view",
        "inputs": [{"name": "", "type": "address"}],
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "function",
        "name": "owner",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "address"}],
    },
]


def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


TOPIC_ORDERS_MATCHED = _topic("OrdersMatched(bytes32,bytes32,bytes32,bytes32,bytes32,uint256)")
TOPIC_CLOSED = {
    _topic("ClosedAppOrder(bytes32)"): "apporder",
    _topic("ClosedDatasetOrder(bytes32)"): "datasetorder",
    _topic("ClosedWorkerpoolOrder(bytes32)"): "workerpoolorder",
    _topic("ClosedRequestOrder(bytes32)"): "requestorder",
}
TOPIC_CREATE_CATEGORY = _topic("CreateCategory(uint256,string,string,uint256)")
TOPIC_TRANSFER = _topic("Transfer(address,address,uint256)")


@dataclass(frozen=True, slots=True)
class ChainEvent:
    """One decoded log the watcher cares about. ``kind`` names the event; ``args`` its fields."""

    kind: Literal["matched", "closed", "category", "stake_transfer", "resource_transfer"]
    block_number: int
    log_index: int
    tx_hash: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DealView:
    """``viewDeal`` in the shape the marketplace stores deals (addresses checksummed)."""

    app: tuple[str, str, int]
    dataset: tuple[str, str, int]
    workerpool: tuple[str, str, int]
    trust: int
    category: int
    tag: str
    requester: str
    beneficiary: str
    callback: str
    params: str
    start_time: int
    bot_first: int
    bot_size: int
    worker_stake: int
    scheduler_reward_ratio: int


class ChainReader(Protocol):
    def domain(self) -> Domain: ...

    def block_number(self) -> int: ...

    def block_timestamp(self, block: int) -> int: ...

    def owner(self, kind: ResourceKind, resource: str) -> str | None:
        """Checksummed owner, or None when the resource is not in its registry."""
        ...

    def consumed(self, order_hash: str, block: int | None = None) -> int: ...

    def stake(self, account: str) -> int: ...

    def verify_signature(self, signer: str, digest: str, sign: str) -> bool: ...

    def deal(self, dealid: str) -> DealView: ...

    def events(self, from_block: int, to_block: int) -> list[ChainEvent]: ...


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except ChainUnavailable:
        raise
    except Exception as exc:  # web3, requests, ABI decoding: the provider is not answering right
        raise ChainUnavailable(f"chain call failed: {exc}") from exc


class Web3ChainReader:
    """Reads one PoCo deployment over JSON-RPC. Thread-safe: web3's HTTP provider is."""

    def __init__(self, rpc_url: str, hub: str, hub_abi: list[dict[str, Any]]) -> None:
        self._w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
        self._hub_address = to_checksum_address(hub)
        self._hub = self._w3.eth.contract(address=self._hub_address, abi=hub_abi)
        self._lock = threading.Lock()
        self._registries: dict[ResourceKind, str] = {}
        self._timestamps: dict[int, int] = {}

    def _call(self, fn: Callable[[], T]) -> T:
        with _translated():
            return fn()

    @functools.cached_property
    def _domain(self) -> Domain:
        name, version, chain_id, verifying = self._call(self._hub.functions.domain().call)
        return Domain(str(name), str(version), int(chain_id), str(verifying))

    def domain(self) -> Domain:
        with self._lock:
            return self._domain

    def registry(self, kind: ResourceKind) -> str:
        if kind not in self._registries:
            fn = getattr(self._hub.functions, f"{kind}registry")
            self._registries[kind] = str(self._call(fn().call))
        return self._registries[kind]

    def block_number(self) -> int:
        return int(self._call(lambda: self._w3.eth.block_number))

    def block_timestamp(self, block: int) -> int:
        if block not in self._timestamps:
            got = self._call(lambda: self._w3.eth.get_block(block))
            self._timestamps[block] = int(got["timestamp"])
        return self._timestamps[block]

    def owner(self, kind: ResourceKind, resource: str) -> str | None:
        registry = self._w3.eth.contract(
            address=to_checksum_address(self.registry(kind)), abi=_RESOURCE_ABI
        )
        addr = to_checksum_address(resource)
        if not self._call(registry.functions.isRegistered(addr).call):
            return None
        contract = self._w3.eth.contract(address=addr, abi=_RESOURCE_ABI)
        return str(self._call(contract.functions.owner().call))

    def consumed(self, order_hash: str, block: int | None = None) -> int:
        call = self._hub.functions.viewConsumed(bytes.fromhex(order_hash[2:]))
        ident: Any = "latest" if block is None else block
        return int(self._call(lambda: call.call(block_identifier=ident)))

    def stake(self, account: str) -> int:
        got = self._call(self._hub.functions.viewAccount(to_checksum_address(account)).call)
        return int(got[0])

    def verify_signature(self, signer: str, digest: str, sign: str) -> bool:
        """PoCo's own check; a malformed signature reverts on chain, which counts as invalid."""
        call = self._hub.functions.verifySignature(
            to_checksum_address(signer), bytes.fromhex(digest[2:]), bytes.fromhex(sign[2:])
        )
        try:
            return bool(self._call(call.call))
        except ChainUnavailable as exc:
            if isinstance(exc.__cause__, ContractLogicError):
                return False
            raise

    def deal(self, dealid: str) -> DealView:
        d = self._call(self._hub.functions.viewDeal(bytes.fromhex(dealid[2:])).call)

        def res(t: Any) -> tuple[str, str, int]:
            return (str(t[0]), str(t[1]), int(t[2]))

        return DealView(
            app=res(d[0]),
            dataset=res(d[1]),
            workerpool=res(d[2]),
            trust=int(d[3]),
            category=int(d[4]),
            tag="0x" + bytes(d[5]).hex(),
            requester=str(d[6]),
            beneficiary=str(d[7]),
            callback=str(d[8]),
            params=str(d[9]),
            start_time=int(d[10]),
            bot_first=int(d[11]),
            bot_size=int(d[12]),
            worker_stake=int(d[13]),
            scheduler_reward_ratio=int(d[14]),
        )

    def events(self, from_block: int, to_block: int) -> list[ChainEvent]:
        kinds: tuple[ResourceKind, ...] = ("app", "dataset", "workerpool")
        registries: dict[str, ResourceKind] = {self.registry(k).lower(): k for k in kinds}
        addresses = [self._hub_address, *(to_checksum_address(a) for a in registries)]
        logs = self._call(
            lambda: self._w3.eth.get_logs(
                {"fromBlock": from_block, "toBlock": to_block, "address": addresses}
            )
        )
        out: list[ChainEvent] = []
        for log in logs:
            event = self._decode(log, registries)
            if event is not None:
                out.append(event)
        out.sort(key=lambda e: (e.block_number, e.log_index))
        return out

    def _decode(self, log: Any, registries: dict[str, ResourceKind]) -> ChainEvent | None:
        topics = ["0x" + bytes(t).hex() for t in log["topics"]]
        if not topics:
            return None
        data = bytes(log["data"])
        where = (
            int(log["blockNumber"]),
            int(log["logIndex"]),
            "0x" + bytes(log["transactionHash"]).hex(),
        )
        source = str(log["address"]).lower()
        t0 = topics[0]
        args: dict[str, Any]
        if source in registries:
            if t0 != TOPIC_TRANSFER or len(topics) != 4:
                return None
            token = int(topics[3], 16)
            args = {
                "registry": registries[source],
                "from": to_checksum_address("0x" + topics[1][-40:]),
                "to": to_checksum_address("0x" + topics[2][-40:]),
                "resource": to_checksum_address(token.to_bytes(20, "big")),
            }
            return ChainEvent("resource_transfer", *where, args)
        if t0 == TOPIC_ORDERS_MATCHED:
            deal, app, dataset, pool, request, volume = decode(
                ["bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint256"], data
            )
            hexed = ["0x" + bytes(x).hex() for x in (deal, app, dataset, pool, request)]
            args = {
                "dealid": hexed[0],
                "appHash": hexed[1],
                "datasetHash": hexed[2],
                "workerpoolHash": hexed[3],
                "requestHash": hexed[4],
                "volume": int(volume),
            }
            return ChainEvent("matched", *where, args)
        if t0 in TOPIC_CLOSED:
            (h,) = decode(["bytes32"], data)
            args = {"kind": TOPIC_CLOSED[t0], "orderHash": "0x" + bytes(h).hex()}
            return ChainEvent("closed", *where, args)
        if t0 == TOPIC_CREATE_CATEGORY:
            catid, name, description, ref = decode(["uint256", "string", "string", "uint256"], data)
            args = {
                "catid": int(catid),
                "name": str(name),
                "description": str(description),
                "workClockTimeRef": int(ref),
            }
            return ChainEvent("category", *where, args)
        if t0 == TOPIC_TRANSFER and len(topics) == 3:
            (value,) = decode(["uint256"], data)
            args = {
                "from": to_checksum_address("0x" + topics[1][-40:]),
                "to": to_checksum_address("0x" + topics[2][-40:]),
                "value": int(value),
            }
            return ChainEvent("stake_transfer", *where, args)
        return None

"""What the marketplace reads from the chain, behind a small interface.

The real API and watcher read the hub (``domain``, ``viewConsumed``, ``viewAccount``,
``verifySignature``, ``viewDeal``), the registries (``isRegistered``) and the resources
(``owner()``), and index the hub's and registries' events. ``ChainReader`` is that surface;
``RpcChainReader`` implements it over JSON-RPC (the chain adapter's client,
``bot.adapters.chain_rpc.Rpc``) with the few PoCo signatures it needs, and turns every transport failure into ``ChainUnavailable`` (HTTP 500
"retry later", as upstream).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from bot.adapters.chain_rpc import Rpc, RpcError

from ._errors import ChainUnavailable
from ._hashing import Domain

__all__ = [
    "ChainEvent",
    "ChainReader",
    "DealView",
    "ResourceKind",
    "RpcChainReader",
]

ResourceKind = Literal["app", "dataset", "workerpool"]


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

    def block_hash(self, block: int) -> str: ...

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
    except Exception as exc:  # transport, JSON, ABI decoding: the provider is not answering right
        raise ChainUnavailable(f"chain call failed: {exc}") from exc


class _Reverted(Exception):
    """An eth_call reverted (as opposed to the node not answering)."""


_DEAL_TYPE = (
    "((address,address,uint256),(address,address,uint256),(address,address,uint256),"
    "uint256,uint256,bytes32,address,address,address,string,uint256,uint256,uint256,uint256,"
    "uint256,address)"
)


class RpcChainReader:
    """Reads one PoCo deployment over JSON-RPC. Thread-safe: the httpx client is.

    Calls are ABI-encoded here from their signatures rather than through web3 contract objects:
    those re-validate the whole hub ABI on every call (~8 ms each), and web3's default
    middleware asks ``eth_chainId`` twice per call, which made a publish, with its five reads,
    several times slower than the chain itself.
    """

    def __init__(self, rpc_url: str, hub: str) -> None:
        self._client = Rpc(rpc_url, timeout_s=10.0)
        self._hub = to_checksum_address(hub)
        self._lock = threading.Lock()
        self._registries: dict[ResourceKind, str] = {}
        self._timestamps: dict[int, int] = {}
        self._domain: Domain | None = None

    def _rpc(self, method: str, params: list[Any]) -> Any:
        try:
            return self._client.request(method, params)
        except RpcError as error:
            if "revert" in error.message.lower():
                raise _Reverted(error.message) from error
            raise ChainUnavailable(f"{method} failed: {error.message}") from error
        except Exception as exc:  # transport, JSON: the node is not answering right
            raise ChainUnavailable(f"chain call failed: {exc}") from exc

    def _call(
        self,
        to: str,
        signature: str,
        arg_types: list[str],
        args: list[Any],
        out_types: list[str],
        block: int | None = None,
    ) -> tuple[Any, ...]:
        data = keccak(text=signature)[:4] + encode(arg_types, args)
        tag = "latest" if block is None else hex(block)
        raw = self._rpc("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag])
        with _translated():
            return tuple(decode(out_types, bytes.fromhex(str(raw)[2:])))

    def _view(
        self,
        to: str,
        signature: str,
        arg_types: list[str],
        args: list[Any],
        out_types: list[str],
        block: int | None = None,
    ) -> tuple[Any, ...]:
        try:
            return self._call(to, signature, arg_types, args, out_types, block)
        except _Reverted as exc:
            raise ChainUnavailable(f"{signature} reverted: {exc}") from exc

    def domain(self) -> Domain:
        with self._lock:
            if self._domain is None:
                ((name, version, chain_id, verifying),) = self._view(
                    self._hub, "domain()", [], [], ["(string,string,uint256,address)"]
                )
                self._domain = Domain(
                    str(name), str(version), int(chain_id), str(to_checksum_address(verifying))
                )
            return self._domain

    def registry(self, kind: ResourceKind) -> str:
        if kind not in self._registries:
            (addr,) = self._view(self._hub, f"{kind}registry()", [], [], ["address"])
            self._registries[kind] = str(to_checksum_address(addr))
        return self._registries[kind]

    def block_number(self) -> int:
        return int(str(self._rpc("eth_blockNumber", [])), 16)

    def block_timestamp(self, block: int) -> int:
        if block not in self._timestamps:
            got = self._rpc("eth_getBlockByNumber", [hex(block), False])
            if not got:
                raise ChainUnavailable(f"block {block} not found")
            self._timestamps[block] = int(str(got["timestamp"]), 16)
        return self._timestamps[block]

    def block_hash(self, block: int) -> str:
        got = self._rpc("eth_getBlockByNumber", [hex(block), False])
        if not got:
            raise ChainUnavailable(f"block {block} not found")
        return str(got["hash"]).lower()

    def owner(self, kind: ResourceKind, resource: str) -> str | None:
        addr = to_checksum_address(resource)
        (registered,) = self._view(
            self.registry(kind), "isRegistered(address)", ["address"], [addr], ["bool"]
        )
        if not registered:
            return None
        (owner,) = self._view(addr, "owner()", [], [], ["address"])
        return str(to_checksum_address(owner))

    def consumed(self, order_hash: str, block: int | None = None) -> int:
        (value,) = self._view(
            self._hub,
            "viewConsumed(bytes32)",
            ["bytes32"],
            [bytes.fromhex(order_hash[2:])],
            ["uint256"],
            block=block,
        )
        return int(value)

    def stake(self, account: str) -> int:
        ((stake, _locked),) = self._view(
            self._hub,
            "viewAccount(address)",
            ["address"],
            [to_checksum_address(account)],
            ["(uint256,uint256)"],
        )
        return int(stake)

    def verify_signature(self, signer: str, digest: str, sign: str) -> bool:
        """PoCo's own check; a malformed signature reverts on chain, which counts as invalid."""
        try:
            (ok,) = self._call(
                self._hub,
                "verifySignature(address,bytes32,bytes)",
                ["address", "bytes32", "bytes"],
                [to_checksum_address(signer), bytes.fromhex(digest[2:]), bytes.fromhex(sign[2:])],
                ["bool"],
            )
        except _Reverted:
            return False
        return bool(ok)

    def deal(self, dealid: str) -> DealView:
        (d,) = self._view(
            self._hub, "viewDeal(bytes32)", ["bytes32"], [bytes.fromhex(dealid[2:])], [_DEAL_TYPE]
        )

        def res(t: Any) -> tuple[str, str, int]:
            return (str(to_checksum_address(t[0])), str(to_checksum_address(t[1])), int(t[2]))

        return DealView(
            app=res(d[0]),
            dataset=res(d[1]),
            workerpool=res(d[2]),
            trust=int(d[3]),
            category=int(d[4]),
            tag="0x" + bytes(d[5]).hex(),
            requester=str(to_checksum_address(d[6])),
            beneficiary=str(to_checksum_address(d[7])),
            callback=str(to_checksum_address(d[8])),
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
        query = {
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
            "address": [self._hub, *(to_checksum_address(a) for a in registries)],
        }
        logs = self._rpc("eth_getLogs", [query]) or []
        out: list[ChainEvent] = []
        for log in logs:
            with _translated():
                event = self._decode(log, registries)
            if event is not None:
                out.append(event)
        out.sort(key=lambda e: (e.block_number, e.log_index))
        return out

    def _decode(self, log: Any, registries: dict[str, ResourceKind]) -> ChainEvent | None:
        topics = [str(t).lower() for t in log["topics"]]
        if not topics:
            return None
        data = bytes.fromhex(str(log["data"])[2:])
        where = (
            int(str(log["blockNumber"]), 16),
            int(str(log["logIndex"]), 16),
            str(log["transactionHash"]).lower(),
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

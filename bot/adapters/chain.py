"""The chain port over JSON-RPC: ownership, remaining volume, stake, categories, deals, cancels.

**Verify before anything.** ``RpcChain.connect`` checks that each RPC serves the configured
chain id and that the hub's ``domain()`` is exactly ``{iExecODB, 5.0.0, chainId, hub}``; otherwise
it raises NetworkMismatch saying which field differs. A signature is only meaningful inside one
domain, so this runs before the bot signs anything.

**Cancels are relayed.** Unpublishing only hides an order; the signed order stays matchable until
``manageWorkerpoolOrder(CLOSE)`` sets its consumed volume to its volume. The workerpool owner's key
is usually also the iExec Core Scheduler's wallet, which sends its own transactions, so by default
the owner only *signs* the ``WorkerpoolOrderOperation`` offline (the Signer) and a separate gas
wallet sends it; PoCo accepts any sender when the operation carries the owner's signature.
``relay=False`` sends from the wallet directly, which must then be the owner. A cancel is
idempotent (an order already closed is reported, not re-sent) and confirmed by reading
``viewConsumed == volume`` back.

Calls are raw ABI encodings with eth-abi (no ABI files needed at run time), sent by
``bot.adapters.chain_rpc`` (JSON-RPC on httpx; reads that go together in one batch) and, for
transactions, the gas wallet (``bot.adapters.chain_wallet``). web3.py is not imported (#20).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import decode, encode
from eth_typing import HexStr
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from bot.adapters.chain_match import (
    DealMatch,
    MatchedRequest,
    encode_match_orders,
    match_receipt,
    matched_request_of,
    with_request,
)
from bot.adapters.chain_rpc import (
    RPC_RETRY,
    BadResponse,
    Log,
    Rpc,
    RpcError,
    RpcPool,
    hex_data,
    quantity,
    translate,
)
from bot.adapters.chain_wallet import FeePolicy, GasWallet, SentTx
from bot.adapters.keys import SecretKey
from bot.adapters.retrying import RetryPolicy
from bot.domain.errors import (
    BotError,
    ChainError,
    ConfigError,
    InputError,
    NetworkMismatch,
    OwnershipError,
    TransientError,
)
from bot.domain.model import (
    ZERO_ADDRESS,
    Category,
    ChainOrderStatus,
    Deal,
    SignedWorkerpoolOrder,
    Stake,
    WorkerpoolOrder,
    norm_address,
    norm_bytes32,
)
from bot.domain.networks import Network
from bot.domain.signing import domain_separator, hash_order
from bot.engine.fill_ports import MatchOrders, MatchReceipt
from bot.engine.ports import CancelOutcome, Signer

__all__ = [
    "CLOSED_WORKERPOOL_ORDER_TOPIC",
    "ORDERS_MATCHED_TOPIC",
    "SCHEDULER_NOTICE_TOPIC",
    "ChainSettings",
    "RpcChain",
    "encode_manage_workerpool_order",
]

log = logging.getLogger(__name__)

_ORDER_TUPLE = (
    "(address,uint256,uint256,bytes32,uint256,uint256,address,address,address,bytes32,bytes)"
)
_DEAL_TUPLE = (
    "((address,address,uint256),(address,address,uint256),(address,address,uint256),"
    "uint256,uint256,bytes32,address,address,address,string,uint256,uint256,uint256,uint256,"
    "uint256,address)"
)
CLOSED_WORKERPOOL_ORDER_TOPIC = "0x" + keccak(text="ClosedWorkerpoolOrder(bytes32)").hex()
SCHEDULER_NOTICE_TOPIC = "0x" + keccak(text="SchedulerNotice(address,bytes32)").hex()
ORDERS_MATCHED_TOPIC = (
    "0x" + keccak(text="OrdersMatched(bytes32,bytes32,bytes32,bytes32,bytes32,uint256)").hex()
)
_CLOSE = 1
_BATCH = 100
_REQUESTS_KEPT = 10_000  # deals whose request order is remembered (oldest dropped)
_ERC1271_MAGIC = bytes.fromhex("1626ba7e")  # IERC1271.isValidSignature.selector


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def _call_data(signature: str, types: Sequence[str] = (), args: Sequence[Any] = ()) -> HexStr:
    return HexStr("0x" + (_selector(signature) + encode(list(types), list(args))).hex())


def _order_args(order: WorkerpoolOrder, sign: str) -> tuple[Any, ...]:
    return (
        to_checksum_address(order.workerpool),
        order.workerpoolprice,
        order.volume,
        bytes.fromhex(order.tag[2:]),
        order.category,
        order.trust,
        to_checksum_address(order.apprestrict),
        to_checksum_address(order.datasetrestrict),
        to_checksum_address(order.requesterrestrict),
        bytes.fromhex(order.salt[2:]),
        bytes.fromhex(sign.removeprefix("0x")),
    )


def encode_manage_workerpool_order(
    order: WorkerpoolOrder, operation: int, operation_sign: str, order_sign: str = "0x"
) -> str:
    """Calldata of ``manageWorkerpoolOrder((order, operation, sign))`` (selector 0x7e34a077)."""
    return _call_data(
        f"manageWorkerpoolOrder(({_ORDER_TUPLE},uint8,bytes))",
        [f"({_ORDER_TUPLE},uint8,bytes)"],
        [(_order_args(order, order_sign), operation, bytes.fromhex(operation_sign[2:]))],
    )


@dataclass(frozen=True, slots=True)
class ChainSettings:
    """Knobs of the chain adapter (the service builds them from the config)."""

    rpc_timeout_s: float = 10.0
    relay: bool = True
    fees: FeePolicy = field(default_factory=FeePolicy)
    retry: RetryPolicy = RPC_RETRY
    deals_lookback_blocks: int = 50_000
    logs_chunk_blocks: int = 10_000

    def __post_init__(self) -> None:
        if self.rpc_timeout_s <= 0:
            raise InputError("rpc_timeout_s", "must be > 0", self.rpc_timeout_s)
        if self.deals_lookback_blocks < 1:
            raise InputError("deals_lookback_blocks", "must be >= 1", self.deals_lookback_blocks)
        if self.logs_chunk_blocks < 1:
            raise InputError("logs_chunk_blocks", "must be >= 1", self.logs_chunk_blocks)


def _domain_differences(network: Network, domain: tuple[Any, ...]) -> list[str]:
    name, version, chain_id, verifying = domain
    expected = ("iExecODB", "5.0.0", network.chain_id, network.hub)
    got = (str(name), str(version), int(chain_id), str(verifying).lower())
    labels = ("name", "version", "chainId", "verifyingContract")
    return [
        f"{label} is {g!r}, expected {e!r}"
        for label, g, e in zip(labels, got, expected, strict=True)
        if g != e
    ]


def _consumed_call(order_hash: str) -> HexStr:
    h = norm_bytes32(order_hash, "order_hash")
    return _call_data("viewConsumed(bytes32)", ["bytes32"], [bytes.fromhex(h[2:])])


def _owner_of(pool: str, raw: bytes) -> str:
    """An ``owner()`` answer of workerpool ``pool``, lower-case."""
    if len(raw) < 32:
        raise ChainError(f"workerpool {pool} has no owner(): is it a PoCo workerpool?")
    (owner,) = decode(["address"], raw)
    return str(owner).lower()


def _require_owner(workerpool: str, owner: str, address: str) -> None:
    expected = norm_address(address, "address")
    if owner != expected:
        raise OwnershipError(
            f"workerpool {norm_address(workerpool, 'workerpool')} is owned by {owner}, "
            f"not by the signing key {expected}: refusing to sign or cancel for it"
        )


def _deal_of(pool: str, deal_id: str, raw: bytes) -> tuple[Deal, int]:
    """A ``viewDeal`` answer as the bot's Deal, and its ``botFirst`` (which makes its id)."""
    (deal,) = decode([_DEAL_TUPLE], raw)
    app, _dataset, workerpool, trust, category, tag, requester = deal[:7]
    start_time, bot_first, bot_size = deal[10:13]
    found = Deal(
        deal_id=deal_id,
        workerpool=str(workerpool[0]).lower() if workerpool[0] else pool,
        price=int(workerpool[2]),
        volume=int(bot_size),
        category=int(category),
        tag=int.from_bytes(bytes(tag), "big"),
        trust=int(trust),
        at=float(start_time),
        requester=str(requester).lower() if requester else ZERO_ADDRESS,
        app=str(app[0]).lower() if app[0] else ZERO_ADDRESS,
    )
    return found, int(bot_first)


def _tx_call(raw: object) -> tuple[str, bytes] | None:
    """``to`` and calldata of an ``eth_getTransactionByHash`` answer; None if it is not one."""
    if not isinstance(raw, dict):  # null: a transaction the node does not know
        return None
    try:
        return str(raw.get("to") or ""), hex_data(raw.get("input", "0x"))
    except BadResponse:
        return None


class RpcChain:
    """bot.engine.ports.Chain over JSON-RPC; build it with :meth:`connect`."""

    def __init__(
        self,
        network: Network,
        *,
        rpc_urls: Sequence[str] | None = None,
        signer: Signer | None = None,
        gas_key: SecretKey | str | None = None,
        settings: ChainSettings | None = None,
    ) -> None:
        self._network = network
        self._settings = settings or ChainSettings()
        self._signer = signer
        signer_net = getattr(signer, "network", None)
        if isinstance(signer_net, Network) and (
            signer_net.chain_id != network.chain_id or signer_net.hub != network.hub
        ):
            raise NetworkMismatch(
                f"the signer signs for chain {signer_net.chain_id} hub {signer_net.hub}, "
                f"but the chain adapter is for {network.name} ({network.chain_id}, {network.hub})"
            )
        self._pool = RpcPool(
            tuple(rpc_urls) if rpc_urls else (network.rpc_url,),
            self._verify_rpc,
            timeout_s=self._settings.rpc_timeout_s,
            retry=self._settings.retry,
        )
        self._wallet = (
            GasWallet(self._pool, gas_key, self._settings.fees, chain_id=network.chain_id)
            if gas_key is not None
            else None
        )
        self._hub = to_checksum_address(network.hub)
        self._registry: str | None = None  # the hub's workerpool registry, read once
        # a deal's match -> what its request said, once read (a deal never changes)
        self._requests: dict[DealMatch, MatchedRequest | None] = {}

    @classmethod
    def connect(
        cls,
        network: Network,
        *,
        rpc_urls: Sequence[str] | None = None,
        signer: Signer | None = None,
        gas_key: SecretKey | str | None = None,
        settings: ChainSettings | None = None,
    ) -> RpcChain:
        """Build and verify (chain id and hub domain) against the first RPC that answers."""
        chain = cls(network, rpc_urls=rpc_urls, signer=signer, gas_key=gas_key, settings=settings)
        chain.verify()
        return chain

    def close(self) -> None:
        """Close the RPC connections."""
        self._pool.close()

    def __repr__(self) -> str:
        wallet = self._wallet.address if self._wallet else None
        return (
            f"RpcChain(network={self._network.name!r}, rpc={self._pool.url!r}, wallet={wallet!r})"
        )

    # --- verification ---------------------------------------------------------------------------

    def _verify_rpc(self, rpc: Rpc, url: str) -> None:
        net = self._network
        hub = to_checksum_address(net.hub)
        # one round trip: the chain id, the hub's code, its domain() and stored separator
        chain_id_raw, code, domain_raw, sep_raw = rpc.batch_settled(
            [
                ("eth_chainId", []),
                ("eth_getCode", [hub, "latest"]),
                ("eth_call", [{"to": hub, "data": _call_data("domain()")}, "latest"]),
                (
                    "eth_call",
                    [{"to": hub, "data": _call_data("eip712domain_separator()")}, "latest"],
                ),
            ]
        )
        for raw in (chain_id_raw, code):
            if isinstance(raw, RpcError):
                raise raw
        chain_id = quantity(chain_id_raw)
        if chain_id != net.chain_id:
            raise NetworkMismatch(
                f"RPC {url} serves chain id {chain_id}, but network {net.name!r} is chain id "
                f"{net.chain_id}"
            )
        if not hex_data(code):
            raise NetworkMismatch(
                f"no contract at the hub address {net.hub} on chain {chain_id} ({url})"
            )
        try:
            for raw in (domain_raw, sep_raw):
                if isinstance(raw, RpcError):
                    raise raw
            (domain,) = decode(["(string,string,uint256,address)"], hex_data(domain_raw))
            raw_sep = hex_data(sep_raw)
        except Exception as exc:
            err = translate(exc, "domain()")
            if isinstance(err, TransientError):
                raise err from exc
            raise NetworkMismatch(
                f"the contract at hub {net.hub} on {url} does not answer domain(): not a PoCo hub"
            ) from exc
        diffs = _domain_differences(net, domain)
        separator = "0x" + raw_sep[:32].hex()
        if not diffs and separator != domain_separator(net):
            diffs.append(
                f"stored domain separator is {separator}, expected {domain_separator(net)} "
                "(updateDomainSeparator() was not called after a chain id or address change)"
            )
        if diffs:
            raise NetworkMismatch(
                f"hub {net.hub} on {url} has a different EIP-712 domain than network "
                f"{net.name!r}: " + "; ".join(diffs)
            )

    def verify(self) -> None:
        """Verify the current RPC (fail-over to the next one if it is unreachable)."""
        self._pool.run("verify network", lambda rpc: None)

    # --- reads ----------------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self._network.chain_id

    @property
    def network(self) -> Network:
        return self._network

    @property
    def rpc_url(self) -> str:
        return self._pool.url

    @property
    def rpc(self) -> RpcPool:
        """The verified RPC pool (fail-over, retries), for readers of the same chain."""
        return self._pool

    @property
    def wallet_address(self) -> str | None:
        return self._wallet.address if self._wallet else None

    def _eth_call(self, what: str, to: str, data: HexStr) -> bytes:
        return self._pool.run(what, lambda rpc: rpc.eth_call(to_checksum_address(to), data))

    def _eth_calls(self, what: str, calls: Sequence[tuple[str, HexStr]]) -> list[bytes]:
        """``eth_call`` of each ``(to, data)``, in JSON-RPC batches of up to 100 calls."""
        out: list[bytes] = []
        for low in range(0, len(calls), _BATCH):
            chunk: list[tuple[str, str]] = [
                (to_checksum_address(to), d) for to, d in calls[low : low + _BATCH]
            ]

            def read(rpc: Rpc, chunk: list[tuple[str, str]] = chunk) -> list[bytes]:
                return rpc.eth_calls(chunk)

            out += self._pool.run(what, read)
        return out

    def owner(self, workerpool: str) -> str:
        pool = norm_address(workerpool, "workerpool")
        raw = self._eth_call(f"owner() of workerpool {pool}", pool, _call_data("owner()"))
        return _owner_of(pool, raw)

    def is_contract(self, address: str) -> bool:
        """Whether ``address`` has code (PoCo then checks its signatures with ERC-1271 only)."""
        addr = to_checksum_address(norm_address(address, "address"))
        return self._pool.run(f"eth_getCode {addr}", lambda rpc: len(rpc.get_code(addr)) > 0)

    def workerpool_registered(self, workerpool: str) -> bool:
        """Whether the hub's workerpool registry lists ``workerpool`` (matchOrders requires it)."""
        pool = to_checksum_address(norm_address(workerpool, "workerpool"))
        if self._registry is None:
            raw = self._eth_call(
                "workerpoolregistry", self._hub, _call_data("workerpoolregistry()")
            )
            self._registry = str(decode(["address"], raw)[0])
        raw = self._eth_call(
            "isRegistered", self._registry, _call_data("isRegistered(address)", ["address"], [pool])
        )
        return len(raw) >= 32 and bool(decode(["bool"], raw[:32])[0])

    def presigned(self, order_hash: str) -> str:
        """``viewPresigned``: who presigned the order on chain (the zero address if nobody)."""
        h = norm_bytes32(order_hash, "order_hash")
        raw = self._eth_call(
            "viewPresigned",
            self._hub,
            _call_data("viewPresigned(bytes32)", ["bytes32"], [bytes.fromhex(h[2:])]),
        )
        return str(decode(["address"], raw)[0]).lower()

    def is_valid_signature(self, account: str, digest: str, signature: str) -> bool:
        """ERC-1271 ``isValidSignature(digest, signature)`` of a contract, as PoCo reads it:
        only the magic value ``0x1626ba7e`` is valid; a revert or any other answer is not."""
        addr = norm_address(account, "account")
        data = _call_data(
            "isValidSignature(bytes32,bytes)",
            ["bytes32", "bytes"],
            [
                bytes.fromhex(norm_bytes32(digest, "digest")[2:]),
                bytes.fromhex(signature.removeprefix("0x")),
            ],
        )
        try:
            raw = self._eth_call(f"isValidSignature of {addr}", addr, data)
        except TransientError:
            raise
        except ChainError:  # a revert (or another failed call) is a refusal
            return False
        return len(raw) >= 32 and raw[:4] == _ERC1271_MAGIC

    def ensure_owner(self, workerpool: str, address: str) -> None:
        """Raise OwnershipError (fatal) unless ``address`` owns ``workerpool`` right now."""
        _require_owner(workerpool, self.owner(workerpool), address)

    def consumed(self, order_hash: str) -> int:
        raw = self._eth_call("viewConsumed", self._hub, _consumed_call(order_hash))
        return int(decode(["uint256"], raw)[0])

    def consumed_many(self, order_hashes: Sequence[str]) -> dict[str, int]:
        """``viewConsumed`` of many orders in one JSON-RPC batch (one round trip per 100)."""
        hashes = [norm_bytes32(h, "order_hash") for h in order_hashes]
        calls = [(self._hub, _consumed_call(h)) for h in hashes]
        found = self._eth_calls("viewConsumed batch", calls)
        return {h: int(decode(["uint256"], raw)[0]) for h, raw in zip(hashes, found, strict=True)}

    def remaining(self, signed: SignedWorkerpoolOrder) -> int:
        return max(0, signed.order.volume - self.consumed(signed.order_hash))

    def order_status(self, signed: SignedWorkerpoolOrder) -> ChainOrderStatus:
        consumed = self.consumed(signed.order_hash)
        if consumed == 0:
            return ChainOrderStatus.OPEN
        if consumed >= signed.order.volume:
            return ChainOrderStatus.CLOSED
        return ChainOrderStatus.PARTIAL

    def stake(self, account: str) -> Stake:
        addr = to_checksum_address(norm_address(account, "account"))
        raw = self._eth_call(
            "viewAccount", self._hub, _call_data("viewAccount(address)", ["address"], [addr])
        )
        ((free, locked),) = decode(["(uint256,uint256)"], raw)
        return Stake(free=int(free), locked=int(locked))

    def categories(self) -> list[Category]:
        raw = self._eth_call("countCategory", self._hub, _call_data("countCategory()"))
        count = int(decode(["uint256"], raw)[0])
        calls = [
            (self._hub, _call_data("viewCategory(uint256)", ["uint256"], [cat_id]))
            for cat_id in range(count)
        ]
        out: list[Category] = []
        for cat_id, raw in enumerate(self._eth_calls("viewCategory batch", calls)):
            ((name, _description, ref),) = decode(["(string,string,uint256)"], raw)
            out.append(Category(cat_id, str(name), int(ref)))
        return out

    def category_differences(self) -> list[str]:
        """How the chain's category table differs from the network's (empty when it agrees)."""
        on_chain = {c.id: c for c in self.categories()}
        diffs: list[str] = []
        for cat in self._network.categories:
            got = on_chain.get(cat.id)
            if got is None:
                diffs.append(f"category {cat.id} ({cat.name}) does not exist on chain")
            elif (got.name, got.work_clock_time_ref) != (cat.name, cat.work_clock_time_ref):
                diffs.append(
                    f"category {cat.id} is {got.name}/{got.work_clock_time_ref}s on chain, "
                    f"{cat.name}/{cat.work_clock_time_ref}s in the {self._network.name} table"
                )
        return diffs

    def verify_categories(self) -> None:
        diffs = self.category_differences()
        if diffs:
            raise NetworkMismatch("category table differs from the chain: " + "; ".join(diffs))

    def gas_balance(self) -> int:
        if self._wallet is None:
            raise ConfigError("no gas wallet configured: set keys.gas (or cancel_sender=owner)")
        return self._wallet.balance()

    def recent_deals(self, workerpool: str, *, from_block: int | None = None) -> list[Deal]:
        """Deals of ``workerpool`` from its ``SchedulerNotice`` events (default: recent blocks),
        each with its request's ``workerpool`` field read from the log's transaction."""
        pool = norm_address(workerpool, "workerpool")

        topics: list[object] = [SCHEDULER_NOTICE_TOPIC, "0x" + "00" * 12 + pool[2:]]
        step = self._settings.logs_chunk_blocks

        def logs(rpc: Rpc) -> list[Log]:
            head = rpc.block_number()
            start = (
                from_block
                if from_block is not None
                else max(0, head - self._settings.deals_lookback_blocks)
            )
            found: list[Log] = []
            for low in range(start, head + 1, step):  # providers cap the range of one query
                found += rpc.get_logs(
                    {
                        "address": self._hub,
                        "fromBlock": hex(low),
                        "toBlock": hex(min(head, low + step - 1)),
                        "topics": topics,
                    }
                )
            return found

        notices = self._pool.run("SchedulerNotice logs", logs)
        ids = ["0x" + bytes(decode(["bytes32"], e.data)[0]).hex() for e in notices]
        txs = [e.transaction_hash for e in notices]
        calls = [
            (self._hub, _call_data("viewDeal(bytes32)", ["bytes32"], [bytes.fromhex(d[2:])]))
            for d in ids
        ]
        raws = self._eth_calls("viewDeal batch", calls)
        read = [_deal_of(pool, d, raw) for d, raw in zip(ids, raws, strict=True)]
        found = self.matched_requests(
            [
                DealMatch(deal.deal_id, tx, first, pool)
                for (deal, first), tx in zip(read, txs, strict=True)
            ]
        )
        return [with_request(deal, found[deal.deal_id]) for deal, _ in read]

    def _transactions(self, tx_hashes: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        """``to`` and calldata of each transaction the node knows, 100 to a JSON-RPC batch."""
        out: dict[str, tuple[str, bytes]] = {}
        for low in range(0, len(tx_hashes), _BATCH):
            chunk = list(tx_hashes[low : low + _BATCH])

            def read(rpc: Rpc, chunk: list[str] = chunk) -> list[Any]:
                return rpc.batch_settled([("eth_getTransactionByHash", [h]) for h in chunk])

            found = self._pool.run("eth_getTransactionByHash batch", read)
            for h, raw in zip(chunk, found, strict=True):
                call = _tx_call(raw)
                if call is not None:
                    out[h] = call
        return out

    def matched_requests(self, matches: Sequence[DealMatch]) -> dict[str, MatchedRequest | None]:
        """What each deal's request order said (its ``workerpool`` field and its buyer's cap), by
        deal id, read from its match transaction (bot.adapters.chain_match); None where it is not
        known. It never raises: a failed read is logged and left None, and tried again at the
        next call; an answer read from a transaction (a value, or None for a transaction that is
        not a hub match of this deal) is kept per match (deal id, transaction, botFirst, pool), so
        each deal costs one read."""
        out: dict[str, MatchedRequest | None] = {}
        todo: list[DealMatch] = []
        for m in matches:
            if m in self._requests:
                out[m.deal_id] = self._requests[m]
            elif m.tx_hash:
                todo.append(m)
            else:
                out[m.deal_id] = None
        try:
            txs = self._transactions(sorted({m.tx_hash.lower() for m in todo}))
        except BotError as exc:
            log.warning("the match transactions of %d deals were not read: %s", len(todo), exc)
            txs = {}
        for m in todo:
            call = txs.get(m.tx_hash.lower())
            found = None if call is None else matched_request_of(self._network, *call, m)
            out[m.deal_id] = found
            if call is not None:
                if len(self._requests) >= _REQUESTS_KEPT:
                    del self._requests[next(iter(self._requests))]
                self._requests[m] = found
        return out

    # --- the cancel -----------------------------------------------------------------------------

    def _require_wallet(self) -> GasWallet:
        if self._wallet is None:
            raise ConfigError("no gas wallet configured: on-chain cancels need keys.gas")
        return self._wallet

    def cancel(self, signed: SignedWorkerpoolOrder) -> CancelOutcome:
        """Close ``signed`` on chain and confirm ``consumed == volume``; no-op if already closed."""
        order = signed.order
        expected = hash_order(self._network, order)
        if expected != signed.order_hash:
            raise InputError(
                "orderHash",
                f"is not this order's hash on {self._network.name} (expected {expected})",
                signed.order_hash,
            )
        wallet = self._require_wallet()
        pool = norm_address(order.workerpool, "workerpool")
        # one round trip: how much of the order is used, and who owns the pool now
        raw_consumed, raw_owner = self._eth_calls(
            "viewConsumed and owner()",
            [
                (self._hub, _consumed_call(signed.order_hash)),
                (pool, _call_data("owner()")),
            ],
        )
        if int(decode(["uint256"], raw_consumed)[0]) >= order.volume:
            log.info("cancel %s: already closed on chain, nothing sent", signed.order_hash[:10])
            return CancelOutcome(signed.order_hash, None, already_closed=True)
        owner = _owner_of(pool, raw_owner)
        if self._settings.relay:
            if self._signer is None:
                raise ConfigError("relayed cancels need the owner's Signer")
            _require_owner(pool, owner, self._signer.address)
            operation_sign = self._signer.sign_close(order)
        else:
            _require_owner(pool, owner, wallet.address)
            operation_sign = "0x"
        sent = self.send_close(order, operation_sign)
        emitted = self._closed_hashes(sent)
        if signed.order_hash not in emitted:
            raise ChainError(
                f"cancel tx {sent.tx_hash} emitted ClosedWorkerpoolOrder for {emitted}, "
                f"not for {signed.order_hash}"
            )
        consumed = self.consumed(signed.order_hash)
        if consumed != order.volume:
            raise ChainError(
                f"cancel tx {sent.tx_hash} mined but viewConsumed({signed.order_hash}) = "
                f"{consumed}, not the volume {order.volume}"
            )
        return CancelOutcome(signed.order_hash, sent.tx_hash, False, sent.gas_used)

    # -- fills (bot.pricing.fills): matchOrders from the gas wallet ------------------------------------

    def estimate_match(self, orders: MatchOrders) -> int:
        """Gas of ``matchOrders``; a revert raises ChainRevert and nothing is sent."""
        return self._require_wallet().estimate(self._hub, encode_match_orders(orders))

    def match(self, orders: MatchOrders) -> MatchReceipt:
        """Send ``matchOrders`` (the wallet estimates again first) and read the deal."""
        sent = self._require_wallet().send(self._hub, encode_match_orders(orders), "matchOrders")
        return match_receipt(sent.receipt, sent.tx_hash, orders, orders.workerpool.order.workerpool)

    def send_close(self, order: WorkerpoolOrder, operation_sign: str) -> SentTx:
        """Send ``manageWorkerpoolOrder(CLOSE)`` as is (no ownership pre-check); reverts raise."""
        data = encode_manage_workerpool_order(order, _CLOSE, operation_sign)
        return self._require_wallet().send(self._hub, data, "manageWorkerpoolOrder(CLOSE)")

    @staticmethod
    def _closed_hashes(sent: SentTx) -> list[str]:
        out: list[str] = []
        for entry in sent.receipt.logs:
            if entry.topics and "0x" + entry.topics[0].hex() == CLOSED_WORKERPOOL_ORDER_TOPIC:
                out.append("0x" + entry.data[:32].hex())
        return out

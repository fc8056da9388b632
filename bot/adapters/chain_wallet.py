"""The wallet that pays for the bot's transactions: nonces, fees, receipts, stuck-tx replacement.

It is a separate key from the workerpool owner by default: the owner key is usually also the
iExec Core Scheduler's wallet, which sends its own transactions, and two writers sharing one
nonce sequence collide. This wallet has exactly one writer, this object.

- **Nonces**: one ``NonceManager`` hands out nonces under a lock (no two concurrent sends get
  the same one) and resyncs from the node after "nonce too low" or a failed broadcast.
- **Fees**: EIP-1559 when the chain has a base fee (else legacy), never above ``max_fee_wei``.
- **Receipts**: polled at once after the broadcast, then after waits that double from 50 ms up
  to the chain's block time (measured once from the timestamps of its recent blocks; or every
  ``poll_interval_s`` when set), until ``receipt_timeout_s``. A node that mines on arrival, like
  the sandbox's anvil, has the receipt within milliseconds (a fixed wait of a block time, or of
  1 s as before, was pure delay there); a real chain is then polled once a block. A transaction not mined after ``replace_after_s`` is
  re-broadcast with the same nonce and fees raised by ``fee_bump_percent`` (capped); a dropped
  one is thereby re-sent. Whichever version is mined wins; its receipt is returned.
- **Signing** is ``bot.adapters.chain_tx`` (eth-keys + rlp, no eth-account).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_utils.address import to_checksum_address

from bot.adapters.chain_rpc import BadResponse, Log, Rpc, RpcPool, parse_log, quantity
from bot.adapters.chain_tx import Transaction, sign_transaction, transaction_hash
from bot.adapters.keys import SecretKey, as_secret
from bot.domain.errors import ChainError, ChainRevert, InputError, TransientError
from bot.engine import deadline

__all__ = ["FeePolicy", "GasWallet", "NonceManager", "Receipt", "SentTx"]

log = logging.getLogger(__name__)

_MAX_STALE_NONCES = 3
_BLOCK_TIME_SPAN = 100  # blocks the block time is averaged over
_BLOCK_TIME_BOUNDS = (0.1, 5.0)  # a poll interval outside this is a measuring artefact
_FIRST_POLL_WAIT = 0.05  # seconds before the second receipt poll; doubled up to the block time


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """Fee limits for the gas wallet; all in wei."""

    max_fee_wei: int = 2 * 10**9
    priority_fee_wei: int | None = None  # None: ask the node (eth_maxPriorityFeePerGas)
    bump_percent: int = 20
    replace_after_s: float = 45.0
    receipt_timeout_s: float = 300.0
    poll_interval_s: float | None = None  # None: the chain's block time
    gas_margin_percent: int = 20

    def __post_init__(self) -> None:
        if self.max_fee_wei <= 0:
            raise InputError("max_fee_wei", "must be positive", self.max_fee_wei)
        if self.priority_fee_wei is not None and self.priority_fee_wei < 0:
            raise InputError("priority_fee_wei", "must be >= 0", self.priority_fee_wei)
        if not 10 <= self.bump_percent <= 500:
            raise InputError("bump_percent", "must be between 10 and 500", self.bump_percent)
        poll = self.poll_interval_s
        if (
            self.replace_after_s <= 0
            or self.receipt_timeout_s <= 0
            or (poll is not None and poll <= 0)
        ):
            raise InputError("replace_after_s / receipt_timeout_s / poll_interval_s", "must be > 0")


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the bot reads of a mined transaction's receipt."""

    status: int
    gas_used: int
    block_number: int
    logs: tuple[Log, ...]

    @classmethod
    def parse(cls, raw: object) -> Receipt:
        if not isinstance(raw, dict) or not isinstance(raw.get("logs"), list):
            raise BadResponse(f"not a transaction receipt: {raw!r:.80}")
        return cls(
            status=quantity(raw.get("status", "0x0")),
            gas_used=quantity(raw.get("gasUsed", "0x0")),
            block_number=quantity(raw.get("blockNumber", "0x0")),
            logs=tuple(parse_log(entry) for entry in raw["logs"]),
        )


@dataclass(frozen=True, slots=True)
class SentTx:
    """A mined transaction: its hash, receipt, and how many times it had to be replaced."""

    tx_hash: str
    receipt: Receipt = field(repr=False)
    replacements: int = 0
    broadcast: tuple[str, ...] = ()

    @property
    def gas_used(self) -> int:
        return self.receipt.gas_used


class NonceManager:
    """Hands out this wallet's nonces; thread-safe; forgets its count when told to resync."""

    def __init__(self, fetch_pending: Callable[[], int]) -> None:
        self._fetch = fetch_pending
        self._lock = threading.Lock()
        self._next: int | None = None

    def allocate(self) -> int:
        with self._lock:
            chain = self._fetch()
            nonce = chain if self._next is None else max(self._next, chain)
            self._next = nonce + 1
            return nonce

    def resync(self) -> None:
        with self._lock:
            self._next = None


@dataclass(frozen=True, slots=True)
class _Fees:
    max_fee: int
    priority: int | None  # None: legacy gasPrice = max_fee

    def fields(self) -> dict[str, int]:
        if self.priority is None:
            return {"gasPrice": self.max_fee}
        return {"maxFeePerGas": self.max_fee, "maxPriorityFeePerGas": self.priority}


def _bump(value: int, percent: int) -> int:
    return value + (value * percent + 99) // 100 + 1


class GasWallet:
    """Signs and sends transactions from one key; implements the policy in the module docstring."""

    def __init__(
        self,
        pool: RpcPool,
        private_key: SecretKey | str,
        policy: FeePolicy | None = None,
        *,
        chain_id: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._key = as_secret(private_key, "gas_key")  # never a plain str in this object
        self.address = self._key.address
        self._cs = to_checksum_address(self.address)
        self._pool = pool
        self.policy = policy or FeePolicy()
        self._chain_id = chain_id  # the verified network's; read from the node when not given
        self._block_time: float | None = None
        self._sleep = sleep
        self._clock = clock
        self.nonces = NonceManager(
            lambda: pool.run(
                "eth_getTransactionCount",
                lambda rpc: quantity(rpc.request("eth_getTransactionCount", [self._cs, "pending"])),
            )
        )

    def __repr__(self) -> str:
        return f"GasWallet(address={self.address!r})"

    def balance(self) -> int:
        return self._pool.run(
            "eth_getBalance",
            lambda rpc: quantity(rpc.request("eth_getBalance", [self._cs, "latest"])),
        )

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self._pool.run("eth_chainId", lambda rpc: rpc.chain_id())
        return self._chain_id

    def poll_wait(self, polls: int) -> float:
        """The wait after the ``polls``-th unanswered receipt poll of one broadcast (1-based)."""
        if self.policy.poll_interval_s is not None:
            return self.policy.poll_interval_s
        wait: float = _FIRST_POLL_WAIT * 2.0 ** min(polls - 1, 16)
        if wait <= _BLOCK_TIME_BOUNDS[0]:
            return wait  # shorter than any block time: no need to read the chain's yet
        return min(wait, self.poll_interval())

    def poll_interval(self) -> float:
        """Seconds between receipt polls: the policy's, else the chain's block time (read once:
        the mean over the last blocks, bounded; a chain too young to tell gets 1 s)."""
        if self.policy.poll_interval_s is not None:
            return self.policy.poll_interval_s
        if self._block_time is None:

            def read(rpc: Rpc) -> float:
                head = rpc.block_number()
                low = max(0, head - _BLOCK_TIME_SPAN)
                if head - low < 2:
                    return 1.0
                blocks = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in (low, head)])
                first, last = (quantity(b["timestamp"]) for b in blocks)
                mean = (last - first) / (head - low)
                return min(max(mean, _BLOCK_TIME_BOUNDS[0]), _BLOCK_TIME_BOUNDS[1])

            self._block_time = self._pool.run("block time", read)
        return self._block_time

    def _fees(self) -> _Fees:
        cap = self.policy.max_fee_wei
        chain_id = self.chain_id()

        def read(rpc: Rpc) -> _Fees:
            block = rpc.request("eth_getBlockByNumber", ["latest", False])
            if not isinstance(block, dict):
                raise BadResponse("no latest block")
            base = block.get("baseFeePerGas")
            if base is None:
                return _Fees(max_fee=min(quantity(rpc.request("eth_gasPrice")), cap), priority=None)
            base_fee = quantity(base)
            if base_fee >= cap:
                raise TransientError(
                    f"base fee {base_fee} wei is at or above the fee cap {cap} wei on chain "
                    f"{chain_id}: waiting (raise max_fee if this persists)"
                )
            prio = self.policy.priority_fee_wei
            if prio is None:
                prio = quantity(rpc.request("eth_maxPriorityFeePerGas"))
            max_fee = min(2 * base_fee + prio, cap)
            return _Fees(max_fee=max_fee, priority=min(prio, max_fee))

        return self._pool.run("fee estimation", read)

    def _bumped(self, fees: _Fees) -> _Fees:
        cap = self.policy.max_fee_wei
        pct = self.policy.bump_percent
        max_fee = min(_bump(fees.max_fee, pct), cap)
        prio = None if fees.priority is None else min(_bump(fees.priority, pct), max_fee)
        return _Fees(max_fee=max_fee, priority=prio)

    def _receipt(self, tx_hash: str) -> Receipt | None:
        def read(rpc: Rpc) -> Receipt | None:
            raw = rpc.request("eth_getTransactionReceipt", [tx_hash])
            return None if raw is None else Receipt.parse(raw)

        return self._pool.run("eth_getTransactionReceipt", read)

    def estimate(self, to: str, data: str) -> int:
        """Gas for the call; a revert here is raised as ChainRevert with its reason, unsent."""
        tx = {"from": self._cs, "to": to_checksum_address(to), "data": data}
        gas = self._pool.run(
            "eth_estimateGas", lambda rpc: quantity(rpc.request("eth_estimateGas", [tx]))
        )
        return gas + gas * self.policy.gas_margin_percent // 100

    def send(self, to: str, data: str, what: str = "transaction") -> SentTx:
        """Estimate, sign, broadcast, replace if stuck, and return the mined receipt.

        Started only before the caller's deadline, then run to the wallet's own receipt
        timeout: a transaction abandoned halfway would leave its nonce in flight.
        """
        deadline.check(what)
        with deadline.lifted():
            return self._send(to, data, what)

    def _send(self, to: str, data: str, what: str) -> SentTx:
        gas = self.estimate(to, data)
        chain_id = self.chain_id()
        fees = self._fees()
        nonce = self.nonces.allocate()
        payload = bytes.fromhex(data.removeprefix("0x"))
        start = self._clock()
        hashes: list[str] = []
        last_raw: bytes | None = None
        stale = 0
        while True:
            raw = sign_transaction(
                Transaction(
                    chain_id=chain_id,
                    nonce=nonce,
                    to=to,
                    data=payload,
                    gas=gas,
                    max_fee=fees.max_fee,
                    priority_fee=fees.priority,
                ),
                self._key.reveal(),
            )
            try:
                outcome = self._broadcast(raw, what)
            except TransientError:
                if not hashes:
                    raise
                outcome = "unreachable"  # an earlier version is out there: keep waiting for it
            if outcome == "nonce-too-low" and not hashes:
                # our count was stale (another process used this key): take a fresh nonce
                stale += 1
                if stale > _MAX_STALE_NONCES:
                    raise TransientError(f"{what}: nonce {nonce} still too low after resyncs")
                self.nonces.resync()
                nonce = self.nonces.allocate()
                continue
            if outcome == "underpriced":
                bumped = self._bumped(fees)
                if bumped != fees:
                    fees = bumped
                    continue
                if not hashes:
                    raise TransientError(
                        f"{what}: the node wants a higher fee than the cap "
                        f"({self.policy.max_fee_wei} wei) for nonce {nonce}"
                    )
            if outcome == "sent" and raw != last_raw:
                tx_hash = transaction_hash(raw)
                hashes.append(tx_hash)
                last_raw = raw
                if len(hashes) > 1:
                    log.warning("%s: replaced a stuck tx by %s (nonce %d)", what, tx_hash, nonce)
            replace_at = self._clock() + self.policy.replace_after_s
            polls = 0
            while True:
                mined = self._first_receipt(hashes)
                if mined is not None:
                    return self._done(mined, hashes, what)
                if self._clock() - start > self.policy.receipt_timeout_s:
                    self.nonces.resync()
                    raise TransientError(
                        f"{what}: not mined after {self.policy.receipt_timeout_s:.0f} s "
                        f"(nonce {nonce}, sent {len(hashes)} version(s): {', '.join(hashes)})"
                    )
                if self._clock() >= replace_at:
                    break
                polls += 1
                self._sleep(self.poll_wait(polls))
            # not mined in time: raise the fees (up to the cap) and broadcast again; at the cap
            # the same bytes are re-sent, which revives a transaction the node dropped
            fees = self._bumped(fees)

    def _first_receipt(self, hashes: list[str]) -> tuple[str, Receipt] | None:
        for h in reversed(hashes):
            receipt = self._receipt(h)
            if receipt is not None:
                return h, receipt
        return None

    def _done(self, mined: tuple[str, Receipt], hashes: list[str], what: str) -> SentTx:
        tx_hash, receipt = mined
        if receipt.status != 1:
            raise ChainRevert("transaction failed on chain", f"{what}: tx {tx_hash} reverted")
        return SentTx(
            tx_hash=tx_hash,
            receipt=receipt,
            replacements=max(0, len(hashes) - 1),
            broadcast=tuple(hashes),
        )

    def _broadcast(self, raw: bytes, what: str) -> str:
        """Send raw bytes; returns "sent", "nonce-too-low" or "underpriced"."""
        try:
            self._pool.run(
                "eth_sendRawTransaction",
                lambda rpc: rpc.request("eth_sendRawTransaction", ["0x" + raw.hex()]),
            )
            return "sent"
        except ChainError as exc:
            low = str(exc).lower()
            if "already known" in low or "already imported" in low:
                return "sent"
            if "nonce too low" in low or "nonce is too low" in low:
                return "nonce-too-low"
            if "underpriced" in low or "fee too low" in low:
                return "underpriced"
            self.nonces.resync()
            raise
        except TransientError:
            self.nonces.resync()
            raise

"""The wallet that pays for the bot's transactions: nonces, fees, receipts, stuck-tx replacement.

It is a separate key from the workerpool owner by default: the owner key is usually also the
iExec Core Scheduler's wallet, which sends its own transactions, and two writers sharing one
nonce sequence collide. This wallet has exactly one writer, this object.

- **Nonces**: one ``NonceManager`` hands out nonces under a lock (no two concurrent sends get
  the same one) and resyncs from the node after "nonce too low" or a failed broadcast.
- **Fees**: EIP-1559 when the chain has a base fee (else legacy), never above ``max_fee_wei``.
- **Receipts**: polled until ``receipt_timeout_s``. A transaction not mined after
  ``replace_after_s`` is re-broadcast with the same nonce and fees raised by
  ``fee_bump_percent`` (capped); a dropped one is thereby re-sent. Whichever version is mined
  wins; its receipt is returned.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import TransactionNotFound

from bot.adapters.chain_rpc import RpcPool
from bot.adapters.keys import SecretKey, as_secret
from bot.domain.errors import ChainError, ChainRevert, InputError, TransientError
from bot.engine import deadline

__all__ = ["FeePolicy", "GasWallet", "NonceManager", "SentTx"]

log = logging.getLogger(__name__)

_MAX_STALE_NONCES = 3


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """Fee limits for the gas wallet; all in wei."""

    max_fee_wei: int = 2 * 10**9
    priority_fee_wei: int | None = None  # None: ask the node (eth_maxPriorityFeePerGas)
    bump_percent: int = 20
    replace_after_s: float = 45.0
    receipt_timeout_s: float = 300.0
    poll_interval_s: float = 1.0
    gas_margin_percent: int = 20

    def __post_init__(self) -> None:
        if self.max_fee_wei <= 0:
            raise InputError("max_fee_wei", "must be positive", self.max_fee_wei)
        if self.priority_fee_wei is not None and self.priority_fee_wei < 0:
            raise InputError("priority_fee_wei", "must be >= 0", self.priority_fee_wei)
        if not 10 <= self.bump_percent <= 500:
            raise InputError("bump_percent", "must be between 10 and 500", self.bump_percent)
        if self.replace_after_s <= 0 or self.receipt_timeout_s <= 0 or self.poll_interval_s <= 0:
            raise InputError("replace_after_s / receipt_timeout_s / poll_interval_s", "must be > 0")


@dataclass(frozen=True, slots=True)
class SentTx:
    """A mined transaction: its hash, receipt, and how many times it had to be replaced."""

    tx_hash: str
    receipt: dict[str, Any] = field(repr=False)
    replacements: int = 0
    broadcast: tuple[str, ...] = ()

    @property
    def gas_used(self) -> int:
        return int(self.receipt.get("gasUsed", 0))


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
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._key = as_secret(private_key, "gas_key")  # never a plain str in this object
        self.address = self._key.address
        self._cs = to_checksum_address(self.address)
        self._pool = pool
        self.policy = policy or FeePolicy()
        self._sleep = sleep
        self._clock = clock
        self.nonces = NonceManager(
            lambda: pool.run(
                "eth_getTransactionCount",
                lambda w3: int(w3.eth.get_transaction_count(self._cs, "pending")),
            )
        )

    def __repr__(self) -> str:
        return f"GasWallet(address={self.address!r})"

    def balance(self) -> int:
        return self._pool.run("eth_getBalance", lambda w3: int(w3.eth.get_balance(self._cs)))

    def _fees(self, chain_id: int) -> _Fees:
        cap = self.policy.max_fee_wei

        def read(w3: Web3) -> _Fees:
            block = w3.eth.get_block("latest")
            base = block.get("baseFeePerGas")
            if base is None:
                return _Fees(max_fee=min(int(w3.eth.gas_price), cap), priority=None)
            if int(base) >= cap:
                raise TransientError(
                    f"base fee {int(base)} wei is at or above the fee cap {cap} wei on chain "
                    f"{chain_id}: waiting (raise max_fee if this persists)"
                )
            prio = self.policy.priority_fee_wei
            if prio is None:
                prio = int(w3.eth.max_priority_fee)
            max_fee = min(2 * int(base) + prio, cap)
            return _Fees(max_fee=max_fee, priority=min(prio, max_fee))

        return self._pool.run("fee estimation", read)

    def _bumped(self, fees: _Fees) -> _Fees:
        cap = self.policy.max_fee_wei
        pct = self.policy.bump_percent
        max_fee = min(_bump(fees.max_fee, pct), cap)
        prio = None if fees.priority is None else min(_bump(fees.priority, pct), max_fee)
        return _Fees(max_fee=max_fee, priority=prio)

    def _receipt(self, tx_hash: str) -> dict[str, Any] | None:
        def read(w3: Web3) -> dict[str, Any] | None:
            try:
                return dict(w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
            except TransactionNotFound:
                return None

        return self._pool.run("eth_getTransactionReceipt", read)

    def estimate(self, to: str, data: str) -> int:
        """Gas for the call; a revert here is raised as ChainRevert with its reason, unsent."""
        tx = {"from": self._cs, "to": to_checksum_address(to), "data": data}
        gas = self._pool.run("eth_estimateGas", lambda w3: int(w3.eth.estimate_gas(tx)))  # type: ignore[arg-type]
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
        chain_id = self._pool.run("eth_chainId", lambda w3: int(w3.eth.chain_id))
        fees = self._fees(chain_id)
        nonce = self.nonces.allocate()
        base_tx: dict[str, Any] = {
            "to": to_checksum_address(to),
            "data": data,
            "value": 0,
            "gas": gas,
            "chainId": chain_id,
        }
        start = self._clock()
        hashes: list[str] = []
        last_raw: bytes | None = None
        stale = 0
        while True:
            raw = bytes(
                Account.sign_transaction(
                    {**base_tx, "nonce": nonce, **fees.fields()}, self._key.reveal()
                ).raw_transaction
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
                tx_hash = "0x" + keccak(raw).hex()
                hashes.append(tx_hash)
                last_raw = raw
                if len(hashes) > 1:
                    log.warning("%s: replaced a stuck tx by %s (nonce %d)", what, tx_hash, nonce)
            deadline = self._clock() + self.policy.replace_after_s
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
                if self._clock() >= deadline:
                    break
                self._sleep(self.policy.poll_interval_s)
            # not mined in time: raise the fees (up to the cap) and broadcast again; at the cap
            # the same bytes are re-sent, which revives a transaction the node dropped
            fees = self._bumped(fees)

    def _first_receipt(self, hashes: list[str]) -> tuple[str, dict[str, Any]] | None:
        for h in reversed(hashes):
            receipt = self._receipt(h)
            if receipt is not None:
                return h, receipt
        return None

    def _done(self, mined: tuple[str, dict[str, Any]], hashes: list[str], what: str) -> SentTx:
        tx_hash, receipt = mined
        if int(receipt.get("status", 0)) != 1:
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
            self._pool.run("eth_sendRawTransaction", lambda w3: w3.eth.send_raw_transaction(raw))
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

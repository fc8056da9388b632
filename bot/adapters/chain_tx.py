"""Signed Ethereum transactions for the gas wallet: EIP-1559 (type 2) and legacy EIP-155.

Why not eth-account: importing any part of it runs eth-keyfile's import of py_ecc, which
computes BLS12-381 constants (issue #20), and the wallet only needs two transaction shapes.
What eth-account does underneath is kept: the fields RLP-encoded (rlp), hashed (keccak) and
signed (eth-keys, coincurve when installed). An oracle test checks the raw bytes against
eth-account's ``sign_transaction`` for every chain the bot runs on
(tests/unit/adapters/test_tx_oracle.py).

- **type 2** (the wallet's default where the chain has a base fee):
  ``0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value, data,
  accessList, yParity, r, s])``, signed over ``keccak(0x02 || rlp(the first nine))``;
- **legacy** (chains without a base fee): ``rlp([nonce, gasPrice, gas, to, value, data, v, r,
  s])`` with EIP-155's ``v = 35 + 2 chainId + yParity``, signed over the same list with
  ``chainId, 0, 0`` in place of ``v, r, s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from eth_keys.datatypes import PrivateKey
from eth_utils.crypto import keccak

from bot.domain.errors import InputError

__all__ = ["Transaction", "sign_transaction", "transaction_hash"]

_UINT256 = 2**256


@dataclass(frozen=True, slots=True)
class Transaction:
    """A contract call to sign; ``priority_fee`` None means a legacy ``gasPrice = max_fee``."""

    chain_id: int
    nonce: int
    to: str
    data: bytes
    gas: int
    max_fee: int
    priority_fee: int | None
    value: int = 0

    def __post_init__(self) -> None:
        for name in ("chain_id", "nonce", "gas", "max_fee", "value"):
            value = getattr(self, name)
            if not 0 <= value < _UINT256:
                raise InputError(f"transaction.{name}", "must be a uint256", value)
        if self.priority_fee is not None and not 0 <= self.priority_fee <= self.max_fee:
            raise InputError(
                "transaction.priority_fee", "must be between 0 and max_fee", self.priority_fee
            )
        if len(self._to_bytes()) != 20:
            raise InputError("transaction.to", "must be a 20-byte address", self.to)

    def _to_bytes(self) -> bytes:
        try:
            return bytes.fromhex(self.to.removeprefix("0x"))
        except ValueError:
            raise InputError("transaction.to", "must be hex", self.to) from None

    def _fields(self) -> list[object]:
        to = self._to_bytes()
        if self.priority_fee is None:
            return [self.nonce, self.max_fee, self.gas, to, self.value, self.data]
        return [
            self.chain_id,
            self.nonce,
            self.priority_fee,
            self.max_fee,
            self.gas,
            to,
            self.value,
            self.data,
            [],  # access list
        ]


def sign_transaction(tx: Transaction, private_key: bytes) -> bytes:
    """The raw signed transaction, ready for ``eth_sendRawTransaction``."""
    fields = tx._fields()
    key = PrivateKey(private_key)
    if tx.priority_fee is None:
        digest = keccak(rlp.encode([*fields, tx.chain_id, 0, 0]))
        sig = key.sign_msg_hash(digest)
        v = 35 + 2 * tx.chain_id + int(sig.v)
        return bytes(rlp.encode([*fields, v, int(sig.r), int(sig.s)]))
    digest = keccak(b"\x02" + rlp.encode(fields))
    sig = key.sign_msg_hash(digest)
    return b"\x02" + bytes(rlp.encode([*fields, int(sig.v), int(sig.r), int(sig.s)]))


def transaction_hash(raw: bytes) -> str:
    """The hash a node gives the transaction ``raw`` (keccak of the signed bytes)."""
    return "0x" + keccak(raw).hex()

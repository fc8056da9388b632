"""EIP-712 order hashes for the four order kinds, computed like the real API does.

The API hashes with the domain it reads from the hub's ``domain()`` (``fetchIExecDomain``), so a
server bound to the wrong hub or chain id computes a different hash and the signature check
fails, exactly as it would in production. ``bot.domain.signing`` covers workerpool orders for the bot;
the server also needs request, app and dataset orders, hence this small generic helper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from bot.domain.signing import ORDER_TYPES

from ._validate import OrderKind

__all__ = ["ORDER_TYPES", "PRIMARY_TYPE", "Domain", "order_hash"]

PRIMARY_TYPE: dict[str, str] = {
    "apporder": "AppOrder",
    "datasetorder": "DatasetOrder",
    "workerpoolorder": "WorkerpoolOrder",
    "requestorder": "RequestOrder",
}


@dataclass(frozen=True, slots=True)
class Domain:
    """The hub's EIP-712 domain as ``domain()`` returns it."""

    name: str
    version: str
    chain_id: int
    verifying_contract: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


def order_hash(domain: Domain, kind: OrderKind, order: dict[str, Any]) -> str:
    """The full EIP-712 digest PoCo keys ``viewConsumed`` and its events with."""
    primary = PRIMARY_TYPE[kind]
    fields = ORDER_TYPES[primary]
    message: dict[str, Any] = {}
    for f in fields:
        value = order[f["name"]]
        if f["type"] == "bytes32":
            value = bytes.fromhex(str(value)[2:])
        message[f["name"]] = value
    signable = encode_typed_data(
        domain_data=domain.as_dict(),
        message_types={primary: fields},
        message_data=message,
    )
    return "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()

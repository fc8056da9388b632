"""EIP-712 hashing, signing and verification of workerpool orders (eth-account).

This is the one core module allowed to import eth_account: the hash it computes is the key every
on-chain record uses (``viewConsumed``, ``ClosedWorkerpoolOrder``), so it must be exactly PoCo's.
Domain: ``{name: "iExecODB", version: "5.0.0", chainId, verifyingContract: hub}``.
"""

from __future__ import annotations

import secrets
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys.datatypes import Signature
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from bot.domain.errors import InputError
from bot.domain.model import SignedWorkerpoolOrder, WorkerpoolOrder, norm_address
from bot.domain.networks import Network

__all__ = [
    "APP_ORDER_TYPE",
    "CLOSE",
    "DATASET_ORDER_TYPE",
    "GATEWAY_CHALLENGE_PREFIX",
    "ORDER_TYPES",
    "REQUEST_ORDER_TYPE",
    "SIGN",
    "WORKERPOOL_ORDER_TYPE",
    "address_of",
    "domain_of",
    "domain_separator",
    "gateway_challenge_hash",
    "gateway_challenge_payload",
    "hash_order",
    "operation_hash",
    "random_salt",
    "recover_signer",
    "sign_gateway_challenge",
    "sign_operation",
    "sign_order",
    "signature_problem",
    "verify_order",
]

SIGN = 0
CLOSE = 1

WORKERPOOL_ORDER_TYPE: list[dict[str, str]] = [
    {"name": "workerpool", "type": "address"},
    {"name": "workerpoolprice", "type": "uint256"},
    {"name": "volume", "type": "uint256"},
    {"name": "tag", "type": "bytes32"},
    {"name": "category", "type": "uint256"},
    {"name": "trust", "type": "uint256"},
    {"name": "apprestrict", "type": "address"},
    {"name": "datasetrestrict", "type": "address"},
    {"name": "requesterrestrict", "type": "address"},
    {"name": "salt", "type": "bytes32"},
]

APP_ORDER_TYPE: list[dict[str, str]] = [
    {"name": "app", "type": "address"},
    {"name": "appprice", "type": "uint256"},
    {"name": "volume", "type": "uint256"},
    {"name": "tag", "type": "bytes32"},
    {"name": "datasetrestrict", "type": "address"},
    {"name": "workerpoolrestrict", "type": "address"},
    {"name": "requesterrestrict", "type": "address"},
    {"name": "salt", "type": "bytes32"},
]

DATASET_ORDER_TYPE: list[dict[str, str]] = [
    {"name": "dataset", "type": "address"},
    {"name": "datasetprice", "type": "uint256"},
    {"name": "volume", "type": "uint256"},
    {"name": "tag", "type": "bytes32"},
    {"name": "apprestrict", "type": "address"},
    {"name": "workerpoolrestrict", "type": "address"},
    {"name": "requesterrestrict", "type": "address"},
    {"name": "salt", "type": "bytes32"},
]

REQUEST_ORDER_TYPE: list[dict[str, str]] = [
    {"name": "app", "type": "address"},
    {"name": "appmaxprice", "type": "uint256"},
    {"name": "dataset", "type": "address"},
    {"name": "datasetmaxprice", "type": "uint256"},
    {"name": "workerpool", "type": "address"},
    {"name": "workerpoolmaxprice", "type": "uint256"},
    {"name": "requester", "type": "address"},
    {"name": "volume", "type": "uint256"},
    {"name": "tag", "type": "bytes32"},
    {"name": "category", "type": "uint256"},
    {"name": "trust", "type": "uint256"},
    {"name": "beneficiary", "type": "address"},
    {"name": "callback", "type": "address"},
    {"name": "params", "type": "string"},
    {"name": "salt", "type": "bytes32"},
]

# The four PoCo order types (IexecLibOrders_v5), by EIP-712 primary type name.
ORDER_TYPES: dict[str, list[dict[str, str]]] = {
    "AppOrder": APP_ORDER_TYPE,
    "DatasetOrder": DATASET_ORDER_TYPE,
    "WorkerpoolOrder": WORKERPOOL_ORDER_TYPE,
    "RequestOrder": REQUEST_ORDER_TYPE,
}

_OPERATION_TYPES: dict[str, list[dict[str, str]]] = {
    "WorkerpoolOrderOperation": [
        {"name": "order", "type": "WorkerpoolOrder"},
        {"name": "operation", "type": "uint256"},
    ],
    "WorkerpoolOrder": WORKERPOOL_ORDER_TYPE,
}

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def domain_of(network: Network) -> dict[str, Any]:
    return {
        "name": "iExecODB",
        "version": "5.0.0",
        "chainId": network.chain_id,
        "verifyingContract": to_checksum_address(network.hub),
    }


def _message(order: WorkerpoolOrder) -> dict[str, Any]:
    msg: dict[str, Any] = dict(order.fields())
    for name in ("workerpool", "apprestrict", "datasetrestrict", "requesterrestrict"):
        msg[name] = to_checksum_address(msg[name])
    msg["tag"] = bytes.fromhex(order.tag[2:])
    msg["salt"] = bytes.fromhex(order.salt[2:])
    return msg


def _encode(network: Network, order: WorkerpoolOrder) -> Any:
    return encode_typed_data(
        domain_data=domain_of(network),
        message_types={"WorkerpoolOrder": WORKERPOOL_ORDER_TYPE},
        message_data=_message(order),
    )


def _digest(signable: Any) -> bytes:
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def domain_separator(network: Network) -> str:
    """The EIP-712 domain separator (what ``eip712domain_separator()`` returns on the hub).

    eth-account exposes it only as the header of an encoded message, so any order will do.
    """
    dummy = WorkerpoolOrder(
        workerpool=network.hub,
        workerpoolprice=0,
        volume=1,
        tag="0x" + "0" * 64,
        category=0,
        trust=0,
    )
    return "0x" + bytes(_encode(network, dummy).header).hex()


def hash_order(network: Network, order: WorkerpoolOrder) -> str:
    """The order hash PoCo uses everywhere: the full EIP-712 digest."""
    return "0x" + _digest(_encode(network, order)).hex()


def _encode_operation(network: Network, order: WorkerpoolOrder, operation: int) -> Any:
    return encode_typed_data(
        domain_data=domain_of(network),
        message_types=_OPERATION_TYPES,
        message_data={"order": _message(order), "operation": operation},
    )


def operation_hash(network: Network, order: WorkerpoolOrder, operation: int) -> str:
    return "0x" + _digest(_encode_operation(network, order, operation)).hex()


def sign_order(
    network: Network, order: WorkerpoolOrder, private_key: str | bytes
) -> SignedWorkerpoolOrder:
    signable = _encode(network, order)
    signed = Account.sign_message(signable, private_key)
    return SignedWorkerpoolOrder(
        order=order,
        sign="0x" + bytes(signed.signature).hex(),
        order_hash="0x" + _digest(signable).hex(),
    )


def sign_operation(
    network: Network, order: WorkerpoolOrder, operation: int, private_key: str | bytes
) -> str:
    """Sign a WorkerpoolOrderOperation (SIGN or CLOSE) so that another wallet can relay it."""
    if operation not in (SIGN, CLOSE):
        raise InputError("operation", "must be 0 (SIGN) or 1 (CLOSE)", operation)
    signable = _encode_operation(network, order, operation)
    return "0x" + bytes(Account.sign_message(signable, private_key).signature).hex()


def recover_signer(digest: str, signature: str) -> str:
    """Recover the signer of a digest as PoCo does: 65-byte (v 27/28, low s) or 64-byte EIP-2098."""
    text = signature[2:] if signature.startswith(("0x", "0X")) else signature
    if len(text) % 2 or not all(c in "0123456789abcdefABCDEF" for c in text):
        raise InputError("sign", "must be 0x-prefixed hex with an even number of digits")
    raw = bytes.fromhex(text)
    if len(raw) == 65:
        r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
        if v not in (27, 28):
            raise InputError("sign", "v must be 27 or 28", v)
    elif len(raw) == 64:
        r = raw[:32]
        vs = int.from_bytes(raw[32:], "big")
        s = vs & ((1 << 255) - 1)
        v = 27 + (vs >> 255)
    else:
        raise InputError("sign", "must be 65 bytes (r,s,v) or 64 bytes (EIP-2098)", len(raw))
    if s > _SECP256K1_N // 2:
        raise InputError("sign", "s must be in the lower half of the curve order (EIP-2)")
    r_int = int.from_bytes(r, "big")
    if not (0 < r_int < _SECP256K1_N and s > 0):
        raise InputError("sign", "r and s must be between 1 and the curve order (r = 0 or s = 0)")
    try:
        sig = Signature(vrs=(v - 27, r_int, s))
        pub = sig.recover_public_key_from_msg_hash(bytes.fromhex(digest[2:]))
    except Exception:  # eth_keys raises BadSignature or ValueError for a point off the curve
        raise InputError("sign", "no signer can be recovered from this signature") from None
    return pub.to_checksum_address().lower()


def signature_problem(digest: str, signature: str, signer: str) -> str | None:
    """Why ``signature`` is not ``signer``'s ECDSA signature of ``digest`` as PoCo accepts it
    (65-byte r,s,v with v 27/28 and low s, or 64-byte EIP-2098), or None when it is.

    Never raises on a hostile signature: every way to be wrong is a reason. Presigned orders
    and contract owners (ERC-1271) are on-chain questions; the caller asks the chain.
    """
    text = signature.removeprefix("0x")
    if not text:
        return "empty signature"
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return "signature is not hex"
    if len(raw) not in (64, 65):
        return f"signature of {len(raw)} bytes (PoCo takes 65, or 64 as EIP-2098)"
    try:
        recovered = recover_signer(digest, signature)
    except InputError as exc:
        return f"malformed signature ({exc.rule})"
    except Exception as exc:  # eth_keys on r = 0, r or s >= n, a point off the curve
        return f"malformed signature ({type(exc).__name__})"
    if recovered != norm_address(signer, "signer"):
        return f"signed by {recovered}, not by the workerpool owner {signer.lower()}"
    return None


def verify_order(network: Network, signed: SignedWorkerpoolOrder) -> str:
    """Check the hash and return the recovered signer (lower-case); raise if the hash is wrong."""
    expected = hash_order(network, signed.order)
    if expected != signed.order_hash:
        raise InputError(
            "orderHash",
            f"does not match the order on {network.name} ({expected})",
            signed.order_hash,
        )
    return recover_signer(expected, signed.sign)


def random_salt() -> str:
    return "0x" + secrets.token_bytes(32).hex()


def address_of(private_key: str | bytes) -> str:
    return norm_address(Account.from_key(private_key).address)


GATEWAY_CHALLENGE_PREFIX = "Sign this message to log into iExec Gateway: "
_CHALLENGE_TYPES = {"Challenge": [{"name": "challenge", "type": "string"}]}


def _encode_challenge(chain_id: int, challenge: str) -> Any:
    """The ``iExec Gateway`` Challenge typed data (its domain has no verifyingContract)."""
    return encode_typed_data(
        domain_data={"name": "iExec Gateway", "version": "1", "chainId": chain_id},
        message_types=_CHALLENGE_TYPES,
        message_data={"challenge": challenge},
    )


def gateway_challenge_payload(chain_id: int | str, challenge: str) -> dict[str, Any]:
    """The login challenge as ``GET /challenge`` serves it (EIP-712 JSON, chainId a string)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            **_CHALLENGE_TYPES,
        },
        "domain": {"name": "iExec Gateway", "version": "1", "chainId": str(chain_id)},
        "primaryType": "Challenge",
        "message": {"challenge": challenge},
    }


def gateway_challenge_hash(chain_id: int, challenge: str) -> str:
    """Hash of the marketplace's login challenge, as the server stores it."""
    return "0x" + _digest(_encode_challenge(chain_id, challenge)).hex()


def sign_gateway_challenge(chain_id: int, challenge: str, private_key: str | bytes) -> str:
    """Sign the marketplace login challenge. Callers must have checked its shape first."""
    signable = _encode_challenge(chain_id, challenge)
    return "0x" + bytes(Account.sign_message(signable, private_key).signature).hex()

"""EIP-712 hashing, signing and verification of workerpool orders (eth-abi, eth-keys).

The hash it computes is the key every on-chain record uses (``viewConsumed``,
``ClosedWorkerpoolOrder``), so it must be exactly PoCo's. Domain: ``{name: "iExecODB", version:
"5.0.0", chainId, verifyingContract: hub}``.

**Why not eth-account** (issue #20): importing any part of ``eth_account`` runs its package
``__init__``, which imports ``eth_keyfile``, which imports ``py_ecc.bls``, which computes the
BLS12-381 pairing constants at import: 0.3-0.5 s of every command's start-up for a curve the bot
never uses. The orders are flat structs of static fields (a ``string`` is hashed, an operation
nests one order), so EIP-712's ``hashStruct`` is ``keccak(abi.encode(typeHash, fields...))``
with eth-abi, and signing and recovery are eth-keys' (which eth-account itself calls). The tests
check every type against eth-account's ``encode_typed_data`` and ``Account.sign_message`` on
hypothesis-drawn orders, and against the iExec SDK's and ethers' vectors.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Any

from eth_abi.abi import encode
from eth_keys.datatypes import PrivateKey, Signature
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from bot.domain.errors import InputError
from bot.domain.fill_orders import AppOrder, DatasetOrder, RequestOrder, SignedOrder
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
    "hash_market_order",
    "hash_order",
    "operation_hash",
    "random_salt",
    "recover_signer",
    "sign_gateway_challenge",
    "sign_market_order",
    "sign_operation",
    "sign_order",
    "signature_problem",
    "signed_order_problem",
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

GATEWAY_CHALLENGE_PREFIX = "Sign this message to log into iExec Gateway: "
_CHALLENGE_TYPES = {"Challenge": [{"name": "challenge", "type": "string"}]}

# Every struct this module hashes, by name: a field whose type is one of them is hashed nested.
_STRUCTS: dict[str, list[dict[str, str]]] = {**ORDER_TYPES, **_OPERATION_TYPES, **_CHALLENGE_TYPES}


def _encode_type(primary: str) -> str:
    """EIP-712 ``encodeType``: the primary struct, then the structs it uses, sorted by name."""
    used: set[str] = set()
    pending = [primary]
    while pending:
        for item in _STRUCTS[pending.pop()]:
            kind = item["type"]
            if kind in _STRUCTS and kind != primary and kind not in used:
                used.add(kind)
                pending.append(kind)
    return "".join(
        name + "(" + ",".join(f"{f['type']} {f['name']}" for f in _STRUCTS[name]) + ")"
        for name in (primary, *sorted(used))
    )


_TYPE_HASHES = {name: keccak(text=_encode_type(name)) for name in _STRUCTS}


def _hash_struct(primary: str, data: dict[str, Any]) -> bytes:
    """EIP-712 ``hashStruct``: addresses as 20 bytes, bytes32 as 32, a string or struct hashed."""
    kinds = ["bytes32"]
    values: list[Any] = [_TYPE_HASHES[primary]]
    for item in _STRUCTS[primary]:
        kind, value = item["type"], data[item["name"]]
        if kind in _STRUCTS:
            kinds.append("bytes32")
            values.append(_hash_struct(kind, value))
        elif kind == "string":
            kinds.append("bytes32")
            values.append(keccak(text=value))
        else:
            kinds.append(kind)
            values.append(value)
    return keccak(encode(kinds, values))


@lru_cache(maxsize=64)
def _domain_hash(name: str, version: str, chain_id: int, verifying_contract: str | None) -> bytes:
    """EIP-712 ``hashStruct(domain)`` (the hub's domain, or the gateway's without a contract)."""
    fields = "string name,string version,uint256 chainId"
    kinds = ["bytes32", "bytes32", "bytes32", "uint256"]
    values: list[Any] = [b"", keccak(text=name), keccak(text=version), chain_id]
    if verifying_contract is not None:
        fields += ",address verifyingContract"
        kinds.append("address")
        values.append(_address_bytes(verifying_contract))
    values[0] = keccak(text=f"EIP712Domain({fields})")
    return keccak(encode(kinds, values))


def _address_bytes(address: str) -> bytes:
    return bytes.fromhex(address[2:])


def _order_domain(network: Network) -> bytes:
    return _domain_hash("iExecODB", "5.0.0", network.chain_id, network.hub.lower())


def _digest(domain: bytes, struct_hash: bytes) -> bytes:
    """The EIP-712 digest: what is signed, and PoCo's order hash."""
    return keccak(b"\x19\x01" + domain + struct_hash)


def _sign_digest(digest: bytes, private_key: str | bytes) -> str:
    """65-byte r,s,v signature with v 27/28, as eth-account's ``sign_message`` returns it."""
    sig = PrivateKey(_key_bytes(private_key)).sign_msg_hash(digest)
    r: int = sig.r
    s: int = sig.s
    v: int = sig.v
    return "0x" + r.to_bytes(32, "big").hex() + s.to_bytes(32, "big").hex() + f"{v + 27:02x}"


def _key_bytes(private_key: str | bytes) -> bytes:
    if isinstance(private_key, bytes):
        return private_key
    text = private_key.removeprefix("0x").removeprefix("0X")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InputError("private key", "must be 32 bytes of hex") from None


def domain_of(network: Network) -> dict[str, Any]:
    return {
        "name": "iExecODB",
        "version": "5.0.0",
        "chainId": network.chain_id,
        "verifyingContract": to_checksum_address(network.hub),
    }


def _message(types: list[dict[str, str]], fields: dict[str, Any]) -> dict[str, Any]:
    """An order's fields as eth-abi takes them: addresses and bytes32 as bytes."""
    msg: dict[str, Any] = {}
    for item in types:
        value = fields[item["name"]]
        if item["type"] in ("address", "bytes32"):
            value = bytes.fromhex(str(value)[2:])
        msg[item["name"]] = value
    return msg


def _order_digest(network: Network, order: WorkerpoolOrder) -> bytes:
    struct = _hash_struct("WorkerpoolOrder", _message(WORKERPOOL_ORDER_TYPE, order.fields()))
    return _digest(_order_domain(network), struct)


def domain_separator(network: Network) -> str:
    """The EIP-712 domain separator (what ``eip712domain_separator()`` returns on the hub)."""
    return "0x" + _order_domain(network).hex()


def hash_order(network: Network, order: WorkerpoolOrder) -> str:
    """The order hash PoCo uses everywhere: the full EIP-712 digest."""
    return "0x" + _order_digest(network, order).hex()


def _operation_digest(network: Network, order: WorkerpoolOrder, operation: int) -> bytes:
    message = {"order": _message(WORKERPOOL_ORDER_TYPE, order.fields()), "operation": operation}
    return _digest(_order_domain(network), _hash_struct("WorkerpoolOrderOperation", message))


def operation_hash(network: Network, order: WorkerpoolOrder, operation: int) -> str:
    return "0x" + _operation_digest(network, order, operation).hex()


def sign_order(
    network: Network, order: WorkerpoolOrder, private_key: str | bytes
) -> SignedWorkerpoolOrder:
    digest = _order_digest(network, order)
    return SignedWorkerpoolOrder(
        order=order, sign=_sign_digest(digest, private_key), order_hash="0x" + digest.hex()
    )


def sign_operation(
    network: Network, order: WorkerpoolOrder, operation: int, private_key: str | bytes
) -> str:
    """Sign a WorkerpoolOrderOperation (SIGN or CLOSE) so that another wallet can relay it."""
    if operation not in (SIGN, CLOSE):
        raise InputError("operation", "must be 0 (SIGN) or 1 (CLOSE)", operation)
    return _sign_digest(_operation_digest(network, order, operation), private_key)


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


def signature_problem(
    digest: str, signature: str, signer: str, role: str = "the workerpool owner"
) -> str | None:
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
        return f"signed by {recovered}, not by {role} {signer.lower()}"
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


MarketOrder = RequestOrder | AppOrder | DatasetOrder

_PRIMARY: dict[type, str] = {
    RequestOrder: "RequestOrder",
    AppOrder: "AppOrder",
    DatasetOrder: "DatasetOrder",
}


def _market_order_digest(network: Network, order: MarketOrder) -> bytes:
    primary = _PRIMARY[type(order)]
    message = _message(ORDER_TYPES[primary], dict(order.fields()))
    return _digest(_order_domain(network), _hash_struct(primary, message))


def hash_market_order(network: Network, order: MarketOrder) -> str:
    """The EIP-712 digest of a request, app or dataset order, from every field (``params``
    of a request included, hashed as PoCo does): the key of ``viewConsumed`` and the events."""
    return "0x" + _market_order_digest(network, order).hex()


def sign_market_order(
    network: Network, order: MarketOrder, private_key: str | bytes
) -> SignedOrder[Any]:
    """Sign a request, app or dataset order (sandbox agents and tests; the bot signs none)."""
    digest = _market_order_digest(network, order)
    return SignedOrder(order, _sign_digest(digest, private_key), "0x" + digest.hex())


def signed_order_problem(network: Network, signed: SignedOrder[Any], signer: str) -> str | None:
    """Why ``signed`` is not a genuine order of ``signer`` on ``network``, or None.

    The hash is recomputed from every field, so an order whose fields were changed after it was
    signed (or a hash that belongs to another order) is refused before anything is sent; then the
    signature must recover to ``signer`` (the requester of a request order). A presigned order
    (empty ``sign``) is an on-chain question: the caller asks the chain (an estimate does).
    """
    expected = hash_market_order(network, signed.order)
    if expected != signed.order_hash:
        return f"orderHash {signed.order_hash} is not the hash of its fields ({expected})"
    if signed.sign == "0x":
        return None
    return signature_problem(expected, signed.sign, signer, "its signer")


def random_salt() -> str:
    return "0x" + secrets.token_bytes(32).hex()


def address_of(private_key: str | bytes) -> str:
    return norm_address(PrivateKey(_key_bytes(private_key)).public_key.to_address())


def _challenge_digest(chain_id: int, challenge: str) -> bytes:
    """The ``iExec Gateway`` Challenge typed data (its domain has no verifyingContract)."""
    domain = _domain_hash("iExec Gateway", "1", chain_id, None)
    return _digest(domain, _hash_struct("Challenge", {"challenge": challenge}))


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
    return "0x" + _challenge_digest(chain_id, challenge).hex()


def sign_gateway_challenge(chain_id: int, challenge: str, private_key: str | bytes) -> str:
    """Sign the marketplace login challenge. Callers must have checked its shape first."""
    return _sign_digest(_challenge_digest(chain_id, challenge), private_key)

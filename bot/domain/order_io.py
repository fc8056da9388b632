"""Reading and writing workerpool orders in the JSON shapes the iExec tools use.

Pure (no eth_account): the marketplace API, the iExec SDK (``iexec.json``, ``orders.json``) and
our own CLI all spell the same ten fields slightly differently (numbers as decimal strings or
integers, prices with a unit, tags as names or bytes32, addresses in any case). Everything is
normalised here, once, into :class:`bot.domain.model.WorkerpoolOrder`; every refusal names the field and
the rule, because a pool owner fixing a JSON file by hand needs to know exactly what to change.

Prices are parsed with exact integer arithmetic: ``"0.1 RLC"`` is 100000000 nRLC, never a float.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.domain.errors import InputError
from bot.domain.model import (
    MAX_UINT256,
    NRLC_PER_RLC,
    TAG_BITS,
    ZERO_ADDRESS,
    SignedWorkerpoolOrder,
    WorkerpoolOrder,
    norm_address,
    norm_bytes32,
    parse_tag,
    tag_names,
    tag_to_bytes32,
)

__all__ = [
    "ORDER_FIELDS",
    "OrderDocument",
    "extract_order_mapping",
    "format_nrlc",
    "format_rlc",
    "json_int",
    "norm_user_address",
    "order_from_mapping",
    "order_from_payload",
    "order_to_iexec_json",
    "order_to_json",
    "parse_price",
    "parse_uint",
    "read_order_document",
    "signed_to_json",
]

ORDER_FIELDS: tuple[str, ...] = (
    "workerpool",
    "workerpoolprice",
    "volume",
    "tag",
    "category",
    "trust",
    "apprestrict",
    "datasetrestrict",
    "requesterrestrict",
    "salt",
)

# What the SDK's createWorkerpoolorder fills in when a field is absent (workerpool and category
# have no default: an order without them means nothing).
_DEFAULTS: dict[str, object] = {
    "workerpoolprice": 0,
    "volume": 1,
    "tag": 0,
    "trust": 0,
    "apprestrict": ZERO_ADDRESS,
    "datasetrestrict": ZERO_ADDRESS,
    "requesterrestrict": ZERO_ADDRESS,
}
_SIGNATURE_FIELDS = ("sign", "orderHash")

_DECIMALS = 9  # nRLC per RLC = 10**9
# ASCII digits only (``\d`` would read "١٢" as 12) and ``\Z`` (``$`` lets a trailing newline in).
_AMOUNT_RE = re.compile(r"[ \t]*([0-9]+)(?:\.([0-9]+))?[ \t]*([A-Za-z]*)[ \t]*\Z")
_UINT_RE = re.compile(r"[ \t]*([0-9]+)[ \t]*\Z")
UINT256_DIGITS = len(str(MAX_UINT256))
"""78: no uint256 has more decimal digits (checked before ``int()``, which refuses > 4,300)."""


def json_int(digits: str) -> int | str:
    """``json.loads(parse_int=...)``: an integer literal too long for uint256 stays a digit string.

    Python refuses to convert more than 4,300 digits (a ValueError with no field name); kept as a
    string, the field's own check refuses it by name ("volume: must fit in uint256").
    """
    return digits if len(digits.lstrip("-")) > UINT256_DIGITS else int(digits)


def _digits_fit(digits: str, field: str, value: object) -> None:
    if len(digits.lstrip("0")) > UINT256_DIGITS:
        raise InputError(field, f"must fit in uint256 (a {len(digits)}-digit number)", value)


_UNITS = {"rlc": _DECIMALS, "nrlc": 0}


def parse_uint(value: object, field: str, *, low: int = 0, high: int = MAX_UINT256) -> int:
    """An unsigned integer given as a JSON/TOML integer or a decimal string (as the SDK writes)."""
    if isinstance(value, bool):
        raise InputError(field, "must be an integer, not a boolean", value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and (digits := _UINT_RE.match(value)) is not None:
        _digits_fit(digits.group(1), field, value)
        number = int(digits.group(1))
    elif isinstance(value, float):
        raise InputError(field, "must be an integer (floats are not exact; write it as a string)")
    else:
        raise InputError(field, "must be an integer or a decimal string", value)
    if not low <= number <= high:
        raise InputError(field, f"must be between {low} and {high}", value)
    return number


def parse_price(value: object, field: str = "workerpoolprice") -> int:
    """Parse a price into integer nRLC, exactly.

    Accepts a non-negative integer (nRLC), a decimal string (nRLC, as the SDK and the marketplace
    write them), or an amount with a unit: ``"0.1 RLC"``, ``"5 nRLC"`` (units are
    case-insensitive). Floats are refused: ``0.1`` has no exact binary value, and a price off by
    one nRLC is a different signed order.
    """
    if isinstance(value, bool):
        raise InputError(field, "must be a price such as 5, '5 nRLC' or '0.1 RLC'", value)
    if isinstance(value, float):
        raise InputError(
            field, "floats are not exact: write the price as a string, e.g. '0.1 RLC'", value
        )
    if isinstance(value, int):
        if not 0 <= value <= MAX_UINT256:
            raise InputError(field, "must be a non-negative price that fits in uint256", value)
        return value
    if not isinstance(value, str):
        raise InputError(field, "must be a price such as 5, '5 nRLC' or '0.1 RLC'", value)
    match = _AMOUNT_RE.match(value)
    if match is None:
        raise InputError(
            field, "must be a non-negative amount with an optional unit (RLC or nRLC)", value
        )
    whole, fraction, unit = match.group(1), match.group(2) or "", match.group(3).lower()
    _digits_fit(whole, field, value)
    if unit == "":
        if fraction:
            raise InputError(field, "a fractional amount needs a unit, e.g. '0.1 RLC'", value)
        decimals = 0
    elif unit in _UNITS:
        decimals = _UNITS[unit]
    else:
        raise InputError(field, "unit must be RLC or nRLC", value)
    if len(fraction.rstrip("0")) > decimals:
        raise InputError(field, f"has more than {decimals} decimals for its unit", value)
    scale: int = 10**decimals
    nrlc = int(whole) * scale + int((fraction + "0" * decimals)[:decimals] or "0")
    if nrlc > MAX_UINT256:
        raise InputError(field, "must fit in uint256", value)
    return nrlc


def format_rlc(nrlc: int, *, unit: bool = True) -> str:
    """Exact decimal RLC spelling of an nRLC amount: ``format_rlc(100_000_000) == "0.1 RLC"``.

    ``parse_price(format_rlc(x)) == x`` for every non-negative ``x``. Negative amounts (deltas,
    profit and loss) are formatted with a leading minus.
    """
    if isinstance(nrlc, bool) or not isinstance(nrlc, int):
        raise InputError("nrlc", "must be an integer", nrlc)
    sign = "-" if nrlc < 0 else ""
    whole, fraction = divmod(abs(nrlc), NRLC_PER_RLC)
    text = f"{sign}{whole}"
    if fraction:
        text += "." + f"{fraction:0{_DECIMALS}d}".rstrip("0")
    return f"{text} RLC" if unit else text


def format_nrlc(nrlc: int) -> str:
    return f"{nrlc} nRLC"


def _field_name(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def norm_user_address(value: object, field: str) -> str:
    """An address typed by a person: lower-case it, but refuse a broken EIP-55 checksum.

    Mixed case is a checksum (EIP-55); a mistyped digit in a checksummed address then shows up
    as a wrong case pattern, and signing it would commit to an address nobody controls. The iExec
    SDK (ethers ``getAddress``) refuses these too; all-lower and all-upper hex carry no checksum.
    """
    address = norm_address(value, field)
    assert isinstance(value, str)
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper():
        from eth_utils.address import to_checksum_address  # pure keccak; no eth_account

        if to_checksum_address(address) != value:
            raise InputError(
                field,
                "has a wrong EIP-55 checksum (mixed case that does not match the address): "
                "check for a typo, or write it all lower-case",
                value,
            )
    return address


def order_from_mapping(
    data: Mapping[str, Any],
    *,
    default_salt: str | None = None,
    where: str = "",
) -> WorkerpoolOrder:
    """Build a validated order from the API object or the ``iexec.json`` workerpoolorder.

    Missing optional fields get the SDK's defaults. A missing salt is an error unless the caller
    passes ``default_salt`` (signing draws a fresh one; hashing must not invent one). Unknown keys
    are refused so a misspelt field (``workerpoolPrice``) cannot silently become a default.
    ``where`` prefixes field names in errors (e.g. ``order``).
    """
    if not isinstance(data, Mapping):
        raise InputError(where or "order", "must be a JSON object with the order fields", None)
    unknown = sorted(set(data) - set(ORDER_FIELDS) - set(_SIGNATURE_FIELDS))
    if unknown:
        raise InputError(
            _field_name(where, unknown[0]),
            f"is not a workerpool order field; expected {list(ORDER_FIELDS)}",
        )
    for required in ("workerpool", "category"):
        if required not in data:
            raise InputError(_field_name(where, required), "is required")
    values = {**_DEFAULTS, **data}

    def name(key: str) -> str:
        return _field_name(where, key)

    salt = values.get("salt", default_salt)
    if salt is None:
        raise InputError(
            name("salt"), "is required (bytes32 hex); `order sign` draws one if absent"
        )
    return WorkerpoolOrder(
        workerpool=norm_user_address(values["workerpool"], name("workerpool")),
        workerpoolprice=parse_price(values["workerpoolprice"], name("workerpoolprice")),
        volume=parse_uint(values["volume"], name("volume"), low=1),
        tag=tag_to_bytes32(parse_tag(values["tag"], name("tag"))),
        category=parse_uint(values["category"], name("category")),
        trust=parse_uint(values["trust"], name("trust")),
        apprestrict=norm_user_address(values["apprestrict"], name("apprestrict")),
        datasetrestrict=norm_user_address(values["datasetrestrict"], name("datasetrestrict")),
        requesterrestrict=norm_user_address(values["requesterrestrict"], name("requesterrestrict")),
        salt=norm_bytes32(salt, name("salt")),
    )


@dataclass(frozen=True, slots=True)
class OrderDocument:
    """One order read from a file: its fields, plus ``sign`` / ``orderHash`` when present."""

    order: WorkerpoolOrder
    sign: str | None
    order_hash: str | None
    salt_given: bool


def extract_order_mapping(
    document: object, chain_id: int | None = None
) -> tuple[Mapping[str, Any], str]:
    """Find the workerpool order inside any of the shapes iExec tools write.

    Accepted: the bare order object; a marketplace record or publish body ``{"order": {...}}``;
    ``iexec.json`` ``{"order": {"workerpoolorder": {...}}}`` (also ``{"order": {"workerpool":
    {...}}}``); ``{"workerpoolorder": {...}}``; and the SDK's ``orders.json``
    ``{"<chainId>": {"workerpoolorder": {...}}}``. Returns the mapping and where it was found.
    """
    if not isinstance(document, Mapping):
        raise InputError("order", "the file must hold a JSON object", None)
    if "workerpool" in document and not isinstance(document["workerpool"], Mapping):
        return document, ""
    if "workerpool" not in document and set(document) & (set(ORDER_FIELDS) - {"salt"}):
        return document, ""  # a bare order missing its workerpool: let the field check say so
    if isinstance(document.get("workerpoolorder"), Mapping):
        return document["workerpoolorder"], "workerpoolorder"
    inner = document.get("order")
    if isinstance(inner, Mapping):
        if isinstance(inner.get("workerpoolorder"), Mapping):
            return inner["workerpoolorder"], "order.workerpoolorder"
        if isinstance(inner.get("workerpool"), Mapping):
            return inner["workerpool"], "order.workerpool"
        if "workerpool" in inner:
            return inner, "order"
    chains = {
        key: value
        for key, value in document.items()
        if isinstance(key, str)
        and key.isascii()
        and key.isdigit()
        and isinstance(value, Mapping)
        and isinstance(value.get("workerpoolorder"), Mapping)
    }
    if chains:
        if chain_id is not None and str(chain_id) in chains:
            key = str(chain_id)
        elif len(chains) == 1 and chain_id is None:
            key = next(iter(chains))
        else:
            raise InputError(
                "order",
                f"orders.json has no workerpoolorder for chain {chain_id}; has {sorted(chains)}",
            )
        return chains[key]["workerpoolorder"], f"{key}.workerpoolorder"
    raise InputError(
        "order",
        "no workerpool order found: expected the order fields, {'order': {...}}, "
        "{'workerpoolorder': {...}} or iexec.json {'order': {'workerpoolorder': {...}}}",
    )


def read_order_document(
    document: object, *, default_salt: str | None = None, chain_id: int | None = None
) -> OrderDocument:
    """Parse a whole JSON document (any accepted shape) into an :class:`OrderDocument`."""
    mapping, where = extract_order_mapping(document, chain_id)
    order = order_from_mapping(mapping, default_salt=default_salt, where=where)
    sign = mapping.get("sign")
    if sign is not None and (
        not isinstance(sign, str) or not re.fullmatch(r"0x(?:[0-9a-fA-F]{2})*", sign)
    ):
        raise InputError(
            _field_name(where, "sign"), "must be 0x-prefixed hex bytes (an even digit count)", sign
        )
    order_hash = mapping.get("orderHash")
    if order_hash is None and isinstance(document, Mapping):
        order_hash = document.get("orderHash")  # marketplace records keep it beside the order
    if order_hash is not None:
        order_hash = norm_bytes32(order_hash, _field_name(where, "orderHash"))
    return OrderDocument(
        order=order,
        sign=None if sign is None else sign.lower(),
        order_hash=order_hash,
        salt_given=mapping.get("salt") is not None,
    )


def order_to_json(
    order: WorkerpoolOrder, *, numbers: Literal["int", "str"] = "int"
) -> dict[str, int | str]:
    """The marketplace API shape: ten fields, lower-case hex, numbers as ints or decimal strings.

    The SDK sends decimal strings (safe for JavaScript beyond 2**53); the marketplace accepts both.
    """
    out: dict[str, int | str] = dict(order.fields())
    if numbers == "str":
        for key in ("workerpoolprice", "volume", "category", "trust"):
            out[key] = str(out[key])
    return out


def signed_to_json(
    signed: SignedWorkerpoolOrder, *, numbers: Literal["int", "str"] = "int"
) -> dict[str, int | str]:
    """The ten fields plus ``sign`` and ``orderHash``: what ``pricebot order sign`` prints."""
    out = order_to_json(signed.order, numbers=numbers)
    out["sign"] = signed.sign
    out["orderHash"] = signed.order_hash
    return out


def order_to_iexec_json(order: WorkerpoolOrder) -> dict[str, Any]:
    """``iexec.json`` shape, as ``iexec order init --workerpool`` writes it.

    Numbers are decimal strings; the tag is a list of names when every set bit has a name (the
    SDK's preferred spelling), else bytes32 hex.
    """
    tag = order.tag_int
    known_mask = sum(1 << bit for bit in TAG_BITS.values())
    body: dict[str, Any] = order_to_json(order, numbers="str")
    body["tag"] = tag_names(tag) if tag & ~known_mask == 0 else order.tag
    return {"order": {"workerpoolorder": body}}


def order_from_payload(payload: dict[str, Any]) -> SignedWorkerpoolOrder:
    """Rebuild a signed order from its marketplace JSON shape (what ``to_json`` wrote)."""
    order = WorkerpoolOrder(
        workerpool=payload["workerpool"],
        workerpoolprice=int(payload["workerpoolprice"]),
        volume=int(payload["volume"]),
        tag=payload["tag"],
        category=int(payload["category"]),
        trust=int(payload["trust"]),
        apprestrict=payload["apprestrict"],
        datasetrestrict=payload["datasetrestrict"],
        requesterrestrict=payload["requesterrestrict"],
        salt=payload["salt"],
    )
    return SignedWorkerpoolOrder(order=order, sign=payload["sign"], order_hash=payload["orderHash"])

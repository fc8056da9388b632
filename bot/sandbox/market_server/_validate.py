"""Query and body validation with the real API's rules and messages (yup schemas upstream).

iexec-market-api validates with yup (``api/src/utils/validator.js``): integers are 0..2^53-2,
addresses are normalised to checksum form whatever their case, bytes32 values are lower-cased
hex, ``any`` is accepted where a restriction filter allows it. The first failing field wins and
its message names the field, so clients can show it as is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from eth_utils.address import to_checksum_address

from ._errors import ValidationError

__all__ = [
    "ANY",
    "MAX_INT",
    "ORDER_FIELDS",
    "OrderKind",
    "Page",
    "address",
    "address_or_any",
    "boolean",
    "bytes32",
    "chain_id",
    "page",
    "positive_int",
    "signed_order",
]

ANY = "any"
# yup positiveIntSchema: .max(Number.MAX_SAFE_INTEGER - 1)
MAX_INT = 2**53 - 2
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

OrderKind = Literal["workerpoolorder", "requestorder", "apporder", "datasetorder"]

_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
_BYTES32_RE = re.compile(r"^0x([0-9a-f]{2}){32}$")
_SIGN_RE = re.compile(r"^0x([0-9a-f]{2})*$")
_INT_RE = re.compile(r"^\s*[-+]?\d+(\.0*)?\s*$")

# Field kinds, in the order the upstream schemas declare them (the first error reported wins).
_A, _P, _S, _B, _T = "address", "positive", "strict", "bytes32", "string"
ORDER_FIELDS: dict[str, list[tuple[str, str]]] = {
    "apporder": [
        ("app", _A),
        ("appprice", _P),
        ("volume", _S),
        ("tag", _B),
        ("datasetrestrict", _A),
        ("workerpoolrestrict", _A),
        ("requesterrestrict", _A),
    ],
    "datasetorder": [
        ("dataset", _A),
        ("datasetprice", _P),
        ("volume", _S),
        ("tag", _B),
        ("apprestrict", _A),
        ("workerpoolrestrict", _A),
        ("requesterrestrict", _A),
    ],
    "workerpoolorder": [
        ("workerpool", _A),
        ("workerpoolprice", _P),
        ("volume", _S),
        ("tag", _B),
        ("category", _P),
        ("trust", _P),
        ("apprestrict", _A),
        ("datasetrestrict", _A),
        ("requesterrestrict", _A),
    ],
    "requestorder": [
        ("app", _A),
        ("appmaxprice", _P),
        ("dataset", _A),
        ("datasetmaxprice", _P),
        ("workerpool", _A),
        ("workerpoolmaxprice", _P),
        ("requester", _A),
        ("volume", _S),
        ("tag", _B),
        ("category", _P),
        ("trust", _P),
        ("beneficiary", _A),
        ("callback", _A),
        ("params", _T),
    ],
}


def chain_id(query: Mapping[str, str], supported: int) -> int:
    value = query.get("chainId")
    if value is None or value == "":
        raise ValidationError("chainId is a required field")
    if value != str(supported):
        raise ValidationError(f"chainId {value} is not supported")
    return supported


def address(name: str, value: object) -> str:
    """Checksummed address, any input case accepted (``getAddress(value.toLowerCase())``)."""
    if not isinstance(value, str) or not _ADDRESS_RE.match(value):
        raise ValidationError(f"{name} is not a valid ethereum address")
    return str(to_checksum_address(value.lower()))


def address_or_any(name: str, value: object) -> str:
    if value == ANY:
        return ANY
    if not isinstance(value, str) or not _ADDRESS_RE.match(value):
        raise ValidationError(f"{name} is not a valid ethereum address")
    return str(to_checksum_address(value.lower()))


def bytes32(name: str, value: object) -> str:
    if not isinstance(value, str) or not _BYTES32_RE.match(value.lower()):
        raise ValidationError(f"{name} must be a bytes32 hexstring")
    return value.lower()


def _shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def positive_int(name: str, value: object, *, low: int = 0, high: int = MAX_INT) -> int:
    """yup ``number().integer().min(low).max(high)``; numbers may come as decimal strings."""
    if isinstance(value, bool):
        number: int | float | None = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else value
    elif isinstance(value, str) and _INT_RE.match(value):
        number = int(float(value)) if "." in value else int(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    else:
        number = None
    if number is None:
        raise ValidationError(
            f"{name} must be a `number` type, but the final value was: `NaN` "
            f"(cast from the value `{_shown(value)}`)."
        )
    if isinstance(number, float):
        raise ValidationError(f"{name} must be an integer")
    if number < low:
        raise ValidationError(f"{name} must be greater than or equal to {low}")
    if number > high:
        raise ValidationError(f"{name} must be less than or equal to {high}")
    return number


def boolean(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ValidationError(
        f"{name} must be a `boolean` type, but the final value was: `{_shown(value)}`."
    )


@dataclass(frozen=True, slots=True)
class Page:
    """``limit`` documents after ``skip``; ``nextPage`` is the legacy skip offset."""

    skip: int
    limit: int


def page(query: Mapping[str, str], default_size: int) -> Page:
    """``pageIndex``/``pageSize`` (size 10..1000) or the deprecated raw-offset ``page``."""
    index = query.get("pageIndex")
    size = query.get("pageSize")
    legacy = query.get("page")
    if index is not None or size is not None:
        limit = (
            positive_int("pageSize", size, low=10, high=1000) if size is not None else default_size
        )
        idx = positive_int("pageIndex", index) if index is not None else 0
        return Page(skip=limit * idx, limit=limit)
    skip = positive_int("page", legacy) if legacy is not None else 0
    return Page(skip=skip, limit=default_size)


def signed_order(kind: OrderKind, body: object) -> dict[str, Any]:
    """The ``{"order": {...}}`` body of a publish: every field required, cast like yup does."""
    if not isinstance(body, dict):
        raise ValidationError("order is a required field")
    raw = body.get("order")
    if raw is None:
        raise ValidationError("order is a required field")
    if not isinstance(raw, dict):
        raise ValidationError(f"order is not a valid signed {kind}")
    out: dict[str, Any] = {}
    for name, rule in ORDER_FIELDS[kind]:
        path = f"order.{name}"
        value = raw.get(name)
        if value is None:
            if rule == _T:  # params is optional upstream; EIP-712 hashes it as ""
                out[name] = ""
                continue
            raise ValidationError(f"{path} is a required field")
        if rule == _A:
            out[name] = address(path, value)
        elif rule == _P:
            out[name] = positive_int(path, value)
        elif rule == _S:
            out[name] = positive_int(path, value, low=1)
        elif rule == _B:
            out[name] = bytes32(path, value)
        else:
            if not isinstance(value, str):
                raise ValidationError(f"{path} must be a `string` type")
            out[name] = value
    salt = raw.get("salt")
    if salt is None:
        raise ValidationError("order.salt is a required field")
    out["salt"] = bytes32("order.salt", salt)
    sign = raw.get("sign")
    if sign is None:
        raise ValidationError("order.sign is a required field")
    if not isinstance(sign, str) or not _SIGN_RE.match(sign.lower()):
        raise ValidationError("order.sign must be a valid signature")
    out["sign"] = sign.lower()
    return out

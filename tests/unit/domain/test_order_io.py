"""Order JSON shapes and the price parser: what iExec tools write is read, the rest refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import InputError
from bot.domain.model import MAX_UINT256, tag_to_bytes32
from bot.domain.networks import get_network
from bot.domain.order_io import (
    extract_order_mapping,
    format_rlc,
    order_from_mapping,
    order_to_iexec_json,
    order_to_json,
    parse_price,
    parse_uint,
    read_order_document,
)
from bot.domain.signing import hash_order
from tests.support import vectors as v


@pytest.mark.parametrize(
    ("text", "nrlc"),
    [
        (0, 0),
        (5, 5),
        ("5", 5),
        ("5 nRLC", 5),
        ("5nrlc", 5),
        ("0.1 RLC", 100_000_000),
        ("1 RLC", 10**9),
        ("1.5 rlc", 1_500_000_000),
        ("0.000000001 RLC", 1),
        ("0.100000000 RLC", 100_000_000),
        ("  12 RLC ", 12 * 10**9),
        ("1000000 RLC", 10**15),
        (MAX_UINT256, MAX_UINT256),
    ],
)
def test_parse_price_accepts(text: object, nrlc: int) -> None:
    assert parse_price(text) == nrlc


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (0.1, "floats are not exact"),
        (True, "must be a price"),
        (-1, "non-negative"),
        ("-1 RLC", "non-negative amount"),
        ("1.5", "fractional amount needs a unit"),
        ("1.5 nRLC", "more than 0 decimals"),
        ("0.0000000001 RLC", "more than 9 decimals"),
        ("5 ETH", "unit must be RLC or nRLC"),
        ("1e9", "non-negative amount"),
        ("", "non-negative amount"),
        (None, "must be a price"),
        (MAX_UINT256 + 1, "uint256"),
        (f"{MAX_UINT256 + 1}", "uint256"),
    ],
)
def test_parse_price_refuses_with_field_and_rule(value: object, rule: str) -> None:
    with pytest.raises(InputError) as info:
        parse_price(value, "rails.floor")
    assert info.value.field == "rails.floor"
    assert rule in str(info.value)


@pytest.mark.parametrize(
    ("nrlc", "text"),
    [
        (0, "0 RLC"),
        (1, "0.000000001 RLC"),
        (10**9, "1 RLC"),
        (1_230_000_000, "1.23 RLC"),
        (-5 * 10**8, "-0.5 RLC"),
    ],
)
def test_format_rlc(nrlc: int, text: str) -> None:
    assert format_rlc(nrlc) == text
    assert format_rlc(nrlc, unit=False) == text.removesuffix(" RLC")


@given(st.integers(min_value=0, max_value=MAX_UINT256))
def test_format_then_parse_is_identity(nrlc: int) -> None:
    assert parse_price(format_rlc(nrlc)) == nrlc
    assert parse_price(f"{nrlc} nRLC") == nrlc


def test_parse_uint() -> None:
    assert parse_uint("42", "volume") == 42
    for bad in (True, 1.0, "0x10", "-3", [1]):
        with pytest.raises(InputError, match="volume"):
            parse_uint(bad, "volume")
    with pytest.raises(InputError, match="between 1"):
        parse_uint(0, "volume", low=1)


def sdk_strings(order: dict[str, Any]) -> dict[str, Any]:
    """The same order as the SDK writes it: decimal strings, checksummed/upper-case hex."""
    out = {k: str(val) if isinstance(val, int) else val for k, val in order.items()}
    out["workerpool"] = "0x" + order["workerpool"][2:].upper()
    return out


def test_api_shape_with_strings_and_any_case_gives_same_order() -> None:
    assert order_from_mapping(sdk_strings(v.GOLDEN_ORDER)) == order_from_mapping(v.GOLDEN_ORDER)


def test_iexec_json_shape_with_unit_price_and_tag_names() -> None:
    doc = {
        "order": {
            "workerpoolorder": {
                "workerpool": v.GOLDEN_ORDER["workerpool"],
                "workerpoolprice": "1 RLC",
                "volume": "10",
                "tag": [],
                "category": "0",
                "trust": "0",
                "apprestrict": v.ZERO,
                "datasetrestrict": v.ZERO,
                "requesterrestrict": v.ZERO,
                "salt": v.GOLDEN_ORDER["salt"],
            }
        }
    }
    parsed = read_order_document(doc)
    assert parsed.order == order_from_mapping(v.GOLDEN_ORDER)
    assert hash_order(get_network("bellecour"), parsed.order) == v.GOLDEN_HASH


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        (["tee", "tdx"], 0x9),
        ("tee,tdx", 0x9),
        (["gpu"], 0x100),
        ("0x" + "0" * 61 + "109", 0x109),
        ([], 0),
    ],
)
def test_tag_spellings(tag: object, value: int) -> None:
    order = order_from_mapping({**v.GOLDEN_ORDER, "tag": tag})
    assert order.tag == tag_to_bytes32(value)


def test_defaults_follow_the_sdk_template() -> None:
    order = order_from_mapping(
        {"workerpool": v.GOLDEN_ORDER["workerpool"], "category": 2, "salt": v.ZERO32}
    )
    assert (order.workerpoolprice, order.volume, order.tag_int, order.trust) == (0, 1, 0, 0)
    assert order.apprestrict == order.datasetrestrict == order.requesterrestrict == v.ZERO


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"workerpoolPrice": 1}, "workerpoolPrice"),
        ({"workerpool": "0x123"}, "workerpool"),
        ({"volume": 0}, "volume"),
        ({"volume": "1.5"}, "volume"),
        ({"category": -1}, "category"),
        ({"trust": "high"}, "trust"),
        ({"tag": ["sgx"]}, "tag"),
        ({"tag": "0x01"}, "tag"),
        ({"salt": "0x1234"}, "salt"),
        ({"apprestrict": "nobody"}, "apprestrict"),
        ({"workerpoolprice": 0.5}, "workerpoolprice"),
    ],
)
def test_bad_fields_are_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        order_from_mapping({**v.GOLDEN_ORDER, **change})
    assert info.value.field == field


@pytest.mark.parametrize("missing", ["workerpool", "category", "salt"])
def test_required_fields(missing: str) -> None:
    data = {k: val for k, val in v.GOLDEN_ORDER.items() if k != missing}
    with pytest.raises(InputError, match=f"^{missing}: is required"):
        order_from_mapping(data)


def test_missing_salt_uses_the_default_when_given() -> None:
    data = {k: val for k, val in v.GOLDEN_ORDER.items() if k != "salt"}
    doc = read_order_document(data, default_salt="0x" + "ee" * 32)
    assert doc.order.salt == "0x" + "ee" * 32 and not doc.salt_given
    assert read_order_document(v.GOLDEN_ORDER, default_salt="0x" + "ee" * 32).salt_given


def test_nested_error_names_the_path() -> None:
    with pytest.raises(InputError) as info:
        read_order_document({"order": {"workerpoolorder": {**v.GOLDEN_ORDER, "volume": 0}}})
    assert info.value.field == "order.workerpoolorder.volume"


@pytest.mark.parametrize(
    "wrap",
    [
        lambda o: o,
        lambda o: {"order": o},
        lambda o: {
            "orderHash": "0x" + "00" * 32,
            "order": o,
            "chainId": 134,
            "remaining": 3,
            "status": "open",
        },
        lambda o: {"workerpoolorder": o},
        lambda o: {"order": {"workerpoolorder": o}},
        lambda o: {"order": {"workerpool": o}},
        lambda o: {"134": {"workerpoolorder": o}},
    ],
)
def test_all_document_shapes(wrap: Any) -> None:
    mapping, _ = extract_order_mapping(wrap(v.GOLDEN_ORDER), 134)
    assert order_from_mapping(mapping) == order_from_mapping(v.GOLDEN_ORDER)


def test_orders_json_picks_the_chain() -> None:
    doc = {"134": {"workerpoolorder": v.GOLDEN_ORDER}, "42161": {"workerpoolorder": v.SDK_ORDER}}
    assert read_order_document(doc, chain_id=42161).order == order_from_mapping(v.SDK_ORDER)
    with pytest.raises(InputError, match="no workerpoolorder for chain 421614"):
        read_order_document(doc, chain_id=421614)


@pytest.mark.parametrize("doc", [[], "x", {"foo": 1}, {"order": {"app": "0x"}}])
def test_no_order_found(doc: object) -> None:
    with pytest.raises(InputError, match="order"):
        read_order_document(doc)


def test_signed_document_keeps_sign_and_hash() -> None:
    doc = read_order_document(
        {
            **v.GOLDEN_ORDER,
            "sign": v.GOLDEN_SIGN.upper().replace("0X", "0x"),
            "orderHash": v.GOLDEN_HASH,
        }
    )
    assert doc.sign == v.GOLDEN_SIGN and doc.order_hash == v.GOLDEN_HASH
    record = read_order_document(
        {"orderHash": v.GOLDEN_HASH, "order": {**v.GOLDEN_ORDER, "sign": v.GOLDEN_SIGN}}
    )
    assert record.order_hash == v.GOLDEN_HASH
    with pytest.raises(InputError, match="sign"):
        read_order_document({**v.GOLDEN_ORDER, "sign": "zz"})


def test_writers_round_trip() -> None:
    order = order_from_mapping({**v.GOLDEN_ORDER, "tag": ["tee", "tdx", "gpu"], "trust": 1})
    assert order_from_mapping(order_to_json(order)) == order
    as_str = order_to_json(order, numbers="str")
    assert as_str["volume"] == "10" and order_from_mapping(as_str) == order
    iexec = order_to_iexec_json(order)
    assert iexec["order"]["workerpoolorder"]["tag"] == ["tee", "tdx", "gpu"]
    assert read_order_document(iexec).order == order
    odd = order_from_mapping({**v.GOLDEN_ORDER, "tag": "0x" + "0" * 62 + "10"})
    assert order_to_iexec_json(odd)["order"]["workerpoolorder"]["tag"] == odd.tag


@given(
    whole=st.integers(min_value=0, max_value=10**12),
    fraction=st.text(alphabet="0123456789", min_size=0, max_size=9),
    unit=st.sampled_from(["RLC", "rlc", " RLC", "Rlc"]),
)
def test_parse_price_agrees_with_decimal(whole: int, fraction: str, unit: str) -> None:
    from decimal import Decimal

    text = f"{whole}.{fraction}{unit}" if fraction else f"{whole}{unit}"
    expected = Decimal(f"{whole}.{fraction or '0'}") * 10**9
    assert parse_price(text) == int(expected) and expected == int(expected)


def test_bare_order_without_workerpool_names_the_field() -> None:
    data = {k: val for k, val in v.GOLDEN_ORDER.items() if k != "workerpool"}
    with pytest.raises(InputError, match=r"^workerpool: is required"):
        read_order_document(data)

"""Wire models: what is accepted, what is refused, and how it maps onto bot.domain.model values."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import ValidationError

from bot.adapters.market_models import (
    WireCategory,
    WireDeal,
    WireWorkerpoolOrderRecord,
    challenge_text,
    to_book_entry,
    to_category,
    to_deal,
    to_own_order,
)
from bot.domain.errors import MalformedResponse, NetworkMismatch
from bot.domain.model import MAX_SAFE_INTEGER, MarketStatus
from tests.support.market_fakes import CHAIN_ID, POOL, deal_record, make_order, record

GOOD_CHALLENGE: dict[str, Any] = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
        ],
        "Challenge": [{"name": "challenge", "type": "string"}],
    },
    "domain": {"name": "iExec Gateway", "version": "1", "chainId": str(CHAIN_ID)},
    "primaryType": "Challenge",
    "message": {
        "challenge": "Sign this message to log into iExec Gateway: aB3dE5fG7hJ9kL1mN3pQ5rS7tV9wX1yZ"
    },
}


def variant(path: str, value: Any) -> dict[str, Any]:
    """A copy of the good challenge with one key set (``value=...`` deletes it)."""
    data = copy.deepcopy(GOOD_CHALLENGE)
    *parents, last = path.split(".")
    node: Any = data
    for p in parents:
        node = node[p]
    if value is Ellipsis:
        del node[last]
    else:
        node[last] = value
    return data


def test_the_genuine_challenge_is_accepted_with_string_or_integer_chain_id() -> None:
    text = challenge_text(GOOD_CHALLENGE, CHAIN_ID)
    assert text == GOOD_CHALLENGE["message"]["challenge"]
    assert challenge_text(variant("domain.chainId", CHAIN_ID), CHAIN_ID) == text


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("domain.verifyingContract", "0x" + "12" * 20),
        ("domain.name", "iExecODB"),
        ("domain.version", "5.0.0"),
        ("domain.salt", "0x" + "00" * 32),
        ("primaryType", "WorkerpoolOrder"),
        ("types.WorkerpoolOrder", [{"name": "workerpool", "type": "address"}]),
        ("types.Challenge", [{"name": "challenge", "type": "bytes32"}]),
        ("types.EIP712Domain", [{"name": "name", "type": "string"}]),
        ("message.challenge", "Transfer all my RLC to 0xdead"),
        ("message.challenge", "Sign this message to log into iExec Gateway: "),
        ("message.challenge", "Sign this message to log into iExec Gateway: a b\nc"),
        # a trailing newline used to pass ("$" matches before it): the signed text is then not
        # the one the shape check approved
        ("message.challenge", "Sign this message to log into iExec Gateway: aB3dE5fG7hJ9\n"),
        ("domain.chainId", "١٣٣"),  # Unicode digits are not a chain id
        ("message.extra", "x"),
        ("message.challenge", 12345),
        ("extra", {}),
        ("message", ...),
    ],
)
def test_anything_but_the_gateway_login_is_refused(path: str, value: Any) -> None:
    with pytest.raises(MalformedResponse) as info:
        challenge_text(variant(path, value), CHAIN_ID)
    assert "GET /challenge" in str(info.value)


def test_a_challenge_for_another_chain_is_a_network_mismatch() -> None:
    with pytest.raises(NetworkMismatch, match="chain 134"):
        challenge_text(variant("domain.chainId", "134"), CHAIN_ID)


@pytest.mark.parametrize("payload", [None, [], "challenge", 7])
def test_a_challenge_that_is_not_an_object_is_refused(payload: Any) -> None:
    with pytest.raises(MalformedResponse):
        challenge_text(payload, CHAIN_ID)


def test_record_maps_to_book_entry_and_own_order() -> None:
    signed = make_order(price=1234, volume=7, tag="0x" + "0" * 63 + "9", trust=1, category=2)
    raw = record(signed, remaining=5, ts=1_568_196_218.068)
    raw["publicationTimestamp"] = "2019-09-11T10:03:38.068Z"
    raw["signer"] = raw["signer"].upper().replace("0X", "0x")
    rec = WireWorkerpoolOrderRecord.model_validate(raw)
    entry = to_book_entry(rec)
    assert entry.order_hash == signed.order_hash
    assert (entry.price, entry.volume, entry.remaining) == (1234, 7, 5)
    assert (entry.category, entry.tag, entry.trust) == (2, 9, 1)
    assert entry.published_at == pytest.approx(1_568_196_218.068)
    assert entry.owner == raw["signer"].lower()
    assert entry.workerpool == POOL
    assert entry.status is MarketStatus.OPEN
    own = to_own_order(rec)
    assert own.signed == signed
    assert own.published and own.remaining == 5


def _mutate(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(raw))
    *parents, last = path.split(".")
    node = out
    for p in parents:
        node = node[p]
    if value is Ellipsis:
        del node[last]
    else:
        node[last] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        ("order.workerpoolprice", MAX_SAFE_INTEGER + 1, "order.workerpoolprice"),
        ("order.workerpoolprice", -1, "order.workerpoolprice"),
        ("order.workerpoolprice", 1.5, "order.workerpoolprice"),
        ("order.workerpoolprice", "1000", "order.workerpoolprice"),
        ("order.workerpoolprice", True, "order.workerpoolprice"),
        ("order.volume", 0, "order.volume"),
        ("order.workerpool", "0x1234", "order.workerpool"),
        ("order.tag", "gpu", "order.tag"),
        ("order.sign", "not-hex", "order.sign"),
        ("order", ..., "order"),
        ("remaining", 99, "remaining exceeds"),
        ("remaining", -1, "remaining"),
        ("status", "pending", "status"),
        ("publicationTimestamp", 1568196218, "publicationTimestamp"),
        ("publicationTimestamp", "yesterday", "publicationTimestamp"),
        ("publicationTimestamp", "2019-09-11T10:03:38.068+02:00", "publicationTimestamp"),
        ("chainId", "abc", "chainId"),
        ("chainId", 0, "chainId"),
        ("signer", None, "signer"),
        ("orderHash", "0x12", "orderHash"),
    ],
)
def test_hostile_records_fail_validation_naming_the_field(
    path: str, value: Any, needle: str
) -> None:
    raw = record(make_order(volume=5))
    with pytest.raises(ValidationError) as info:
        WireWorkerpoolOrderRecord.model_validate(_mutate(raw, path, value))
    assert needle in str(info.value)


def test_deal_maps_price_pool_and_time() -> None:
    raw = deal_record(price=777, ts=1_700_000_123.5, block=42, category=3)
    deal = to_deal(WireDeal.model_validate(raw))
    assert (deal.price, deal.workerpool, deal.category, deal.volume) == (777, POOL, 3, 1)
    assert deal.at == pytest.approx(1_700_000_123.5)
    assert deal.deal_id == raw["dealid"]


def test_category_maps_and_rejects_zero_reference_time() -> None:
    raw = {
        "catid": 2,
        "chainId": CHAIN_ID,
        "name": "M",
        "description": "",
        "workClockTimeRef": 3600,
    }
    cat = to_category(WireCategory.model_validate(raw))
    assert (cat.id, cat.name, cat.work_clock_time_ref) == (2, "M", 3600)
    with pytest.raises(ValidationError, match="workClockTimeRef"):
        WireCategory.model_validate({**raw, "workClockTimeRef": 0})


def test_a_validation_error_naming_a_hostile_key_stays_one_line() -> None:
    """Regression (fuzz, #19): a key the server chose is part of the error's location; a newline
    in it used to reach the log line whole (a forged log line)."""
    from pydantic import ValidationError as _ValidationError

    from bot.adapters.market_models import ChallengeTypedData, describe_validation_error

    payload = {
        "types": {"\nERROR pricebot: forged": None},
        "domain": {},
        "primaryType": "Challenge",
        "message": {},
    }
    try:
        ChallengeTypedData.model_validate(payload)
    except _ValidationError as exc:
        text = describe_validation_error(exc)
    else:
        raise AssertionError("the payload must be refused")
    assert "\n" not in text
    assert text.startswith("types.ERROR pricebot: forged: ")

"""Every marketplace payload model under arbitrary and mutated JSON: a value or a clear error.

Whatever the marketplace sends, a wire model either validates into values that respect the
API's own rules (integers in 0..2^53-1, remaining <= volume) or raises pydantic's
``ValidationError``, which the client turns into a dropped record or ``MalformedResponse`` with a
description naming the field. Nothing else may escape: no ``TypeError`` from a string where an
int was expected, no ``OverflowError``, no ``RecursionError``. Example counts: tests/support/fuzz.py.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from bot.adapters.market_models import (
    ChallengeTypedData,
    WireCategory,
    WireDeal,
    WireOrdersPage,
    WireRequestOrderRecord,
    WireWorkerpoolOrderRecord,
    describe_validation_error,
    to_book_entry,
    to_deal,
    to_request_view,
)
from bot.domain.errors import BotError
from bot.domain.model import MAX_SAFE_INTEGER
from tests.support.fuzz import fuzz_settings
from tests.support.market_fakes import deal_record, make_order, record, request_record

KIND = "payload"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([0, -1, MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1, 2**256]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=24),
    st.sampled_from(
        [
            "0x" + "ab" * 20,
            "0x" + "cd" * 32,
            "open",
            "dead",
            "2024-01-01T00:00:00.000Z",
            "1e9",
            "NaN",
            "-5",
            "١٢",
            "0x",
            "0x" + "ab" * 20 + "\n",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=16,
)


def _paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    return out


def mutated(template: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A valid payload with one to three fields (at any depth) replaced or deleted."""
    paths = _paths(template)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        doc: dict[str, Any] = json.loads(json.dumps(template))
        for _ in range(draw(st.integers(1, 3))):
            path = draw(st.sampled_from(paths))
            node: Any = doc
            for key in path[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                continue
            if draw(st.booleans()) and path[-1] in node:
                del node[path[-1]]
            else:
                node[path[-1]] = draw(json_values)
        return doc

    return build()


def _payloads(template: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.one_of(mutated(template), json_values)


def _validate(model: type[BaseModel], payload: Any) -> BaseModel | None:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        text = describe_validation_error(exc)
        assert text and "\n" not in text  # one clear line naming the field
        return None


ORDER = record(make_order(price=7))
REQUEST = request_record(5)
DEAL = deal_record(7, 1_700_000_000.0)
CATEGORY = {"catid": 0, "chainId": 31337, "name": "XS", "description": "", "workClockTimeRef": 300}
PAGE = {"ok": True, "count": 1, "nextPage": None, "orders": [ORDER]}
CHALLENGE = {
    "types": {
        "EIP712Domain": [{"name": "name", "type": "string"}],
        "Challenge": [{"name": "challenge", "type": "string"}],
    },
    "domain": {"name": "iExec Gateway", "version": "1", "chainId": "31337"},
    "primaryType": "Challenge",
    "message": {"challenge": "Sign this message to log into iExec Gateway: abcdefghij"},
}


@fuzz_settings(KIND)
@given(_payloads(ORDER))
def test_workerpool_order_records(payload: Any) -> None:
    rec = _validate(WireWorkerpoolOrderRecord, payload)
    if rec is None:
        return
    assert isinstance(rec, WireWorkerpoolOrderRecord)
    assert 0 <= rec.order.workerpoolprice <= MAX_SAFE_INTEGER
    assert 0 <= rec.remaining <= rec.order.volume
    try:
        entry = to_book_entry(rec)
    except BotError:
        return
    assert entry.price == rec.order.workerpoolprice


@fuzz_settings(KIND)
@given(_payloads(REQUEST))
def test_request_order_records(payload: Any) -> None:
    rec = _validate(WireRequestOrderRecord, payload)
    if rec is None:
        return
    assert isinstance(rec, WireRequestOrderRecord)
    assert 0 <= rec.order.workerpoolmaxprice <= MAX_SAFE_INTEGER
    with contextlib.suppress(BotError):
        to_request_view(rec)


@fuzz_settings(KIND)
@given(_payloads(DEAL))
def test_deals(payload: Any) -> None:
    deal = _validate(WireDeal, payload)
    if deal is None:
        return
    assert isinstance(deal, WireDeal)
    assert deal.volume >= 1
    with contextlib.suppress(BotError):
        to_deal(deal)


@fuzz_settings(KIND)
@given(_payloads(CATEGORY))
def test_categories(payload: Any) -> None:
    cat = _validate(WireCategory, payload)
    if cat is not None:
        assert isinstance(cat, WireCategory)
        assert 1 <= cat.workClockTimeRef <= MAX_SAFE_INTEGER


@fuzz_settings(KIND)
@given(_payloads(PAGE))
def test_order_pages(payload: Any) -> None:
    page = _validate(WireOrdersPage, payload)
    if page is not None:
        assert isinstance(page, WireOrdersPage)
        assert page.ok is True and 0 <= page.count <= MAX_SAFE_INTEGER


@fuzz_settings(KIND)
@given(_payloads(CHALLENGE))
def test_challenge_typed_data(payload: Any) -> None:
    _validate(ChallengeTypedData, payload)


@fuzz_settings(KIND)
@given(st.lists(_payloads(ORDER), max_size=5))
def test_a_page_of_mixed_records_keeps_only_valid_ones(items: list[Any]) -> None:
    kept = [r for r in (_validate(WireWorkerpoolOrderRecord, i) for i in items) if r is not None]
    assert len(kept) <= len(items)


def test_the_templates_are_valid() -> None:
    """The mutations start from payloads the models accept (else the fuzz proves little)."""
    for model, doc in (
        (WireWorkerpoolOrderRecord, ORDER),
        (WireRequestOrderRecord, REQUEST),
        (WireDeal, DEAL),
        (WireCategory, CATEGORY),
        (WireOrdersPage, PAGE),
        (ChallengeTypedData, CHALLENGE),
    ):
        assert _validate(model, doc) is not None, model.__name__

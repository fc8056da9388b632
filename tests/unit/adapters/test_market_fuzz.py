"""Property tests: whatever the server sends, the client answers with values or a BotError."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.market_api import MarketApiClient
from bot.adapters.market_models import CHALLENGE_PREFIX, challenge_text
from bot.adapters.retrying import RetryPolicy
from bot.domain.errors import BotError, MalformedResponse, NetworkMismatch
from bot.domain.model import BookEntry
from bot.engine.ports import BookQuery
from tests.support.market_fakes import CHAIN_ID, HUB, make_order, record

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["0x" + "ab" * 20, "0x" + "cd" * 32, "open", "2024-01-01T00:00:00.000Z"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)

TEMPLATE = record(make_order(price=7))  # a real hash: the client checks it against HUB


def _mutated_record(draw: st.DrawFn) -> Any:
    """A valid record with a few fields replaced by arbitrary JSON: closer to real bugs."""
    rec: dict[str, Any] = json.loads(json.dumps(TEMPLATE))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(
            st.sampled_from(
                [
                    ("orderHash",),
                    ("chainId",),
                    ("remaining",),
                    ("status",),
                    ("publicationTimestamp",),
                    ("signer",),
                    ("order",),
                    *[("order", k) for k in TEMPLATE["order"]],
                ]
            )
        )
        node = rec
        for key in path[:-1]:
            node = node[key] if isinstance(node.get(key), dict) else node
        node[path[-1]] = draw(json_values)
    return rec


mutated_records = st.composite(_mutated_record)()


def _client(body: Any) -> MarketApiClient:
    def handler(_: httpx.Request) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()  # NaN/Infinity too
        return httpx.Response(200, content=raw)

    return MarketApiClient(
        "http://market.test",
        CHAIN_ID,
        hub=HUB,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1),
        max_pages=2,
    )


def _read(body: Any) -> list[BookEntry] | BotError:
    with _client(body) as c:
        try:
            return c.workerpool_orders(BookQuery())
        except BotError as exc:
            return exc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_answer_is_a_list_or_a_bot_error(body: Any) -> None:
    out = _read(body)
    assert isinstance(out, list | BotError)


def test_the_unmutated_template_is_kept() -> None:
    out = _read({"ok": True, "orders": [TEMPLATE, TEMPLATE], "count": 2})
    assert isinstance(out, list) and [e.order_hash for e in out] == [TEMPLATE["orderHash"]]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(mutated_records, json_values), max_size=6), st.integers(-3, 50))
def test_any_records_in_a_valid_envelope_are_kept_only_if_valid(
    records: list[Any], count: int
) -> None:
    out = _read({"ok": True, "orders": records, "count": count})
    if isinstance(out, BotError):
        assert count < 0  # only the envelope itself can fail here
        return
    for entry in out:
        assert isinstance(entry, BookEntry)
        assert 0 <= entry.remaining <= entry.volume
        assert 0 <= entry.price <= 2**53 - 1


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_answer_is_a_bot_error_or_a_list(raw: bytes) -> None:
    assert isinstance(_read(raw), list | BotError)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_only_the_gateway_login_is_ever_accepted_for_signing(payload: Any) -> None:
    try:
        text = challenge_text(payload, CHAIN_ID)
    except (MalformedResponse, NetworkMismatch):
        return
    assert text.startswith(CHALLENGE_PREFIX)  # pragma: no cover - random JSON never gets here

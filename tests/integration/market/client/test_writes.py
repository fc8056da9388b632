"""Writes: challenge auth, checks before publishing, idempotence, retries, serialization."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest

from bot.adapters.market_api import MarketApiClient
from bot.adapters.retrying import RetryPolicy
from bot.domain.errors import (
    ConfigError,
    InputError,
    MalformedResponse,
    NetworkMismatch,
    RejectedError,
    RuleViolation,
    TransientError,
)
from bot.domain.model import MAX_SAFE_INTEGER, SignedWorkerpoolOrder, WorkerpoolOrder
from bot.domain.signing import gateway_challenge_hash, recover_signer
from bot.engine.ports import MarketWriter
from tests.support.market_fakes import (
    CHAIN_ID,
    OTHER_KEY,
    OWNER,
    POOL,
    FakeMarket,
    FakeTime,
    KeySigner,
    make_order,
    raise_,
    record,
    respond,
)


def test_client_implements_the_writer_port(client: MarketApiClient) -> None:
    assert isinstance(client, MarketWriter)


def test_publish_authenticates_with_a_fresh_signed_challenge(
    client: MarketApiClient, market: FakeMarket, signer: KeySigner
) -> None:
    signed = make_order(price=1500, volume=3)
    assert client.publish(signed) == signed.order_hash
    challenge, post = market.log
    assert challenge.url.path == "/challenge"
    assert challenge.url.params["address"].lower() == OWNER
    assert post.method == "POST" and post.url.params["chainId"] == str(CHAIN_ID)
    h, sig, address = post.headers["authorization"].split("_")
    assert h == gateway_challenge_hash(CHAIN_ID, signer.challenges_signed[0])
    assert recover_signer(h, sig) == OWNER == address.lower()
    body = json.loads(post.content)
    assert body == {"order": {**signed.order.fields(), "sign": signed.sign}}
    assert market.orders[signed.order_hash]["status"] == "open"


def test_every_write_spends_a_new_challenge(client: MarketApiClient, market: FakeMarket) -> None:
    a, b = make_order(), make_order()
    client.publish(a)
    client.publish(b)
    client.unpublish(a.order_hash)
    assert market.calls("GET", "/challenge") == 3
    assert set(market.orders) == {b.order_hash}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: {
            **json.loads(d),
            "domain": {**json.loads(d)["domain"], "verifyingContract": "0x" + "11" * 20},
        },
        lambda d: {**json.loads(d), "primaryType": "WorkerpoolOrderOperation"},
        lambda d: {**json.loads(d), "message": {"challenge": "Approve 1000000 RLC"}},
        lambda d: {**json.loads(d), "domain": {**json.loads(d)["domain"], "name": "iExecODB"}},
        lambda d: "please sign",
    ],
)
def test_a_tampered_challenge_is_never_signed(
    client: MarketApiClient, market: FakeMarket, signer: KeySigner, tamper: Any
) -> None:
    market.challenge_override = tamper
    with pytest.raises(MalformedResponse, match="GET /challenge"):
        client.publish(make_order())
    assert signer.challenges_signed == []
    assert market.calls("POST", "/workerpoolorders") == 0
    assert market.calls("GET", "/challenge") == 1  # never retried


def test_a_challenge_for_another_chain_is_a_network_mismatch(
    client: MarketApiClient, market: FakeMarket, signer: KeySigner
) -> None:
    def other_chain(d: str) -> Any:
        data = json.loads(d)
        data["domain"]["chainId"] = "134"
        return data

    market.challenge_override = other_chain
    with pytest.raises(NetworkMismatch):
        client.publish(make_order())
    assert signer.challenges_signed == []


def test_publish_without_a_signer_is_a_config_error(market: FakeMarket) -> None:
    with (
        MarketApiClient("http://market.test", CHAIN_ID, transport=market.transport()) as c,
        pytest.raises(ConfigError, match="signer"),
    ):
        c.publish(make_order())
    assert market.log == []


def _unchecked(price: int = 1, volume: int = 1) -> SignedWorkerpoolOrder:
    order = WorkerpoolOrder(
        workerpool=POOL,
        workerpoolprice=price,
        volume=volume,
        tag="0x" + "0" * 64,
        category=0,
        trust=0,
    )
    return SignedWorkerpoolOrder(order=order, sign="0x" + "11" * 65, order_hash="0x" + "22" * 32)


@pytest.mark.parametrize(
    ("signed", "name"),
    [
        (_unchecked(price=MAX_SAFE_INTEGER + 1), "workerpoolprice"),
        (_unchecked(volume=2**60), "volume"),
    ],
)
def test_numbers_the_marketplace_cannot_store_are_refused_before_any_request(
    client: MarketApiClient, market: FakeMarket, signed: SignedWorkerpoolOrder, name: str
) -> None:
    with pytest.raises(RuleViolation) as info:
        client.publish(signed)
    assert info.value.rule == "market-safe-integer"
    assert name in str(info.value) and "2^53-1" in str(info.value)
    assert market.log == []


def _client_with_stake(
    market: FakeMarket, stake: int, consumed: int = 0, *, fake_time: FakeTime
) -> MarketApiClient:
    return MarketApiClient(
        "http://market.test",
        CHAIN_ID,
        signer=KeySigner(),
        transport=market.transport(),
        stake_of=lambda owner: stake if owner == OWNER else 0,
        consumed_of=lambda h: consumed,
        sleep=fake_time.sleep,
    )


def test_stake_too_low_for_the_order_is_refused_naming_the_rule(
    market: FakeMarket, fake_time: FakeTime
) -> None:
    signed = make_order(price=1000, volume=10)  # needs floor(1000*30/100) * 10 = 3000
    with (
        _client_with_stake(market, 2999, fake_time=fake_time) as c,
        pytest.raises(RuleViolation) as info,
    ):
        c.publish(signed)
    assert info.value.rule == "market-stake"
    assert "3000" in str(info.value)
    assert market.log == []
    with _client_with_stake(market, 3000, fake_time=fake_time) as c:
        assert c.publish(signed) == signed.order_hash


def test_stake_counts_only_the_remaining_volume(market: FakeMarket, fake_time: FakeTime) -> None:
    signed = make_order(price=1000, volume=10)
    with _client_with_stake(market, 300 * 4, consumed=6, fake_time=fake_time) as c:
        assert c.publish(signed) == signed.order_hash
    with (
        _client_with_stake(market, 10**12, consumed=10, fake_time=fake_time) as c,
        pytest.raises(RuleViolation) as info,
    ):
        c.publish(make_order(price=1000, volume=10))
    assert info.value.rule == "market-consumed"


def test_already_published_and_open_counts_as_success(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    market.add(signed)
    assert client.publish(signed) == signed.order_hash
    assert market.calls("GET", "/workerpoolorders/:hash") == 1


def test_already_published_but_cancelled_is_rejected_with_the_status(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    market.add(signed, status="canceled", remaining=0)
    with pytest.raises(RejectedError, match=r"order already published.*canceled"):
        client.publish(signed)


def test_a_lost_answer_is_retried_and_confirmed_once_published(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    # The server stores the order, then the answer is lost: 503 from a proxy.
    market.fail_after("POST", "/workerpoolorders", respond(503, None))
    assert client.publish(signed) == signed.order_hash
    assert market.calls("POST", "/workerpoolorders") == 2
    assert market.calls("GET", "/challenge") == 2
    assert market.orders[signed.order_hash]["status"] == "open"


def test_a_dropped_connection_after_processing_is_still_one_order(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    market.fail_after("POST", "/workerpoolorders", raise_(httpx.ReadError))
    assert client.publish(signed) == signed.order_hash
    assert list(market.orders) == [signed.order_hash]


def test_a_garbled_success_answer_is_confirmed_by_reading_back(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    market.fail_after(
        "POST", "/workerpoolorders", respond(200, {"ok": True, "published": {"junk": 1}})
    )
    assert client.publish(signed) == signed.order_hash
    assert market.calls("POST", "/workerpoolorders") == 1


def test_a_publish_hashed_differently_by_the_server_is_a_network_mismatch(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    other = record(make_order())
    market.fail_after("POST", "/workerpoolorders", respond(200, {"ok": True, "published": other}))
    with pytest.raises(NetworkMismatch, match="another chain or hub"):
        client.publish(signed)


@pytest.mark.parametrize(
    "message",
    [
        "invalid sign",
        "maximum of 50 published open workerpoolorder has been reached for wallet 0xabc",
        "workerpool owner's stake is too low to cover required workerpool lock",
        "only order signer 0x1 can publish an order",
    ],
)
def test_business_errors_are_rejected_once_with_the_server_message(
    client: MarketApiClient, market: FakeMarket, message: str
) -> None:
    market.fail("POST", "/workerpoolorders", respond(403, {"ok": False, "error": message}))
    with pytest.raises(RejectedError) as info:
        client.publish(make_order())
    assert info.value.server_message == message and info.value.status == 403
    assert market.calls("POST", "/workerpoolorders") == 1


def test_the_per_wallet_cap_from_the_server_surfaces(
    client: MarketApiClient, market: FakeMarket
) -> None:
    market.max_open = 2
    client.publish(make_order())
    client.publish(make_order())
    with pytest.raises(RejectedError, match=r"maximu[mn] of 2 published open workerpoolorder"):
        client.publish(make_order())


def test_a_signature_by_another_key_is_rejected_by_the_server(
    client: MarketApiClient, market: FakeMarket
) -> None:
    with pytest.raises(RejectedError, match="invalid sign"):
        client.publish(make_order(key=OTHER_KEY))


def test_unpublish_removes_and_is_idempotent(client: MarketApiClient, market: FakeMarket) -> None:
    signed = make_order()
    client.publish(signed)
    client.unpublish(signed.order_hash)
    assert signed.order_hash not in market.orders
    client.unpublish(signed.order_hash)  # "is not published" + read back 404: done
    assert market.calls("PUT", "/workerpoolorders") == 2


def test_unpublish_of_a_filled_order_is_done(client: MarketApiClient, market: FakeMarket) -> None:
    signed = make_order()
    market.add(signed, status="filled", remaining=0)
    client.unpublish(signed.order_hash)  # no RejectedError: there is nothing left to unpublish
    # asked once (PUT), told "not published", and the read-back saw it filled: done, no retry
    assert market.calls("PUT", "/workerpoolorders") == 1
    assert market.calls("GET", "/workerpoolorders/:hash") == 1
    assert market.orders[signed.order_hash]["status"] == "filled"


def test_unpublish_refused_for_an_order_still_open_is_not_taken_as_done(
    client: MarketApiClient, market: FakeMarket
) -> None:
    """The counterpart that makes the test above mean something: the same "not published" answer
    for an order the read-back still shows open must raise, not pass as done."""
    signed = make_order()
    market.add(signed)  # open and listed
    not_published = respond(400, {"ok": False, "error": f"{signed.order_hash} is not published"})
    market.fail("PUT", "/workerpoolorders", not_published, not_published, not_published)
    with pytest.raises(RejectedError):
        client.unpublish(signed.order_hash)
    assert market.orders[signed.order_hash]["status"] == "open"


def test_unpublish_refused_while_the_order_is_still_listed_is_rejected(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    market.add(signed)
    market.fail(
        "PUT",
        "/workerpoolorders",
        respond(
            403,
            {
                "ok": False,
                "error": f"workerpoolorder with orderHash {signed.order_hash} is not published",
            },
        ),
    )
    with pytest.raises(RejectedError):
        client.unpublish(signed.order_hash)


def test_unpublish_of_someone_elses_order_is_rejected(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    market.add(signed, signer="0x" + "99" * 20)
    with pytest.raises(RejectedError, match="only order signer"):
        client.unpublish(signed.order_hash)


def test_unpublish_with_a_lost_answer_is_retried_and_done(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    market.add(signed)
    market.fail_after("PUT", "/workerpoolorders", respond(502, None))
    client.unpublish(signed.order_hash)
    assert signed.order_hash not in market.orders


def test_unpublish_answer_that_does_not_list_the_order_is_malformed(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    market.add(signed)
    market.fail_after("PUT", "/workerpoolorders", respond(200, {"ok": True, "unpublished": []}))
    with pytest.raises(MalformedResponse, match="does not list"):
        client.unpublish(signed.order_hash)


def test_unpublish_refuses_a_malformed_hash(client: MarketApiClient) -> None:
    with pytest.raises(InputError) as info:
        client.unpublish("0x1234")
    assert info.value.field == "order_hash"


def test_unpublish_last_takes_the_most_recent(client: MarketApiClient, market: FakeMarket) -> None:
    first, last = make_order(), make_order()
    client.publish(first)
    client.publish(last)
    assert client.unpublish_last(POOL) == last.order_hash
    assert list(market.orders) == [first.order_hash]
    assert client.unpublish_last(POOL) == first.order_hash
    assert client.unpublish_last(POOL) is None


def test_unpublish_last_is_not_repeated_after_an_ambiguous_failure(
    client: MarketApiClient, market: FakeMarket
) -> None:
    client.publish(make_order())
    client.publish(make_order())
    market.fail_after("PUT", "/workerpoolorders", respond(503, None))
    with pytest.raises(TransientError):
        client.unpublish_last(POOL)
    assert market.calls("PUT", "/workerpoolorders") == 1
    assert len(market.orders) == 1  # a blind retry would have removed the other one too


def test_unpublish_last_is_retried_when_the_request_never_left(
    client: MarketApiClient, market: FakeMarket
) -> None:
    signed = make_order()
    client.publish(signed)
    market.fail("PUT", "/workerpoolorders", raise_(httpx.ConnectError))
    assert client.unpublish_last(POOL) == signed.order_hash


def test_unpublish_all(client: MarketApiClient, market: FakeMarket) -> None:
    hashes = {client.publish(make_order()) for _ in range(3)}
    other = make_order(pool="0x" + "22" * 20)
    market.add(other)
    assert set(client.unpublish_all(POOL)) == hashes
    assert list(market.orders) == [other.order_hash]
    assert client.unpublish_all(POOL) == []


def test_write_429_waits_for_retry_after_then_succeeds(
    client: MarketApiClient, market: FakeMarket, fake_time: FakeTime
) -> None:
    limited = respond(429, {"ok": False, "error": "Rate limit exceeded"}, {"Retry-After": "12"})
    market.fail("POST", "/workerpoolorders", limited)
    signed = make_order()
    assert client.publish(signed) == signed.order_hash
    assert sum(fake_time.sleeps) >= 12


def test_concurrent_writes_from_one_wallet_are_serialized(
    market: FakeMarket, signer: KeySigner
) -> None:
    """The real API hands the same unused challenge to both callers; unserialized, one fails."""
    orders = [make_order() for _ in range(4)]
    with MarketApiClient(
        "http://market.test",
        CHAIN_ID,
        signer=signer,
        transport=market.transport(),
        retry=RetryPolicy(attempts=1),
    ) as c:
        errors: list[BaseException] = []

        def run(o: SignedWorkerpoolOrder) -> None:
            try:
                c.publish(o)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(o,)) for o in orders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert set(market.orders) == {o.order_hash for o in orders}
    # Each write used its own challenge: GET /challenge, POST, GET /challenge, POST, ...
    assert [r.url.path for r in market.log] == ["/challenge", "/workerpoolorders"] * 4


def test_two_writes_sharing_one_challenge_collide(client: MarketApiClient) -> None:
    """Why writes are serialized: an unused challenge is handed out again until it is used,
    so two unserialized writes sign the same one and the second is refused."""
    first = client._authorization()
    second = client._authorization()
    assert first == second
    a, b = make_order(), make_order()
    for_a = {"order": {**a.order.fields(), "sign": a.sign}}
    for_b = {"order": {**b.order.fields(), "sign": b.sign}}
    client._send("POST", "/workerpoolorders", body=for_a, headers={"authorization": first})
    with pytest.raises(RejectedError, match="invalid authorization"):
        client._send("POST", "/workerpoolorders", body=for_b, headers={"authorization": second})


def test_a_spent_challenge_is_replaced_once(client: MarketApiClient, market: FakeMarket) -> None:
    """Another process with this wallet spent our challenge: one fresh try, then give up."""
    refused = respond(403, {"ok": False, "error": "invalid authorization"})
    market.fail("POST", "/workerpoolorders", refused)
    signed = make_order()
    assert client.publish(signed) == signed.order_hash
    assert market.calls("POST", "/workerpoolorders") == 2
    market.fail("POST", "/workerpoolorders", refused, refused)
    with pytest.raises(RejectedError, match="invalid authorization"):
        client.publish(make_order())
    assert market.calls("POST", "/workerpoolorders") == 4

"""Reads against the in-process marketplace: filters, pagination, hostile answers, errors."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from bot.adapters.market_api import MarketApiClient, RequestNotSent
from bot.adapters.market_models import WireWorkerpoolOrderRecord
from bot.adapters.rate_budget import RateBudget
from bot.adapters.retrying import RetryPolicy
from bot.domain.errors import (
    BudgetExhausted,
    ConfigError,
    InputError,
    MalformedResponse,
    RejectedError,
    TransientError,
)
from bot.domain.model import MarketStatus
from bot.engine.ports import BookQuery, MarketReader, OwnOrdersReader
from tests.support.market_fakes import (
    CHAIN_ID,
    OTHER_POOL,
    POOL,
    FakeMarket,
    FakeTime,
    deal_record,
    make_listed,
    make_order,
    raise_,
    record,
    request_record,
    respond,
)

PUBLIC = BookQuery(app=None, dataset=None, requester=None)


def query_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}


def test_client_implements_the_reader_port(client: MarketApiClient) -> None:
    assert isinstance(client, MarketReader)
    assert isinstance(client, OwnOrdersReader)


def test_a_slow_drip_answer_hits_the_whole_request_deadline(market: FakeMarket) -> None:
    market.add(make_listed(price=1))
    with (
        MarketApiClient(
            "http://market.test",
            CHAIN_ID,
            transport=market.transport(),
            request_deadline=0.0,
            retry=RetryPolicy(attempts=1),
        ) as c,
        pytest.raises(TransientError, match="answer took over 0s"),
    ):
        c.workerpool_orders(PUBLIC)


def test_every_filter_is_sent_as_the_api_names_it(
    client: MarketApiClient, market: FakeMarket
) -> None:
    owner = "0x" + "Ab" * 20
    q = BookQuery(
        category=3,
        min_tag=0x1,
        max_tag=0x109,
        min_trust=2,
        min_volume=4,
        workerpool=POOL.upper().replace("0X", "0x"),
        workerpool_owner=owner,
        app="0x" + "01" * 20,
        dataset="any",
        requester="0x" + "02" * 20,
        is_app_strict=True,
        is_requester_strict=False,
    )
    client.workerpool_orders(q)
    sent = query_of(market.log[-1])
    assert sent == {
        "chainId": str(CHAIN_ID),
        "category": "3",
        "minTag": "0x" + "0" * 63 + "1",
        "maxTag": "0x" + "0" * 61 + "109",
        "minTrust": "2",
        "minVolume": "4",
        "workerpool": POOL,
        "workerpoolOwner": owner.lower(),
        "app": "0x" + "01" * 20,
        "isAppStrict": "true",
        "dataset": "any",
        "isDatasetStrict": "false",
        "requester": "0x" + "02" * 20,
        "isRequesterStrict": "false",
        "pageIndex": "0",
        "pageSize": "1000",
    }


def test_without_restrict_filters_only_public_orders_are_asked_for(
    client: MarketApiClient, market: FakeMarket
) -> None:
    public = make_order(price=10)
    restricted = make_order(price=5, requesterrestrict="0x" + "02" * 20)
    market.add(public)
    market.add(restricted)
    got = client.workerpool_orders(PUBLIC)
    assert [e.order_hash for e in got] == [public.order_hash]
    sent = query_of(market.log[-1])
    assert not {"app", "dataset", "requester"} & set(sent)
    everything = client.workerpool_orders(BookQuery())
    assert [e.order_hash for e in everything] == [restricted.order_hash, public.order_hash]
    assert everything[0].is_restricted


def test_all_pages_are_read_and_the_book_is_cheapest_first(
    market: FakeMarket, fake_time: FakeTime
) -> None:
    # 2,345 orders: three pages of 1,000 (nextPage present on the two full ones).
    for i in range(2345):
        market.add(make_listed(price=10_000 - i))
    with MarketApiClient(
        "http://market.test", CHAIN_ID, transport=market.transport(), sleep=fake_time.sleep
    ) as c:
        got = c.workerpool_orders(PUBLIC)
    assert len(got) == 2345
    assert [e.price for e in got] == sorted(e.price for e in got)
    pages = [query_of(r)["pageIndex"] for r in market.log]
    assert pages == ["0", "1", "2"]


def test_duplicates_across_moving_pages_are_kept_once(market: FakeMarket) -> None:
    recs = [record(make_listed(price=p)) for p in range(1, 1002)]
    page0 = {"ok": True, "orders": recs[:1000], "count": 1001, "nextPage": 1000}
    page1 = {"ok": True, "orders": recs[999:], "count": 1001}  # one repeated
    market.fail("GET", "/workerpoolorders", respond(200, page0), respond(200, page1))
    with MarketApiClient("http://market.test", CHAIN_ID, transport=market.transport()) as c:
        got = c.workerpool_orders(PUBLIC)
    assert len(got) == 1001
    assert len({e.order_hash for e in got}) == 1001


def test_an_endless_next_page_is_cut_off(market: FakeMarket, fake_time: FakeTime) -> None:
    rec = record(make_order())
    endless = {"ok": True, "orders": [rec] * 10, "count": 10**9, "nextPage": 10}
    market.fail("GET", "/workerpoolorders", *[respond(200, endless)] * 3)
    with (
        MarketApiClient(
            "http://market.test",
            CHAIN_ID,
            transport=market.transport(),
            page_size=10,
            max_pages=3,
            sleep=fake_time.sleep,
        ) as c,
        pytest.raises(MalformedResponse, match="max_pages=3"),
    ):
        c.workerpool_orders(PUBLIC)


def test_hostile_records_are_dropped_with_a_logged_reason(
    client: MarketApiClient, market: FakeMarket, caplog: pytest.LogCaptureFixture
) -> None:
    good = make_order(price=100)
    other_pool = make_order(price=1, pool=OTHER_POOL)
    wrong_hash = record(make_order(price=2))
    wrong_hash["order"]["workerpoolprice"] = 3  # fields no longer match the hash
    missing = record(make_order(price=4))
    del missing["order"]["salt"]
    absurd = record(make_order(price=5))
    absurd["order"]["workerpoolprice"] = 10**30
    as_string = record(make_order(price=6))
    as_string["remaining"] = "5"
    other_chain = record(make_order(price=7), chain_id=134)
    closed = record(make_order(price=8), status="canceled")
    body = {
        "ok": True,
        "orders": [
            wrong_hash,
            missing,
            absurd,
            as_string,
            other_chain,
            record(other_pool),
            closed,
            "not an object",
            record(good),
        ],
        "count": 9,
    }
    market.fail("GET", "/workerpoolorders", respond(200, body))
    with caplog.at_level(logging.WARNING, logger="bot.adapters.market_api"):
        got = client.workerpool_orders(
            BookQuery(workerpool=POOL, app=None, dataset=None, requester=None)
        )
    assert [e.order_hash for e in got] == [good.order_hash]
    assert client.stats.dropped == {"GET /workerpoolorders": 8}
    text = caplog.text
    for reason in (
        "orderHash does not match",
        "order.salt",
        "order.workerpoolprice",
        "remaining",
        "chainId 134",
        f"workerpool {OTHER_POOL} but asked for {POOL}",
        "status canceled",
    ):
        assert reason in text


@pytest.mark.parametrize(
    ("response", "rule"),
    [
        (httpx.Response(200, text="<html>maintenance</html>"), "ok: true"),
        (httpx.Response(200, json={"ok": False, "error": "boom"}), "ok: true"),
        (httpx.Response(200, json={"ok": True, "orders": {}, "count": 0}), "orders must be a list"),
        (httpx.Response(200, json={"ok": True, "orders": []}), "count"),
        (httpx.Response(200, json={"ok": True, "orders": [], "count": -1}), "count"),
        (httpx.Response(200, json=[1, 2, 3]), "ok: true"),
        (httpx.Response(200, text="[" * 100_000), "ok: true"),
        (httpx.Response(302, headers={"location": "http://elsewhere"}), "HTTP 302"),
    ],
)
def test_malformed_answers_raise_a_typed_error_and_are_not_retried(
    client: MarketApiClient, market: FakeMarket, response: httpx.Response, rule: str
) -> None:
    market.fail("GET", "/workerpoolorders", lambda _: response)
    with pytest.raises(MalformedResponse, match=rule):
        client.workerpool_orders(PUBLIC)
    assert len(market.log) == 1


def test_an_oversized_body_is_refused(market: FakeMarket, fake_time: FakeTime) -> None:
    big = {"ok": True, "orders": [], "count": 0, "pad": "x" * 5000}
    market.fail("GET", "/workerpoolorders", respond(200, big))
    with (
        MarketApiClient(
            "http://market.test",
            CHAIN_ID,
            transport=market.transport(),
            max_body_bytes=4096,
            sleep=fake_time.sleep,
        ) as c,
        pytest.raises(MalformedResponse, match="larger than 4096"),
    ):
        c.workerpool_orders(PUBLIC)


@pytest.mark.parametrize(
    "fault",
    [
        respond(500, {"ok": False, "error": "Internal error"}),
        respond(503, None),
        respond(502, None),
        raise_(httpx.ConnectError),
        raise_(httpx.ReadTimeout),
        raise_(httpx.ConnectTimeout),
        raise_(httpx.RemoteProtocolError),
        raise_(httpx.ReadError),
    ],
)
def test_transient_failures_are_retried_with_backoff(
    client: MarketApiClient, market: FakeMarket, fake_time: FakeTime, fault: Any
) -> None:
    market.add(make_order())
    market.fail("GET", "/workerpoolorders", fault, fault)
    got = client.workerpool_orders(PUBLIC)
    assert len(got) == 1
    assert market.calls("GET", "/workerpoolorders") == 3
    assert client.stats.retries == 2
    assert len(fake_time.sleeps) == 2 and all(0 <= s <= 4.0 for s in fake_time.sleeps)


def test_persistent_failure_surfaces_as_transient_after_the_attempts(
    client: MarketApiClient, market: FakeMarket
) -> None:
    market.fail("GET", "/workerpoolorders", *[respond(503, {"ok": False, "error": "down"})] * 9)
    with pytest.raises(TransientError, match="HTTP 503: down"):
        client.workerpool_orders(PUBLIC)
    assert market.calls("GET", "/workerpoolorders") == 4


def test_connection_refused_is_request_not_sent(
    client: MarketApiClient, market: FakeMarket
) -> None:
    market.fail("GET", "/workerpoolorders", *[raise_(httpx.ConnectError)] * 4)
    with pytest.raises(RequestNotSent):
        client.workerpool_orders(PUBLIC)


def test_429_holds_the_shared_budget_for_retry_after(
    client: MarketApiClient, market: FakeMarket, fake_time: FakeTime
) -> None:
    market.add(make_order())
    limited = respond(429, {"ok": False, "error": "Rate limit exceeded"}, {"Retry-After": "20"})
    market.fail("GET", "/workerpoolorders", limited)
    got = client.workerpool_orders(PUBLIC)
    assert len(got) == 1
    assert client.stats.rate_limited == 1
    assert sum(fake_time.sleeps) >= 20  # the budget held every caller


def test_429_longer_than_the_budget_allows_gives_up_at_once(
    market: FakeMarket, fake_time: FakeTime
) -> None:
    budget = RateBudget(max_wait=10, clock=fake_time.clock, sleep=fake_time.sleep)
    limited = respond(429, {"ok": False, "error": "Rate limit exceeded"}, {"Retry-After": "60"})
    market.fail("GET", "/workerpoolorders", limited)
    with (
        MarketApiClient(
            "http://market.test",
            CHAIN_ID,
            budget=budget,
            transport=market.transport(),
            sleep=fake_time.sleep,
        ) as c,
        pytest.raises(BudgetExhausted) as info,
    ):
        c.workerpool_orders(PUBLIC)
    # The hold is the Retry-After capped at the policy's max_retry_after (20 s), still > 10 s.
    assert info.value.retry_after == pytest.approx(RetryPolicy().max_retry_after, abs=1)
    assert market.calls("GET", "/workerpoolorders") == 1
    assert sum(fake_time.sleeps) < 10


def test_a_burst_of_reads_stays_inside_the_budget(
    client: MarketApiClient, market: FakeMarket, fake_time: FakeTime
) -> None:
    start = fake_time.now
    for _ in range(40):
        client.workerpool_orders(PUBLIC)
    # 10 free, then 30 more at 90/min: at least 20 s of (fake) waiting.
    assert fake_time.now - start >= 30 * 60 / 90 - 1e-6
    assert client.budget.spent == 40


def test_business_4xx_is_rejected_with_the_server_message_and_not_retried(
    client: MarketApiClient, market: FakeMarket
) -> None:
    market.fail(
        "GET",
        "/workerpoolorders",
        respond(400, {"ok": False, "error": "minTag is not a valid bytes32"}),
    )
    with pytest.raises(RejectedError) as info:
        client.workerpool_orders(PUBLIC)
    assert info.value.server_message == "minTag is not a valid bytes32"
    assert info.value.status == 400
    assert len(market.log) == 1


def test_bad_query_values_are_refused_before_any_request(
    client: MarketApiClient, market: FakeMarket
) -> None:
    with pytest.raises(InputError) as info:
        client.workerpool_orders(BookQuery(workerpool="pool-1"))
    assert info.value.field == "query.workerpool"
    with pytest.raises(InputError) as info:
        client.workerpool_orders(BookQuery(category=-1))
    assert info.value.field == "query.category"
    assert market.log == []


def test_single_order_by_hash(client: MarketApiClient, market: FakeMarket) -> None:
    signed = make_order(price=42)
    market.add(signed, status="filled", remaining=0)
    entry = client.workerpool_order(signed.order_hash)
    assert entry is not None and entry.status is MarketStatus.FILLED and entry.price == 42
    assert client.workerpool_order("0x" + "99" * 32) is None


def test_single_order_answer_for_another_hash_is_malformed(
    client: MarketApiClient, market: FakeMarket
) -> None:
    asked, other = make_order(), make_order()
    market.fail("GET", "/workerpoolorders/:hash", respond(200, {"ok": True, **record(other)}))
    with pytest.raises(MalformedResponse, match="asked for"):
        client.workerpool_order(asked.order_hash)


def test_our_orders_include_restricted_ones_with_full_signed_orders(
    client: MarketApiClient, market: FakeMarket
) -> None:
    mine = make_order(price=5, requesterrestrict="0x" + "02" * 20)
    market.add(mine)
    market.add(make_order(price=1, pool=OTHER_POOL))
    got = client.our_orders(POOL)
    assert [o.signed for o in got] == [mine]
    sent = query_of(market.log[-1])
    assert sent["workerpool"] == POOL and sent["requester"] == "any"


def test_request_orders_see_open_and_addressed_demand_highest_first(
    client: MarketApiClient, market: FakeMarket
) -> None:
    market.requests = [
        request_record(100),
        request_record(300, pool=POOL),
        request_record(200),
        request_record(900, pool=OTHER_POOL),
    ]
    got = client.request_orders(category=None, workerpool=POOL)
    assert [r.workerpoolmaxprice for r in got] == [300, 200, 100]
    sent = query_of(market.log[-1])
    assert sent["workerpool"] == POOL and sent["isWorkerpoolStrict"] == "false"
    public = client.request_orders()
    assert [r.workerpoolmaxprice for r in public] == [200, 100]


def test_request_orders_for_another_pool_in_the_answer_are_dropped(
    client: MarketApiClient, market: FakeMarket
) -> None:
    body = {
        "ok": True,
        "orders": [request_record(900, pool=OTHER_POOL), request_record(5)],
        "count": 2,
    }
    market.fail("GET", "/requestorders", respond(200, body))
    got = client.request_orders(workerpool=POOL)
    assert [r.workerpoolmaxprice for r in got] == [5]
    assert client.stats.dropped == {"GET /requestorders": 1}


def test_deals_stop_paging_at_since(client: MarketApiClient, market: FakeMarket) -> None:
    # 25 deals, newest first, one per minute; page size 10 from a small-page client.
    market.deals = [deal_record(1000 + i, 1_700_000_000 - 60 * i, block=100 - i) for i in range(25)]
    with MarketApiClient(
        "http://market.test", CHAIN_ID, transport=market.transport(), page_size=10
    ) as c:
        got = c.deals(POOL, since=1_700_000_000 - 60 * 12 + 1)
    assert [d.price for d in got] == [1000 + i for i in range(12)]
    assert [query_of(r)["pageIndex"] for r in market.log] == ["0", "1"]


def test_deals_of_another_pool_are_dropped(client: MarketApiClient, market: FakeMarket) -> None:
    body = {
        "ok": True,
        "deals": [deal_record(1, 1.7e9, pool=OTHER_POOL), deal_record(2, 1.7e9)],
        "count": 2,
    }
    market.fail("GET", "/deals", respond(200, body))
    assert [d.price for d in client.deals(POOL)] == [2]


def test_categories_are_read_and_sorted(client: MarketApiClient, market: FakeMarket) -> None:
    market.categories = [
        {"catid": i, "chainId": CHAIN_ID, "name": n, "description": "", "workClockTimeRef": t}
        for i, n, t in [(1, "S", 1200), (0, "XS", 300), (2, "M", 3600)]
    ]
    assert [(c.id, c.name) for c in client.categories()] == [(0, "XS"), (1, "S"), (2, "M")]


@pytest.mark.parametrize("seed", range(20))
def test_the_fast_order_hash_is_pocos_hash(seed: int) -> None:
    import random

    from bot.adapters.market_guards import OrderHasher
    from bot.adapters.market_models import WireWorkerpoolOrder
    from bot.domain.model import WorkerpoolOrder
    from bot.domain.signing import hash_order
    from tests.support.market_fakes import NETWORK

    rnd = random.Random(seed)

    def address() -> str:
        return rnd.choice(["0x" + "00" * 20, "0x" + rnd.randbytes(20).hex()])

    order = WorkerpoolOrder(
        workerpool="0x" + rnd.randbytes(20).hex(),
        workerpoolprice=rnd.randrange(2**53),
        volume=rnd.randrange(1, 2**53),
        tag="0x" + rnd.randbytes(32).hex(),
        category=rnd.randrange(10),
        trust=rnd.randrange(200),
        apprestrict=address(),
        datasetrestrict=address(),
        requesterrestrict=address(),
        salt="0x" + rnd.randbytes(32).hex(),
    )
    wire = WireWorkerpoolOrder.model_validate({**order.fields(), "sign": "0x"})
    assert OrderHasher(NETWORK)(wire) == hash_order(NETWORK, order)


def test_records_dated_before_iexec_or_in_the_future_are_dropped(
    market: FakeMarket, fake_time: FakeTime
) -> None:
    now = 1_800_000_000.0
    good, early, late = make_listed(price=1), make_listed(price=2), make_listed(price=3)
    market.add(good, ts=now - 60)
    market.add(early, ts=1_000_000_000.0)
    market.add(late, ts=now + 3 * 86_400)
    market.deals = [deal_record(5, now + 10 * 86_400), deal_record(6, now - 5)]
    with MarketApiClient(
        "http://market.test", CHAIN_ID, transport=market.transport(), clock=lambda: now
    ) as c:
        assert [e.order_hash for e in c.workerpool_orders(PUBLIC)] == [good.order_hash]
        assert [d.price for d in c.deals(POOL)] == [6]
        assert c.stats.dropped == {"GET /workerpoolorders": 2, "GET /deals": 1}


def test_a_url_that_is_not_a_marketplace_is_a_config_error(
    client: MarketApiClient, market: FakeMarket
) -> None:
    market.fail("GET", "/categories", respond(404, {"message": "Not Found"}))
    with pytest.raises(ConfigError, match="is it an iExec marketplace API"):
        client.categories()
    assert len(market.log) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("20", 20.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("1e9", 3600.0),
        ("nan", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        (None, None),
    ],
)
def test_retry_after_is_parsed_and_bounded(header: str | None, expected: float | None) -> None:
    from bot.adapters.market_guards import parse_retry_after

    assert parse_retry_after(header) == expected


def test_an_unchanged_book_is_parsed_once_and_a_changed_record_again(
    client: MarketApiClient, market: FakeMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    recs = [market.add(make_order(price=100 + i)) for i in range(3)]
    parsed: list[object] = []
    validate = WireWorkerpoolOrderRecord.model_validate

    def counting(item: object) -> WireWorkerpoolOrderRecord:
        parsed.append(item)
        return validate(item)

    monkeypatch.setattr(WireWorkerpoolOrderRecord, "model_validate", counting)
    first = client.workerpool_orders(PUBLIC)
    assert len(parsed) == 3
    assert client.workerpool_orders(PUBLIC) == first
    assert len(parsed) == 3  # nothing parsed again
    recs[0]["remaining"] = 0  # a fill: the record changed, its hash did not
    recs[1]["order"]["workerpoolprice"] = 1  # a field changed under a kept hash
    again = client.workerpool_orders(PUBLIC)
    assert len(parsed) == 5
    assert [(e.order_hash, e.remaining) for e in again] == [
        (recs[0]["orderHash"], 0),
        (recs[2]["orderHash"], recs[2]["remaining"]),
    ]
    assert client.stats.dropped == {"GET /workerpoolorders": 1}  # the hash no longer matches


def test_a_client_without_hash_checks_keeps_nothing_by_hash(
    market: FakeMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    market.add(make_listed(price=5))
    parsed: list[object] = []
    validate = WireWorkerpoolOrderRecord.model_validate
    monkeypatch.setattr(
        WireWorkerpoolOrderRecord,
        "model_validate",
        lambda item: parsed.append(item) or validate(item),
    )
    with MarketApiClient("http://market.test", CHAIN_ID, transport=market.transport()) as c:
        c.workerpool_orders(PUBLIC)
        c.workerpool_orders(PUBLIC)
    assert len(parsed) == 2

"""The client over real HTTP against the local marketplace server on the real local chain.

Fixtures: ``poco``, ``workerpool``, ``chain_snapshot`` (tests/plugins/chain.py) and
``market_server`` (tests/plugins/market.py): one server per module, reset before each test, the
chain reverted after it. Waits are real here but short: faults are injected with zero latency
or tiny Retry-After values, and the client's backoff is shrunk.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from bot.adapters.chain import RpcChain
from bot.adapters.market_api import MarketApiClient, RequestNotSent
from bot.adapters.rate_budget import RateBudget
from bot.adapters.retrying import RetryPolicy
from bot.adapters.signer import LocalKeySigner
from bot.domain.errors import BudgetExhausted, RejectedError, RuleViolation, TransientError
from bot.domain.model import (
    ChainOrderStatus,
    MarketStatus,
    SignedWorkerpoolOrder,
    WorkerpoolOrder,
)
from bot.domain.networks import Network
from bot.domain.signing import address_of, random_salt, sign_order
from bot.engine.ports import BookQuery
from bot.sandbox.market_server import MarketServer
from bot.sandbox.poco import (
    PocoDeployment,
    app_order,
    create_app,
    deposit_stake,
    fund_rlc,
    match_orders,
    network_of,
    request_order,
    sign_app_order,
    sign_request_order,
)
from tests.plugins.chain import (
    APP_OWNER_KEY,
    DEPLOYER_KEY,
    OWNER_KEY,
    OWNER_STAKE_NRLC,
    RELAYER_KEY,
    REQUESTER_KEY,
)

pytestmark = [pytest.mark.chain, pytest.mark.xdist_group("market_client_live")]

ZERO = "0x" + "00" * 20

FAST_RETRY = RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05)


def roomy() -> RateBudget:
    """A budget that never waits: the bucket itself is tested with a fake clock elsewhere."""
    return RateBudget(per_minute=10**6, burst=10**4)


@pytest.fixture(autouse=True)
def _quick_thread_switches() -> Iterator[None]:
    """The server runs in this process: a 0.2 ms GIL switch interval halves each round trip."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


@pytest.fixture
def network(poco: PocoDeployment, market_server: MarketServer) -> Network:
    net = network_of(poco)
    return Network(
        name=net.name,
        chain_id=net.chain_id,
        hub=net.hub,
        market_url=market_server.url,
        rpc_url=net.rpc_url,
        token_mode=net.token_mode,
        tag_rules=net.tag_rules,
    )


@pytest.fixture
def owner(network: Network) -> LocalKeySigner:
    return LocalKeySigner(network, OWNER_KEY)


@pytest.fixture
def chain(network: Network, owner: LocalKeySigner) -> RpcChain:
    return RpcChain.connect(network, signer=owner, gas_key=RELAYER_KEY)


@pytest.fixture
def client(network: Network, owner: LocalKeySigner, chain: RpcChain) -> Iterator[MarketApiClient]:
    with MarketApiClient.for_network(
        network,
        signer=owner,
        retry=FAST_RETRY,
        budget=roomy(),
        stake_of=lambda account: chain.stake(account).free,
        consumed_of=chain.consumed,
        matched_requests_of=chain.matched_requests,
    ) as c:
        yield c


def _order(workerpool: str, price: int = 1_000, volume: int = 3, **kw: Any) -> WorkerpoolOrder:
    return WorkerpoolOrder(
        workerpool=workerpool,
        workerpoolprice=price,
        volume=volume,
        tag="0x" + "0" * 64,
        category=kw.pop("category", 0),
        trust=kw.pop("trust", 0),
        salt=random_salt(),
        **kw,
    )


def test_publish_unpublish_republish_round_trip(
    client: MarketApiClient,
    owner: LocalKeySigner,
    chain: RpcChain,
    workerpool: str,
    market_server: MarketServer,
) -> None:
    signed = owner.sign_order(_order(workerpool, price=1_500, volume=4))
    assert client.publish(signed) == signed.order_hash

    book = client.workerpool_orders(BookQuery(workerpool=workerpool))
    assert [e.order_hash for e in book] == [signed.order_hash]
    entry = book[0]
    assert (entry.price, entry.remaining, entry.owner) == (1_500, 4, owner.address)
    ours = client.our_orders(workerpool)
    assert [o.signed for o in ours] == [signed]

    client.unpublish(signed.order_hash)
    assert client.workerpool_order(signed.order_hash) is None
    assert client.workerpool_orders(BookQuery(workerpool=workerpool)) == []
    # Unpublished is not cancelled: the signed order is still fully matchable on chain.
    assert chain.order_status(signed) is ChainOrderStatus.OPEN
    client.unpublish(signed.order_hash)  # idempotent

    assert client.publish(signed) == signed.order_hash  # the same signed order, listed again
    again = client.workerpool_order(signed.order_hash)
    assert again is not None and again.status is MarketStatus.OPEN

    # Closed on chain: the watcher marks it cancelled and it can never be listed again.
    chain.cancel(signed)
    market_server.sync()
    closed = client.workerpool_order(signed.order_hash)
    assert closed is not None and closed.status is MarketStatus.CANCELED
    with pytest.raises(RuleViolation) as info:  # consumed == volume, refused client-side
        client.publish(signed)
    assert info.value.rule == "market-consumed"


def test_publishing_twice_is_one_listing(
    client: MarketApiClient, owner: LocalKeySigner, workerpool: str
) -> None:
    signed = owner.sign_order(_order(workerpool))
    client.publish(signed)
    client.publish(signed)  # "order already published" + read back open: success
    assert len(client.our_orders(workerpool)) == 1


def test_stake_rule_is_checked_before_the_request_and_by_the_server(
    client: MarketApiClient, owner: LocalKeySigner, network: Network, workerpool: str
) -> None:
    # OWNER_STAKE_NRLC covers floor(price*30/100)*volume only up to this price for volume 1.
    too_dear = _order(workerpool, price=OWNER_STAKE_NRLC * 4, volume=1)
    signed = owner.sign_order(too_dear)
    with pytest.raises(RuleViolation) as info:
        client.publish(signed)
    assert info.value.rule == "market-stake"
    # Without the client-side check the server refuses it with its own message.
    with (
        MarketApiClient.for_network(
            network, signer=owner, retry=FAST_RETRY, budget=roomy()
        ) as bare,
        pytest.raises(RejectedError, match="stake is too low"),
    ):
        bare.publish(signed)


def test_server_business_errors_surface_with_their_message(
    client: MarketApiClient,
    owner: LocalKeySigner,
    network: Network,
    workerpool: str,
    market_server: MarketServer,
) -> None:
    market_server.set_limits(max_open_orders=2)
    client.publish(owner.sign_order(_order(workerpool)))
    client.publish(owner.sign_order(_order(workerpool)))
    with pytest.raises(
        RejectedError, match=r"maximu[mn] of 2 published open workerpoolorder"
    ) as info:
        client.publish(owner.sign_order(_order(workerpool)))
    assert info.value.status == 403
    # An order signed by someone who does not own the pool.
    stranger = LocalKeySigner(network, RELAYER_KEY)
    with (
        MarketApiClient.for_network(
            network, signer=stranger, retry=FAST_RETRY, budget=roomy()
        ) as other,
        pytest.raises(RejectedError, match="only order signer"),
    ):
        other.publish(stranger.sign_order(_order(workerpool)))


def test_unpublish_last_and_all(
    client: MarketApiClient, owner: LocalKeySigner, workerpool: str
) -> None:
    hashes = [client.publish(owner.sign_order(_order(workerpool, price=p))) for p in (1, 2, 3)]
    assert client.unpublish_last(workerpool) == hashes[-1]
    assert set(client.unpublish_all(workerpool)) == set(hashes[:2])
    assert client.unpublish_all(workerpool) == []
    assert client.unpublish_last(workerpool) is None


def test_reads_categories_request_orders_and_deals(
    client: MarketApiClient, workerpool: str, market_server: MarketServer
) -> None:
    market_server.sync()
    cats = client.categories()
    assert [c.id for c in cats][:5] == [0, 1, 2, 3, 4]
    assert cats[0].work_clock_time_ref == 300
    assert client.request_orders(category=0, workerpool=workerpool) == []
    assert client.deals(workerpool) == []


def _publish_as(network: Network, key: str, route: str, signed: dict[str, Any]) -> None:
    """Publish an app or request order as another participant (same challenge auth)."""
    with MarketApiClient.for_network(
        network, signer=LocalKeySigner(network, key), budget=roomy()
    ) as c:
        body = {"order": {k: v for k, v in signed.items() if k != "orderHash"}}
        c._send("POST", route, body=body, headers={"authorization": c._authorization()})


def test_demand_and_deals_are_read_from_the_real_server(
    client: MarketApiClient,
    owner: LocalKeySigner,
    network: Network,
    poco: PocoDeployment,
    workerpool: str,
    market_server: MarketServer,
) -> None:
    """Request orders open to any pool or addressed to ours (not another's), then a real
    matchOrders on chain: the deal comes back through /deals and our order shows filled."""
    app = create_app(poco, APP_OWNER_KEY)
    apporder = sign_app_order(poco, app_order(app), APP_OWNER_KEY)
    _publish_as(network, APP_OWNER_KEY, "/apporders", apporder)
    requester = address_of(REQUESTER_KEY)
    fund_rlc(poco, requester, 10_000, from_key=DEPLOYER_KEY)
    deposit_stake(poco, REQUESTER_KEY, 10_000)
    elsewhere = "0x" + "77" * 20
    requests = {
        price: sign_request_order(
            poco,
            request_order(app, requester, workerpoolmaxprice=price, workerpool=pool),
            REQUESTER_KEY,
        )
        for price, pool in ((500, ZERO), (800, workerpool), (900, elsewhere))
    }
    for signed_request in requests.values():
        _publish_as(network, REQUESTER_KEY, "/requestorders", signed_request)

    ours = client.request_orders(category=0, workerpool=workerpool)
    assert [(r.workerpoolmaxprice, r.workerpool) for r in ours] == [(800, workerpool), (500, ZERO)]
    assert all(r.requester == requester and r.app == app for r in ours)
    assert [r.workerpoolmaxprice for r in client.request_orders(category=0)] == [500]

    mine = owner.sign_order(_order(workerpool, price=400, volume=1))
    client.publish(mine)
    deal_id = match_orders(poco, REQUESTER_KEY, apporder, None, mine, requests[500])
    market_server.sync()
    deals = client.deals(workerpool)
    assert [(d.deal_id, d.price, d.workerpool, d.requester) for d in deals] == [
        (deal_id, 400, workerpool, requester)
    ]
    assert client.deals(workerpool, since=deals[0].at + 1) == []
    filled = client.workerpool_order(mine.order_hash)
    assert filled is not None and filled.status is MarketStatus.FILLED and filled.remaining == 0
    assert client.our_orders(workerpool) == []
    assert [
        r.workerpoolmaxprice for r in client.request_orders(category=0, workerpool=workerpool)
    ] == [800]

    # whose request each deal was, read on chain from the transaction /deals names (issue #14)
    assert deals[0].request_workerpool == ZERO
    named = owner.sign_order(_order(workerpool, price=700, volume=1))
    client.publish(named)
    named_id = match_orders(poco, REQUESTER_KEY, apporder, None, named, requests[800])
    market_server.sync()
    assert [(d.deal_id, d.request_workerpool) for d in client.deals(workerpool)] == [
        (named_id, workerpool.lower()),
        (deal_id, ZERO),
    ]


@pytest.mark.slow
def test_pagination_over_more_than_a_thousand_orders(
    owner: LocalKeySigner,
    network: Network,
    workerpool: str,
    market_server: MarketServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """1,001 orders through the server's real publish checks (cap and rate limit raised), read
    back as two pages (1,000 + 1) by the client, and as 101 pages of 10.

    1,000 go through the server's in-process ``Marketplace.publish`` (the same checks without
    HTTP and challenge, 4x cheaper; the client's own publish is covered above), the last one
    through the client. The pool's owner and stake do not change here, so the server reads them
    once; the signature, consumed volume and per-wallet count are checked per order.
    """
    chain = market_server.chain
    monkeypatch.setattr(chain, "owner", functools.cache(chain.owner))
    monkeypatch.setattr(chain, "stake", functools.cache(chain.stake))
    total = 1_001
    market_server.set_limits(max_open_orders=total + 10, rate_limit_max=100_000)
    for i in range(total - 1):
        signed = sign_order(network, _order(workerpool, price=total - i, volume=1), OWNER_KEY)
        body = {"order": {**signed.order.fields(), "sign": signed.sign}}
        market_server.market.publish("workerpoolorder", body, owner.address)
    budget = roomy()
    with MarketApiClient.for_network(network, signer=owner, retry=FAST_RETRY, budget=budget) as c:
        c.publish(owner.sign_order(_order(workerpool, price=1, volume=1)))
        before = c.stats.requests
        book = c.workerpool_orders(BookQuery(workerpool=workerpool))
        assert c.stats.requests - before == 2
    assert len(book) == total
    assert [e.price for e in book] == list(range(1, total + 1))
    with MarketApiClient.for_network(network, page_size=10, max_pages=200, budget=budget) as small:
        assert len(small.workerpool_orders(BookQuery(workerpool=workerpool))) == total
        assert small.stats.requests == 101


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_until_they_stop(
    client: MarketApiClient, market_server: MarketServer, workerpool: str, status: int
) -> None:
    market_server.set_faults(
        {"routes": {"GET /workerpoolorders": {"error_rate": 1.0, "error_status": status}}}
    )
    with pytest.raises(TransientError, match=f"HTTP {status}"):
        client.workerpool_orders(BookQuery(workerpool=workerpool))
    assert client.stats.retries == FAST_RETRY.attempts - 1
    market_server.set_faults({})
    assert client.workerpool_orders(BookQuery(workerpool=workerpool)) == []


def test_half_failing_server_still_answers_through_retries(
    client: MarketApiClient,
    network: Network,
    market_server: MarketServer,
    workerpool: str,
    owner: LocalKeySigner,
) -> None:
    signed = owner.sign_order(_order(workerpool))
    market_server.set_faults({"routes": {"*": {"error_rate": 0.3, "error_status": 503}}, "seed": 7})
    retry = RetryPolicy(attempts=8, initial_wait=0.01, max_wait=0.05)
    with MarketApiClient.for_network(network, signer=owner, retry=retry, budget=roomy()) as c:
        for _ in range(5):
            c.publish(signed)  # idempotent whatever got lost
            c.workerpool_orders(BookQuery(workerpool=workerpool))
        assert c.stats.retries > 0
    market_server.set_faults({})
    assert [o.order_hash for o in client.our_orders(workerpool)] == [signed.order_hash]


def test_429_burst_is_waited_out_with_retry_after(
    client: MarketApiClient, market_server: MarketServer, workerpool: str
) -> None:
    market_server.set_faults(
        {"routes": {"GET /workerpoolorders": {}}, "burst_429": 1, "retry_after": 1}
    )
    assert client.workerpool_orders(BookQuery(workerpool=workerpool)) == []
    assert client.stats.rate_limited == 1
    assert client.budget.waited > 0.5  # held for (most of) Retry-After: 1 s


def test_429_longer_than_the_budget_allows_gives_up_until_the_next_cycle(
    network: Network, market_server: MarketServer, workerpool: str
) -> None:
    market_server.set_faults(
        {"routes": {"GET /workerpoolorders": {}}, "burst_429": 1, "retry_after": 120}
    )
    with (
        MarketApiClient.for_network(network, retry=FAST_RETRY, budget=RateBudget(max_wait=5)) as c,
        pytest.raises(BudgetExhausted) as info,
    ):
        c.workerpool_orders(BookQuery(workerpool=workerpool))
    # Held for the Retry-After capped at max_retry_after, which is still more than max_wait.
    assert info.value.retry_after == pytest.approx(FAST_RETRY.max_retry_after, abs=1)
    assert market_server.faults.served == {"GET /workerpoolorders": 1}


def test_the_servers_own_rate_limit_is_honoured(
    network: Network, market_server: MarketServer, workerpool: str
) -> None:
    """A server limit of 5/min against a careless client budget: the 429s it earns are typed."""
    market_server.set_limits(rate_limit_max=5, rate_limit_period=60)
    with MarketApiClient.for_network(
        network, retry=FAST_RETRY, budget=RateBudget(per_minute=10**6, burst=100, max_wait=2)
    ) as c:
        for _ in range(5):
            c.workerpool_orders(BookQuery(workerpool=workerpool))
        # The 429 holds the budget for its (capped) Retry-After, longer than this budget's
        # max_wait: the retry gives up at once, until the next cycle.
        with pytest.raises(BudgetExhausted):
            c.workerpool_orders(BookQuery(workerpool=workerpool))
        assert c.stats.rate_limited == 1


def test_dropped_connections_are_retried(
    client: MarketApiClient, market_server: MarketServer, workerpool: str
) -> None:
    market_server.set_faults({"routes": {"GET /workerpoolorders": {"drop_rate": 1.0}}})
    with pytest.raises(TransientError):
        client.workerpool_orders(BookQuery(workerpool=workerpool))
    assert client.stats.retries == FAST_RETRY.attempts - 1


def test_latency_beyond_the_timeout_is_a_transient_error(
    network: Network, market_server: MarketServer, workerpool: str
) -> None:
    market_server.set_faults({"routes": {"GET /workerpoolorders": {"latency": 0.5}}})
    with (
        MarketApiClient.for_network(
            network, timeout=0.1, retry=RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.02)
        ) as c,
        pytest.raises(TransientError, match="timed out"),
    ):
        c.workerpool_orders(BookQuery(workerpool=workerpool))


def test_a_dead_server_is_request_not_sent(network: Network) -> None:
    from bot.sandbox.anvil import free_port

    with (
        MarketApiClient(f"http://127.0.0.1:{free_port()}", network.chain_id, retry=FAST_RETRY) as c,
        pytest.raises(RequestNotSent),
    ):
        c.categories()


def test_a_server_for_another_chain_is_refused_before_signing(
    network: Network, owner: LocalKeySigner, market_server: MarketServer, workerpool: str
) -> None:
    """Our client configured for another chain id than the server's: reads and the challenge
    request are refused (400, chainId not supported), so nothing is ever signed."""
    with MarketApiClient(
        market_server.url, network.chain_id + 1, signer=owner, retry=FAST_RETRY
    ) as c:
        with pytest.raises(RejectedError, match="chainId"):
            c.workerpool_orders(BookQuery(workerpool=workerpool))
        signed: SignedWorkerpoolOrder = owner.sign_order(_order(workerpool))
        with pytest.raises(RejectedError, match="chainId"):
            c.publish(signed)

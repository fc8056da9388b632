"""One retry layer, measured over real HTTP: the executor on the market client, against the local
marketplace server on loopback (with its fault injection) and the local chain.

The server counts every request by route (``faults.served``), so each test counts the attempts a
failed action really made: the challenge requests and the POSTs, not calls to a fake.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.adapters.chain import RpcChain
from bot.adapters.journal import MemoryJournal
from bot.adapters.market_api import MarketApiClient
from bot.adapters.rate_budget import RateBudget
from bot.adapters.retrying import RetryPolicy
from bot.adapters.signer import LocalKeySigner
from bot.app.service import SystemClock, withdraw
from bot.domain.model import Publish, Quote
from bot.domain.networks import Network
from bot.engine.cycle import CyclePorts, CycleSettings, CycleState, make_executor
from bot.engine.executor import Executor
from bot.engine.ports import BookQuery
from bot.pricing.rails import RailsConfig
from bot.sandbox.market_server import MarketServer
from bot.sandbox.poco import PocoDeployment, network_of
from tests.plugins.chain import OWNER_KEY, RELAYER_KEY
from tests.support.market_fakes import FakeTime

pytestmark = [pytest.mark.chain, pytest.mark.xdist_group("retry_layer")]

# The default attempts, with waits shrunk so the test does not sleep for seconds.
QUICK = RetryPolicy(initial_wait=0.01, max_wait=0.05)
POST = "POST /workerpoolorders"
CHALLENGE = "GET /challenge"


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


def _ports(market: MarketApiClient, chain: RpcChain, owner: LocalKeySigner) -> CyclePorts:
    return CyclePorts(
        clock=SystemClock(),
        market=market,
        writer=market,
        chain=chain,
        signer=owner,
        metrics=None,
        journal=MemoryJournal(keep_records=True),
    )


def _executor(ports: CyclePorts, workerpool: str) -> Executor:
    settings = CycleSettings(workerpool=workerpool, offers=(), rails=RailsConfig(), live=True)
    return make_executor(ports, settings)


@pytest.fixture
def market(network: Network, owner: LocalKeySigner) -> Iterator[MarketApiClient]:
    budget = RateBudget(per_minute=10**6, burst=10**4)
    with MarketApiClient.for_network(network, signer=owner, retry=QUICK, budget=budget) as c:
        yield c


def test_one_failed_publish_against_a_503_marketplace_makes_at_most_4_attempts(
    market: MarketApiClient,
    chain: RpcChain,
    owner: LocalKeySigner,
    market_server: MarketServer,
    workerpool: str,
) -> None:
    """Measured before the one retry layer: 16 POSTs and 16 challenges (4 executor x 4 client)."""
    market_server.set_faults({"routes": {POST: {"error_rate": 1.0, "error_status": 503}}})
    executor = _executor(_ports(market, chain, owner), workerpool)
    report = executor.execute([Publish(Quote(category=0, price=1_000, volume=1), "test")], [])
    (step,) = report.steps
    assert step.outcome == "failed" and "HTTP 503" in step.detail
    served = market_server.faults.served
    assert served[POST] == served[CHALLENGE] == QUICK.attempts == 4
    assert market.stats.retries == 3


@pytest.mark.parametrize(
    ("route", "posts", "error"),
    [
        (POST, 1, "POST /workerpoolorders: "),  # a 200 without the published order
        (CHALLENGE, 0, "GET /challenge"),  # a challenge that is not one: malformed, never signed
    ],
    ids=["malformed-publish-answer", "malformed-challenge"],
)
def test_a_malformed_answer_is_attempted_once(
    market: MarketApiClient,
    chain: RpcChain,
    owner: LocalKeySigner,
    market_server: MarketServer,
    workerpool: str,
    route: str,
    posts: int,
    error: str,
) -> None:
    """MalformedResponse is a TryNextCycle: neither the client nor the executor asks again."""
    market_server.set_faults({"routes": {route: {"malformed_rate": 1.0}}})
    executor = _executor(_ports(market, chain, owner), workerpool)
    report = executor.execute([Publish(Quote(category=0, price=1_000, volume=1), "test")], [])
    (step,) = report.steps
    assert step.outcome == "failed" and error in step.detail
    served = market_server.faults.served
    assert served.get(CHALLENGE, 0) == 1
    assert served.get(POST, 0) == posts
    assert market.stats.retries == 0


def test_one_429_asking_for_an_hour_does_not_stop_a_withdraw(
    network: Network,
    chain: RpcChain,
    owner: LocalKeySigner,
    market_server: MarketServer,
    workerpool: str,
) -> None:
    """#18: a Retry-After of 3600 used to hold the shared budget for an hour, so every call
    (the withdraw's unpublish included) failed at once with BudgetExhausted. It is capped at
    ``max_retry_after`` now: the withdraw waits that long (fake time) and goes through."""
    t = FakeTime()
    budget = RateBudget(clock=t.clock, sleep=t.sleep)  # the production budget: 90/min, burst 10
    with MarketApiClient.for_network(
        network, signer=owner, retry=QUICK, budget=budget, sleep=t.sleep
    ) as market:
        ports = _ports(market, chain, owner)
        executor = _executor(ports, workerpool)
        published = executor.execute([Publish(Quote(category=0, price=1_000, volume=1), "t")], [])
        assert [s.outcome for s in published.steps] == ["ok"]
        market_server.set_faults({"burst_429": 1, "retry_after": 3600})
        report = withdraw(ports, workerpool, CycleState(), executor, cancel=False)
        assert [(s.kind, s.outcome) for s in report.steps] == [("unpublish", "ok")]
        assert market.our_orders(workerpool) == []
        assert market.workerpool_orders(BookQuery(workerpool=workerpool)) == []
    assert market_server.faults.injected == {"429": 1}
    # One hold of the capped Retry-After, then a token every 2/3 s for the few calls after it.
    hold = max(t.sleeps)  # less the retry's jitter, spent before the budget waits
    assert QUICK.max_retry_after - QUICK.initial_wait <= hold <= QUICK.max_retry_after
    assert sum(t.sleeps) < QUICK.max_retry_after + 10

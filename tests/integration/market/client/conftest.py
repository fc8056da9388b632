"""Fixtures for the market client's unit tests: a fake clock and an in-process marketplace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.adapters.market_api import MarketApiClient
from bot.adapters.rate_budget import RateBudget
from bot.adapters.retrying import RetryPolicy
from tests.support.market_fakes import CHAIN_ID, HUB, FakeMarket, FakeTime, KeySigner


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def market() -> FakeMarket:
    return FakeMarket()


@pytest.fixture
def signer() -> KeySigner:
    return KeySigner()


@pytest.fixture
def client(market: FakeMarket, fake_time: FakeTime, signer: KeySigner) -> Iterator[MarketApiClient]:
    budget = RateBudget(
        per_minute=90, burst=10, max_wait=120, clock=fake_time.clock, sleep=fake_time.sleep
    )
    with MarketApiClient(
        "http://market.test",
        CHAIN_ID,
        signer=signer,
        hub=HUB,
        budget=budget,
        retry=RetryPolicy(attempts=4, initial_wait=0.5, max_wait=4.0),
        transport=market.transport(),
        sleep=fake_time.sleep,
    ) as c:
        yield c

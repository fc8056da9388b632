"""Robust item 100 (``inert_rival_fits``, strategies/robust_rivalinert.py): a request a listed
rival order fits, still waiting ``inert_rival_seconds`` (0: ``inert_after_seconds``) after it was
published, is inert like one our own listed order fits; 1 only where no order of ours is listed,
2 everywhere, 0 off."""

from __future__ import annotations

import dataclasses

import pytest

from bot.domain.model import ZERO_ADDRESS
from bot.pricing.snapshot import MarketSnapshot
from strategies.robust_rivalinert import rival_fitted
from tests.support.factories import NOW, POOL, own, request, rival, snap, util
from tests.unit.strategies.test_strategy_robust import XS, decide

OTHER = "0x" + "77" * 20


@pytest.mark.parametrize(
    ("cap", "age", "pool", "req_tag", "rival_tag", "restricted", "left", "inert"),
    [
        (500, 30.0, ZERO_ADDRESS, 0, 0, False, 10, True),  # the rival at 100 fits a 500 cap
        (100, 30.0, ZERO_ADDRESS, 0, 0, False, 10, True),  # at the cap itself
        (99, 30.0, ZERO_ADDRESS, 0, 0, False, 10, False),  # under the rival: never fitted
        (500, 5.0, ZERO_ADDRESS, 0, 0, False, 10, False),  # too young to judge
        (500, 30.0, POOL, 0, 0, False, 10, False),  # names our pool: no rival serves it
        (500, 30.0, OTHER, 0, 0, False, 10, False),  # names another pool
        (500, 30.0, ZERO_ADDRESS, 1, 0, False, 10, False),  # asks a tag the rival lacks
        (500, 30.0, ZERO_ADDRESS, 1, 3, False, 10, True),  # the rival has it
        (500, 30.0, ZERO_ADDRESS, 0, 0, True, 10, False),  # the rival's order is restricted
        (500, 30.0, ZERO_ADDRESS, 0, 0, False, 0, False),  # the rival is sold out
    ],
)
def test_rival_fitted(
    cap: int,
    age: float,
    pool: str,
    req_tag: int,
    rival_tag: int,
    restricted: bool,
    left: int,
    inert: bool,
) -> None:
    r = dataclasses.replace(
        request("pub", cap, tag=req_tag, workerpool=pool), published_at=NOW - age
    )
    e = rival("a", 100, tag=rival_tag, requesterrestrict=OTHER if restricted else ZERO_ADDRESS)
    e = dataclasses.replace(e, remaining=left)
    assert rival_fitted([r], [e], NOW, 10.0) == ({r.order_hash} if inert else set())


def test_no_rival_no_request() -> None:
    assert rival_fitted([request("pub", 500)], [], NOW, 0.0) == set()
    assert rival_fitted([], [rival("a", 100)], NOW, 0.0) == set()


def _unlisted() -> MarketSnapshot:
    """Item 4's scene (test_strategy_robust): a request at 500 waits over the rival's 100, and
    no order of ours is listed, so guard 4's own test reads nothing."""
    return snap(
        offers=[XS],
        book=[rival("a", 100)],
        requests=[request("pub", 500, 20)],
        utilization=util(10, 0),
    )


@pytest.mark.parametrize("key", [1, 2])
def test_a_request_the_rival_fits_is_not_priced_for(key: int) -> None:
    s = _unlisted()
    quotes, state = decide(
        s, params={"inert_after_seconds": 10.0, "inert_rival_seconds": 0.0, "inert_rival_fits": key}
    )
    assert quotes[0].price == 99  # undercut the rival, as if the book were empty
    assert state["inert"] == [request("pub", 500, 20).order_hash]


@pytest.mark.parametrize("params", [{}, {"inert_rival_fits": 0}])
def test_off_by_default_the_book_logic_prices_for_it(params: dict[str, object]) -> None:
    quotes, state = decide(_unlisted(), params={"inert_after_seconds": 10.0, **params})
    assert quotes[0].price > 99 and state["inert"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"inert_after_seconds": 3600.0, "inert_rival_seconds": 0.0},  # guard 4's age
        {"inert_after_seconds": 10.0},  # inert_rival_seconds' own, 1800 s by default
        {"inert_after_seconds": 10.0, "inert_rival_seconds": 31.0},
    ],
)
def test_too_young_to_judge_still_counts(params: dict[str, object]) -> None:
    """The request is 30 s old: under the age the rule asks, the book logic prices for it."""
    quotes, state = decide(_unlisted(), params={**params, "inert_rival_fits": 1})
    assert quotes[0].price > 99 and state["inert"] == []


def test_old_enough_for_the_rivals_age() -> None:
    quotes, state = decide(
        _unlisted(),
        params={"inert_after_seconds": 10.0, "inert_rival_seconds": 29.0, "inert_rival_fits": 1},
    )
    assert quotes[0].price == 99 and state["inert"] == [request("pub", 500, 20).order_hash]


def test_scope_one_leaves_a_listed_offer_to_guard_4() -> None:
    """Our order listed at 150, over the rival's 100 and under nothing: key 1 leaves the request
    at 120 (which our order does not fit) counted; key 2 finds it inert through the rival."""
    waiting = request("pub", 120, 20)
    s = snap(
        offers=[XS],
        book=[rival("a", 100)],
        requests=[waiting],
        own_orders=[own("o", 150, 5)],
        utilization=util(10, 0),
    )
    params = {"inert_after_seconds": 10.0, "inert_rival_seconds": 0.0}
    _, one = decide(s, params={**params, "inert_rival_fits": 1})
    _, two = decide(s, params={**params, "inert_rival_fits": 2})
    assert one["inert"] == [] and two["inert"] == [waiting.order_hash]

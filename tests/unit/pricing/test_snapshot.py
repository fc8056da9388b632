from __future__ import annotations

import pytest

from bot.domain.errors import InputError
from bot.domain.model import MarketStatus
from bot.pricing.snapshot import GPU_TAG_BIT, compatible_requests, competing_orders
from tests.support.factories import (
    NOW,
    POOL,
    RIVAL,
    deal,
    offer,
    own,
    request,
    rival,
    snap,
    util,
)

TEE = 1
TDX = 1 << 3
GPU = 1 << GPU_TAG_BIT


def test_competitors_are_other_pools_whose_tag_includes_ours_cheapest_first() -> None:
    book = [
        rival("dear", 30, tag=TEE | TDX),
        rival("cheap", 10, tag=TEE | TDX | GPU),
        rival("no-tdx", 5, tag=TEE),  # lacks a bit we sell: a TEE+TDX requester cannot use it
        rival("ours", 1, tag=TEE | TDX, workerpool=POOL),
        rival("other-cat", 1, tag=TEE | TDX, category=1),
        rival("tie-late", 10, tag=TEE | TDX, age=10),
    ]
    got = competing_orders(book, 0, TEE | TDX, POOL)
    assert [e.order_hash for e in got] == [
        book[1].order_hash,
        book[5].order_hash,
        book[0].order_hash,
    ]


def test_closed_or_empty_competitors_are_dropped() -> None:
    import dataclasses

    closed = dataclasses.replace(rival("x", 5), status=MarketStatus.CANCELED)
    empty = dataclasses.replace(rival("y", 5), remaining=0)
    assert competing_orders([closed, empty], 0, 0, POOL) == ()


@pytest.mark.parametrize(
    ("req", "ok"),
    [
        (request("any", 5), True),
        (request("addressed", 5, workerpool=POOL), True),
        (request("other-pool", 5, workerpool=RIVAL), False),
        (request("tag-subset", 5, tag=TEE), True),
        (request("tag-extra", 5, tag=GPU), False),
        (request("trust-higher", 5, trust=5), False),
        (request("other-cat", 5, category=2), False),
    ],
)
def test_compatible_requests_follow_poco_matching(req: object, ok: bool) -> None:
    o = offer(tag=TEE | TDX, trust=1)
    assert bool(compatible_requests([req], o, POOL)) is ok  # type: ignore[list-item]


def test_build_snapshot_precomputes_views_and_ages() -> None:
    o = offer()
    s = snap(
        offers=[o],
        book=[rival("r", 7)],
        requests=[request("q", 9)],
        sampled_at={"book": NOW - 100, "utilization": NOW - 700},
        stale_after=600,
    )
    assert s.ages["book"] == 100
    assert s.stale == frozenset({"utilization"})
    assert s.utilization is None  # stale utilization is never used to size volume
    assert [e.price for e in s.competitors_for(o)] == [7]
    assert [r.workerpoolmaxprice for r in s.demand_for(o)] == [9]


def test_missing_parts_are_stale() -> None:
    s = snap(free_stake=None, sampled_at={"book": float("-inf")})
    assert {"stake", "book"} <= s.stale


def test_own_views() -> None:
    o1 = own("a", 100, 3)
    o2 = own("b", 80, 2)
    o3 = own("c", 50, 2, published=False)
    gone = own("d", 10, 0, volume=5)
    s = snap(own_orders=[o1, o2, o3, gone], deals=[deal("x", 5, ago=10), deal("y", 5, ago=90)])
    assert gone not in s.own_orders
    assert s.current_price(offer().slot) == 80  # unpublished ones are not what the market sees
    assert len(s.own_deals(NOW - 60)) == 1


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"task_seconds": 0}, "offers.task_seconds"),
        ({"max_volume": -1}, "offers.max_volume"),
        ({"category": 9}, "offers.work_clock_time_ref"),
        ({"category": -1}, "offers.category"),
    ],
)
def test_offer_rejects_bad_values_naming_the_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as err:
        offer(**kw)  # type: ignore[arg-type]
    assert err.value.field == field


def test_offer_defaults_time_ref_and_key_matches_quote_key() -> None:
    from bot.domain.model import Quote

    o = offer(category=2, tag=TEE, trust=1)
    assert o.work_clock_time_ref == 3600
    assert o.contribution_window == 7 * 3600
    assert o.slot == Quote(category=2, price=1, volume=1, tag=TEE, trust=1).slot
    assert offer(tag=GPU).gpu
    assert util(4, 1, 1).free_slots == 2

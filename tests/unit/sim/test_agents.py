"""The pure agent models: matching rule, arrivals and competitor behaviour."""

from __future__ import annotations

import random

import pytest

from bot.domain.errors import InputError
from bot.domain.model import BookEntry
from bot.sim.agents import (
    EnteringLeaving,
    FixedCompetitor,
    IntDist,
    PriceDist,
    RandomWalkCompetitor,
    RequesterModel,
    RequestIntent,
    UndercutCompetitor,
    compatible,
    match,
    poisson,
)

POOL_A = "0x" + "a" * 40
POOL_B = "0x" + "b" * 40
REQ = "0x" + "c" * 40


def entry(h: int, pool: str, price: int, at: float, **kw: object) -> BookEntry:
    base: dict[str, object] = dict(
        order_hash="0x" + format(h, "064x"),
        workerpool=pool,
        owner=pool,
        price=price,
        volume=5,
        remaining=5,
        category=0,
        tag=0,
        trust=1,
        published_at=at,
    )
    base.update(kw)
    return BookEntry(**base)  # type: ignore[arg-type]


def intent(**kw: object) -> RequestIntent:
    base: dict[str, object] = dict(
        at=0.0, requester=REQ, kind="taker", category=0, max_price=100, volume=1
    )
    base.update(kw)
    return RequestIntent(**base)  # type: ignore[arg-type]


def test_match_takes_cheapest_then_earliest_then_hash() -> None:
    book = [entry(3, POOL_A, 10, 5.0), entry(2, POOL_B, 10, 1.0), entry(1, POOL_A, 12, 0.0)]
    fills = match(intent(volume=7), 7, book)
    assert [(f.order_hash[-1], f.volume) for f in fills] == [("2", 5), ("3", 2)]


@pytest.mark.parametrize(
    ("req", "kw", "ok"),
    [
        ({}, {}, True),
        ({"category": 1}, {}, False),
        ({"trust": 2}, {}, False),
        ({"tag": 0x9}, {"tag": 0x9}, True),
        ({"tag": 0x9}, {"tag": 0x1}, False),
        ({"max_price": 9}, {}, False),
        ({"workerpool": POOL_B}, {}, False),
        ({"workerpool": POOL_A}, {}, True),
        ({}, {"requesterrestrict": POOL_B}, False),
        ({"requester": POOL_B}, {"requesterrestrict": POOL_B}, True),
        ({}, {"apprestrict": POOL_B}, False),
        ({}, {"remaining": 0}, False),
    ],
)
def test_compatibility_rules(req: dict[str, object], kw: dict[str, object], ok: bool) -> None:
    assert compatible(intent(**req), entry(1, POOL_A, 10, 0.0, **kw)) is ok


def test_hidden_orders_only_for_adversary() -> None:
    listed = [entry(1, POOL_B, 50, 0.0)]
    hidden = [entry(2, POOL_A, 5, 0.0)]
    assert match(intent(), 1, listed, hidden)[0].order_hash == listed[0].order_hash
    f = match(intent(adversarial=True), 1, listed, hidden)[0]
    assert f.order_hash == hidden[0].order_hash and f.published is False


def test_poisson_mean_close() -> None:
    rng = random.Random(1)
    for lam in (0.2, 3.0, 50.0):
        mean = sum(poisson(rng, lam) for _ in range(4000)) / 4000
        assert abs(mean - lam) < 0.1 * lam + 0.05


def test_requester_rates_and_kinds() -> None:
    m = RequesterModel(
        name="t", kind="taker", category=0, rate_per_min=2.0, surges=((0.0, 3600.0, 3.0),)
    )
    assert m.rate_at(10.0) == pytest.approx(6.0)
    assert m.rate_at(4000.0) == pytest.approx(2.0)
    rng = random.Random(2)
    n = sum(len(m.arrivals(t, t + 60.0, rng)) for t in range(3600, 3600 + 600 * 60, 60))
    assert 1000 < n < 1400
    free = RequesterModel(name="f", kind="free_only", category=0, rate_per_min=1.0)
    assert free.intent(0.0, rng).max_price == 0
    cap = RequesterModel(
        name="c",
        kind="captive",
        category=0,
        rate_per_min=1.0,
        target_pool=POOL_A,
        max_price=PriceDist("choice", values=(1, 2)),
        volume=IntDist(10, 3000, log=True),
    )
    it = cap.intent(0.0, rng)
    assert it.workerpool == POOL_A and it.max_price in (1, 2) and 10 <= it.volume <= 3000


def test_requester_validation_names_field() -> None:
    with pytest.raises(InputError, match=r"requesters\.x\.target_pool"):
        RequesterModel(name="x", kind="captive", category=0, rate_per_min=1.0)
    with pytest.raises(InputError, match="free-only"):
        RequesterModel(
            name="y", kind="free_only", category=0, rate_per_min=1.0, max_price=PriceDist(value=5)
        )


def test_undercut_ratchets_then_resets() -> None:
    rng = random.Random(0)
    u = UndercutCompetitor(pool=POOL_A, category=0, floor=5, ceiling=100, step=3)
    assert u.quotes(0.0, [], rng)[0].price == 100
    assert u.quotes(0.0, [entry(1, POOL_B, 20, 0.0)], rng)[0].price == 17
    assert u.quotes(0.0, [entry(1, POOL_B, 7, 0.0)], rng)[0].price == 100
    own = entry(2, POOL_A, 1, 0.0)
    assert u.quotes(0.0, [own], rng)[0].price == 100  # its own order does not count


def test_random_walk_stays_in_band_and_is_seeded() -> None:
    def path(seed: int) -> list[int]:
        rng = random.Random(seed)
        w = RandomWalkCompetitor(pool=POOL_A, category=0, start=50, floor=40, ceiling=60, sigma=0.2)
        return [w.quotes(float(t), [], rng)[0].price for t in range(200)]

    p = path(3)
    assert p == path(3) and min(p) >= 40 and max(p) <= 60 and len(set(p)) > 3


def test_entering_leaving_windows_and_spells() -> None:
    rng = random.Random(0)
    inner = FixedCompetitor(pool=POOL_A, category=0, price=9)
    w = EnteringLeaving(inner, origin=100.0, windows=((0.0, 50.0),))
    assert w.quotes(120.0, [], rng) and not w.quotes(160.0, [], rng)
    s = EnteringLeaving(inner, mean_on_s=100.0, mean_off_s=100.0)
    states = [bool(s.quotes(float(t), [], rng)) for t in range(0, 5000, 10)]
    assert any(states) and not all(states)


def test_sandbox_drives_these_same_models() -> None:
    """Written once: the sandbox's agents driver imports the models from here, not a copy."""
    import bot.sandbox.agents_driver as driver
    import bot.sim.agents as agents

    assert driver.match is agents.match
    assert driver.RequesterModel is agents.RequesterModel

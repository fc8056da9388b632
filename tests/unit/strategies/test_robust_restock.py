"""Each rival's restock period read from the book (strategies/robust_restock.py, robust item 44)."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.model import BookEntry
from strategies.robust import OfferMemory
from strategies.robust_caps import Buyer, Rival, caps_trial, earned, rivals_of
from strategies.robust_restock import restock_periods, watch_restocks
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_caps import robust_decides

A = "0x" + "a" * 40
B = "0x" + "b" * 40
W = 43_200.0


def order(pool: str, price: int, left: int, volume: int = 3) -> BookEntry:
    return BookEntry("0x" + pool[2:6] * 16, pool, pool, price, volume, left, 0, 0, 0, 0.0)


def run(frames: list[tuple[float, list[BookEntry]]]) -> dict[str, list[float]]:
    kept: dict[str, list[float]] = {}
    for at, book in frames:
        kept = watch_restocks(kept, book, at, W)
    return kept


def test_a_rival_that_sells_and_is_topped_up_shows_its_period() -> None:
    # sold 2 of 3 by 120 s, topped up at 600 s, sold out (off the book) at 900, back at 1200
    kept = run(
        [
            (0.0, [order(A, 50, 3)]),
            (120.0, [order(A, 50, 1)]),
            (600.0, [order(A, 50, 3)]),
            (900.0, []),
            (1200.0, [order(A, 50, 3)]),
        ]
    )
    price, left, at, shortest, count = kept[A][:5]
    assert (price, left, at, shortest, count) == (50.0, 3.0, 1200.0, 600.0, 1.0)
    # the waits from a sale to the restock after it: 120 -> 600 and 900 (sold out) -> 1200
    assert kept[A][7:9] == [480.0, 2.0]
    # a later interval twice as long (a period with no sale) does not lengthen it
    kept = watch_restocks(kept, [order(A, 50, 0)], 1500.0, W)
    kept = watch_restocks(kept, [order(A, 50, 3)], 2400.0, W)
    assert kept[A][3] == 600.0 and kept[A][4] == 2.0


def test_a_rival_that_never_sells_shows_nothing() -> None:
    kept = run([(60.0 * i, [order(A, 50, 3)]) for i in range(100)])
    assert kept[A][2:5] == [0.0, 0.0, 0.0]
    assert restock_periods(kept, [A], least=1, unseen="stocked", assumed=900.0) == {A: None}


def test_a_new_price_is_not_a_restock_and_keeps_the_cadence() -> None:
    kept = run(
        [
            (0.0, [order(A, 50, 1)]),
            (300.0, [order(A, 50, 3)]),
            (400.0, [order(A, 50, 1)]),
            (600.0, [order(A, 50, 3)]),
        ]
    )
    assert kept[A][2:5] == [600.0, 300.0, 1.0]
    kept = watch_restocks(kept, [order(A, 60, 3)], 700.0, W)
    assert kept[A][:5] == [60.0, 3.0, 0.0, 300.0, 1.0]
    # the next restock at the new price starts the count of intervals again from it
    kept = watch_restocks(kept, [order(A, 60, 1)], 800.0, W)
    kept = watch_restocks(kept, [order(A, 60, 3)], 1_000.0, W)
    assert kept[A][2:5] == [1_000.0, 300.0, 1.0]


def test_a_pool_unseen_for_the_window_is_forgotten() -> None:
    kept = run([(0.0, [order(A, 50, 3), order(B, 70, 2)])])
    kept = watch_restocks(kept, [order(B, 70, 2)], W + 1.0, W)
    assert set(kept) == {B}


def test_periods_by_evidence_and_the_unseen_choices() -> None:
    kept = {
        A: [50.0, 3.0, 900.0, 600.0, 2.0, 900.0, 0.0, 420.0, 2.0],
        B: [70.0, 2.0, 0.0, 0.0, 0.0, 900.0, 0.0, 0.0, 0.0],
    }
    pools = [A, B]
    assert restock_periods(kept, pools, least=2, unseen="assumed", assumed=900.0) == {
        A: 600.0,
        B: 900.0,
    }
    assert restock_periods(kept, pools, least=2, unseen="stocked", assumed=900.0) == {
        A: 600.0,
        B: None,
    }
    assert restock_periods(kept, pools, least=2, unseen="fastest", assumed=900.0) == {
        A: 600.0,
        B: 600.0,
    }
    # the waits from a sale to the next restock: a lower bound of the period
    assert restock_periods(kept, pools, least=2, unseen="stocked", assumed=900.0, wait=True) == {
        A: 420.0,
        B: None,
    }
    # too few intervals: A is unseen as well ("fastest" with nothing seen: never out of stock)
    assert restock_periods(kept, pools, least=3, unseen="fastest", assumed=900.0) == {
        A: None,
        B: None,
    }


def test_a_rival_never_out_of_stock_serves_every_buyer_it_can() -> None:
    buyers = [Buyer(1_001.0 + 60 * i, 1_000, 2) for i in range(30)]
    rival = Rival(price=50, volume=1, period_s=600.0)
    assert earned(900, buyers, [rival], 1_000.0) > 0
    assert earned(900, buyers, [replace(rival, stocked=True)], 1_000.0) == 0
    # a buyer whose cap is under it, or who named our pool, is still ours
    assert earned(40, [Buyer(1_001.0, 45, 2)], [replace(rival, stocked=True)], 1_000.0) == 80
    named = [replace(b, captive=True) for b in buyers]
    assert earned(900, named, [replace(rival, stocked=True)], 1_000.0) == 900 * 60


def test_rivals_take_their_own_periods() -> None:
    kept = {A: [50.0, 3.0, 0.0], B: [70.0, 2.0, 0.0]}
    assert rivals_of(kept, 900.0) == (Rival(50, 3, 900.0), Rival(70, 2, 900.0))
    got = rivals_of(kept, 900.0, {A: 300.0, B: None})
    assert got == (Rival(50, 3, 300.0), Rival(70, 2, 900.0, stocked=True))


def test_caps_trial_reads_each_rivals_period() -> None:
    # a buyer a minute capped at 1,000 for 5 h; one rival at 50 lists 3 tasks
    rows = [[1_001.0 + 60 * i, 1_000.0, 1.0, 0.0] for i in range(300)]
    kept = {A: [50.0, 3.0, 0.0]}

    def trial(periods: dict[str, float | None] | None) -> int | None:
        return caps_trial(
            rows, kept, 49, start=1_000.0, period_s=3600.0, margin=1.5, tier=3, periods=periods
        )

    assert trial(None) == 1_000  # every hour: most buyers are ours above it
    assert trial({A: 3600.0}) == 1_000
    assert trial({A: 120.0}) is None  # every 2 minutes: it serves them all
    assert trial({A: None}) is None  # never out of stock


def test_robust_replays_the_periods_the_book_showed() -> None:
    rows = [
        [NOW - 36_000 + 120.0 * i, 5_000.0 if i % 4 == 0 else 150.0, 1.0, 0.0] for i in range(300)
    ]
    on = {"caps_window_seconds": 43_200.0, "caps_period_seconds": 900.0}
    # the rival of robust_decides (100, one task) never sold: item 40 assumes 900 s and opens
    assert robust_decides({**on, "caps_restock_intervals": 2}, rows).p_mode == "trial"
    m = robust_decides({**on, "caps_restock_intervals": 2, "caps_restock_unseen": "stocked"}, rows)
    assert m.p_mode == "market"
    # the watch is kept only with a key that reads it on (item 51's replay with item 54 reads it
    # by default since session 17)
    assert OfferMemory().c_restock == {}
    assert robust_decides({**on, "tier_open_multiple": 0.0}, rows).c_restock == {}
    assert robust_decides(on, rows).c_restock != {}
    assert robust_decides({**on, "caps_restock_intervals": 2}, rows).c_restock != {}


def test_the_watch_is_stored_with_robust_s_memory() -> None:
    row = [50.0, 3.0, 900.0, 600.0, 2.0, 900.0, 0.0, 420.0, 2.0]
    m = OfferMemory.from_json(OfferMemory(c_restock={A: row}).to_json())
    assert m.c_restock == {A: row}
    # a row of another shape (not this module's) is dropped, not misread
    assert OfferMemory.from_json(OfferMemory(c_restock={A: row[:6]}).to_json()).c_restock == {}


def test_robust_reads_the_waits_with_caps_restock_wait() -> None:
    rows = [
        [NOW - 36_000 + 120.0 * i, 5_000.0 if i % 4 == 0 else 150.0, 1.0, 0.0] for i in range(300)
    ]
    on = {
        "caps_window_seconds": 43_200.0,
        "caps_restock_intervals": 2,
        "caps_restock_unseen": "stocked",
        "caps_restock_wait": True,
    }
    # robust_decides's rival never sold: no wait seen, never out of stock, no trial
    assert robust_decides(on, rows).p_mode == "market"
    # with item 40's assumption for it the trial opens: the key changes only seen rivals
    assert robust_decides({**on, "caps_restock_unseen": "assumed"}, rows).p_mode == "trial"

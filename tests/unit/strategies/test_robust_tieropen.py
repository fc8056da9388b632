"""``robust``'s perch gate opened by a top tier of our own buyers far above our undercut price
(strategies/robust_tieropen.py, ``tier_open_multiple``, robust item 51): the pure rule, and in
robust the trial it opens, the gates that keep it shut, and its one chance per offer."""

from __future__ import annotations

import random
from typing import Any

import pytest

import strategies
from strategies import run_fenced
from strategies.robust import OfferMemory
from strategies.robust_caps import Buyer
from strategies.robust_tieropen import replay_pays, tier_opens
from tests.support.factories import NOW, RIVAL, rival, snap, util
from tests.unit.strategies.test_robust_caps import KEY, PERCH, XS


def b(cap: int, tasks: int = 1) -> Buyer:
    return Buyer(NOW - 60, cap, tasks, False)


@pytest.mark.parametrize(
    ("buyers", "multiple", "tier", "level"),
    [
        ([b(2_000, 6), b(150, 40)], 10.0, 6, 2_000),
        ([b(2_000, 5), b(150, 40)], 10.0, 6, 0),  # a tier too thin for a trial to see
        ([b(2_000, 3), b(2_000, 3)], 10.0, 6, 2_000),  # tasks, not buyers, are counted
        ([b(2_000, 6)], 25.0, 6, 0),  # 2,000 is under 25 x 100
        ([b(2_000, 6), b(3_000)], 10.0, 6, 0),  # one buyer stated more: no tier on top
        ([b(2_000, 6), b(300, 9)], 2.0, 6, 2_000),  # the highest tier, not the largest
        ([b(99_000, 9)], 10.0, 6, 0),  # at the top: no better than the usual trial
        ([b(2_000, 6)], 0.0, 6, 0),  # off
        ([], 10.0, 6, 0),
    ],
)
def test_the_level_is_the_highest_tier_far_above_our_price(
    buyers: list[Buyer], multiple: float, tier: int, level: int
) -> None:
    # our price 100, the trial's floor 400, its top 99,000
    assert tier_opens(buyers, 100, 400, 99_000, multiple, tier) == level


def test_a_tier_under_the_floor_opens_nothing() -> None:
    assert tier_opens([b(300, 9)], 100, 400, 99_000, 2.0, 6) == 0
    assert tier_opens([b(500, 9)], 100, 400, 99_000, 2.0, 6) == 500


def test_the_replay_asks_whether_the_rivals_run_out_for_the_tier() -> None:
    """Six buyers of one task at cap 2,000 within a 900 s restock period, our price 99, one rival
    at 100: one task per restock leaves five to us at 2,000 (10,000 > 594); a rival listing 50
    serves them all first (0 > 0 is no gain); none remembered, each pays the level."""
    buyers = [Buyer(NOW - 600 + 10 * i, 2_000, 1, False) for i in range(6)]
    start = NOW - 3_600.0
    thin = {RIVAL: [100.0, 1.0, NOW - 60]}
    deep = {RIVAL: [100.0, 50.0, NOW - 60]}
    assert replay_pays(buyers, thin, 99, 2_000, start, 900.0)
    assert not replay_pays(buyers, deep, 99, 2_000, start, 900.0)
    assert replay_pays(buyers, {}, 99, 2_000, start, 900.0)
    # a captive buyer is served by no rival
    captive = [Buyer(NOW - 600, 2_000, 6, True)]
    assert replay_pays(captive, deep, 99, 2_000, start, 900.0)


# item 51 alone, its replay as the lead wrote it (item 54's keys off), and all off: explicit,
# whatever robust's defaults
ON = {"tier_open_multiple": 10.0, "tier_open_replay": False}
NO54 = {"tier_replay_intervals": 0, "tier_replay_sold": False, "tier_replay_tasks": 0}
REPLAY = {**ON, "tier_open_replay": True, **NO54}
OFF = {"tier_open_multiple": 0.0}


def state(rows: list[list[float]], **fields: Any) -> dict[str, Any]:
    """One rival (100, one task, steady for 3 h) in stock: the perch's gate shut (0.1), its wait
    over a whole ``perch_wait_seconds`` ago (600 s); ``rows`` our remembered buyers."""
    m = OfferMemory(
        **{
            "last_at": NOW - 60,
            "p_out": 0.1,
            "p_next": NOW - 700,
            "p_wait": 600.0,
            "market_ev": [30 * 99.0, 30.0, 36_000.0],
            "a_pools": {RIVAL: [100.0, NOW - 10_800, NOW - 60, 1.0]},
            "c_buyers": rows,
            **fields,
        }
    )
    base = {"rivals": {KEY: [100, NOW - 60, NOW - 7200]}, "modes": {KEY: "contested"}}
    return {"base": base, "offers": {KEY: m.to_json()}}


def decides(params: dict[str, Any], rows: list[list[float]], **fields: Any) -> OfferMemory:
    s = snap(offers=[XS], book=[rival("a", 100, remaining=1, age=600.0)], utilization=util(10, 0))
    d = run_fenced(
        strategies.create("robust", {**PERCH, **params}),
        s,
        [XS],
        state(rows, **fields),
        random.Random(1),
    )
    assert not d.abstain, d.reason
    return OfferMemory.from_json(d.state["offers"][KEY])


def rows(top: int = 6) -> list[list[float]]:
    """40 buyers of ours at 150 in the last 10 h, ``top`` of them at 5,000 (50 x our 99)."""
    return [[NOW - 36_000 + 900.0 * i, 5_000.0 if i < top else 150.0, 1.0, 0.0] for i in range(40)]


def test_robust_opens_a_trial_at_the_tier_our_undercut_serves() -> None:
    m = decides(ON, rows())
    assert (m.p_mode, m.p_price, m.v_price, m.t_open) == ("trial", 5_000, 5_000, True)
    assert m.c_next == NOW + 1_800.0 and m.p_out >= 0.5  # the gate lifted, read again in 30 min
    # off (main 394dbe7): the gate stays shut
    m = decides(OFF, rows())
    assert (m.p_mode, m.t_open) == ("market", False)


@pytest.mark.parametrize(
    ("params", "top", "fields"),
    [
        (ON, 5, {}),  # five tasks at 5,000: a tier a trial would hardly see
        ({**ON, "tier_open_multiple": 60.0}, 6, {}),  # 5,000 is under 60 x 99
        (ON, 6, {"p_next": NOW - 1}),  # the gate's own trial is due: it has its chance first
        (ON, 6, {"t_lost": True}),  # one such trial was lost: once per offer
        (ON, 6, {"c_next": NOW + 60}),  # read every 30 minutes
        ({**ON, "anchor_steady_seconds": 0.0}, 6, {}),  # guard 7 does not call the market steady
    ],
)
def test_robust_keeps_the_gate_shut(
    params: dict[str, Any], top: int, fields: dict[str, Any]
) -> None:
    m = decides(params, rows(top), **fields)
    assert (m.p_mode, m.t_open) == ("market", False)


def test_a_trial_the_tier_opened_that_is_lost_marks_the_offer() -> None:
    """The rival back in stock (count 0.1, under half the gate) before the trial sold: lost, and
    the rule will not open another for this offer; another trial lost leaves no mark."""
    trial = {"p_mode": "trial", "p_since": NOW - 600, "p_price": 5_000, "v_price": 5_000}
    m = decides(ON, rows(), t_open=True, **trial)
    assert (m.p_mode, m.t_open, m.t_lost) == ("market", False, True)
    m = decides(ON, rows(), **trial)
    assert (m.p_mode, m.t_lost) == ("market", False)


def test_a_settled_trial_at_its_tier_bounds_the_refine_one_nrlc_above_it() -> None:
    """Sold at the tier's 5,000: no buyer of the window stated more, so the refine's unsold
    bound is 5,001 (as item 43's); the same trial not opened by the tier keeps its bound unless
    item 52's ``vouch_bound`` (on by default) bounds it the same way (one place: ``_vouch_bound``)."""
    trial = {
        "p_mode": "trial",
        "p_since": NOW - 600,
        "p_price": 5_000,
        "v_price": 5_000,
        "p_settled": True,
        "p_out": 0.9,
        "perch_ev": [10_000.0, 2.0, 600.0],
    }
    m = decides(ON, rows(), t_open=True, **trial)
    assert (m.p_price, m.r_hi) == (5_000, 5_001)
    m = decides({**ON, "vouch_bound": False}, rows(), **trial)
    assert m.r_hi != 5_001
    m = decides(ON, rows(), **trial)
    assert m.r_hi == 5_001


def test_the_replay_keeps_the_gate_shut_where_the_rival_serves_the_tier() -> None:
    """The rival (100, one task) restocks every 900 s: the tier's buyers, one per 900 s, each
    find it in stock, so the replay says the level earns nothing above it; six tier buyers in
    one minute leave five to us at 5,000, and the trial opens."""
    replay = REPLAY
    m = decides(replay, rows())
    assert (m.p_mode, m.t_open) == ("market", False)
    assert decides(ON, rows()).t_open  # the key off: item 51 alone opens it
    bunched = [[NOW - 3_600 + 10.0 * i, 5_000.0, 1.0, 0.0] for i in range(6)] + rows(0)[6:]
    bunched.sort(key=lambda r: r[0])
    m = decides(replay, bunched)
    assert (m.p_mode, m.p_price, m.t_open) == ("trial", 5_000, True)


def test_the_replay_reads_each_rival_s_own_period() -> None:
    """Item 54 (``tier_replay_intervals``): six tier buyers of one task, one every 120 s, our
    price 99 under one rival at 100 listing one task. Restocking every 900 s (item 40's
    assumption) the rival serves one or two of them and the level earns more; restocking every
    60 s (the period the book showed) it serves them all, and the level earns nothing."""
    buyers = [Buyer(NOW - 3_000 + 120 * i, 2_000, 1, False) for i in range(6)]
    start = NOW - 3_600.0
    thin = {RIVAL: [100.0, 1.0, NOW - 60]}
    assert replay_pays(buyers, thin, 99, 2_000, start, 900.0)
    assert replay_pays(buyers, thin, 99, 2_000, start, 900.0, periods={RIVAL: 900.0})
    assert not replay_pays(buyers, thin, 99, 2_000, start, 900.0, periods={RIVAL: 60.0})
    assert not replay_pays(buyers, thin, 99, 2_000, start, 900.0, periods={RIVAL: None})
    # a pool the periods do not name keeps the assumed period
    assert replay_pays(buyers, thin, 99, 2_000, start, 900.0, periods={"0xother": 60.0})


def test_the_replay_s_baseline_is_what_our_buyers_paid() -> None:
    """Item 54 (``tier_replay_sold``): 40 buyers of ours at caps of 150, one every 600 s, and
    three tier buyers at 2,000 bunched in one minute; our market-led price at this reading is
    150, above a rival at 100 listing one task every 900 s (a markup). Replayed against that
    rival, 150 earns only the buyers who came while it was out (about one in three: 2,250), so
    the tier's 2 x 2,000 wins; what these buyers paid us, at a mean of 150 (43 tasks, 6,450),
    beats it."""
    buyers = [Buyer(NOW - 30_000 + 600 * i, 150, 1, False) for i in range(40)]
    buyers += [Buyer(NOW - 1_000 + 10 * i, 2_000, 1, False) for i in range(3)]
    buyers.sort(key=lambda x: x.at)
    start = NOW - 36_000.0
    rival_ = {RIVAL: [100.0, 1.0, NOW - 60]}
    assert replay_pays(buyers, rival_, 150, 2_000, start, 900.0)
    assert not replay_pays(buyers, rival_, 150, 2_000, start, 900.0, paid=150)
    # the price of the moment does not matter once what they paid is known: a dip to 10
    assert not replay_pays(buyers, rival_, 10, 2_000, start, 900.0, paid=150)
    assert replay_pays(buyers, rival_, 10, 2_000, start, 900.0, paid=50)  # 43 x 50 < 4,000
    # a tier whose replay earns more than our buyers paid still opens
    many = buyers + [Buyer(NOW - 500 + 10 * i, 2_000, 1, False) for i in range(9)]
    many.sort(key=lambda x: x.at)
    assert replay_pays(many, rival_, 150, 2_000, start, 900.0, paid=150)


def test_the_replay_s_level_must_sell_more_than_one_task() -> None:
    """Item 54 (``tier_replay_tasks``): one tier buyer in the window, the rival (100, one task
    every 900 s) out when it came: the level earns 2,000 against 198 but from one task; with 2
    required it does not open, with two such buyers in two restock periods it does."""
    # a buyer at 150 takes the rival's task restocked at NOW - 900, the tier buyer comes after
    one = [Buyer(NOW - 700, 150, 1, False), Buyer(NOW - 600, 2_000, 1, False)]
    start = NOW - 3_600.0
    thin = {RIVAL: [100.0, 1.0, NOW - 60]}
    assert replay_pays(one, thin, 99, 2_000, start, 900.0)
    assert not replay_pays(one, thin, 99, 2_000, start, 900.0, least=2)
    earlier = [Buyer(NOW - 1_700, 150, 1, False), Buyer(NOW - 1_650, 2_000, 1, False)]
    two = earlier + one
    assert replay_pays(two, thin, 99, 2_000, start, 900.0, least=2)


def spaced() -> list[list[float]]:
    """Six tier buyers at 5,000, one every 120 s in the last hour, among rows(0)'s buyers at 150."""
    top = [[NOW - 3_000 + 120.0 * i, 5_000.0, 1.0, 0.0] for i in range(6)]
    return sorted(top + rows(0)[6:], key=lambda r: r[0])


def test_robust_replays_the_rival_s_own_period_with_tier_replay_intervals() -> None:
    """The rival (100, one task) showed a 60 s period twice in the book (item 44's watch): with
    ``tier_replay_intervals`` 2 the replay gives it 60 s, it serves every tier buyer spaced
    120 s apart, and the gate stays shut; at item 40's 900 s it serves one or two and the trial
    opens (the key off, main)."""
    replay = REPLAY
    watch = {RIVAL: [100.0, 1.0, NOW - 120, 60.0, 2.0, NOW - 60, 0.0, 0.0, 0.0]}
    m = decides(replay, spaced(), c_restock=watch)
    assert (m.p_mode, m.p_price, m.t_open) == ("trial", 5_000, True)
    m = decides({**replay, "tier_replay_intervals": 2}, spaced(), c_restock=watch)
    assert (m.p_mode, m.t_open) == ("market", False)
    assert m.c_restock[RIVAL][3] == 60.0  # the watch runs with the key on
    # one interval seen is not enough for 2: the rival keeps the assumed 900 s
    once = {RIVAL: [100.0, 1.0, NOW - 120, 60.0, 1.0, NOW - 60, 0.0, 0.0, 0.0]}
    assert decides({**replay, "tier_replay_intervals": 2}, spaced(), c_restock=once).t_open
    # the watch is kept only with the key on (and item 51's replay)
    assert decides(replay, spaced()).c_restock == {}
    assert decides({**replay, "tier_replay_intervals": 2}, spaced()).c_restock != {}
    assert decides({**OFF, "tier_replay_intervals": 2}, spaced()).c_restock == {}


def test_robust_s_replay_baseline_with_tier_replay_sold() -> None:
    """Under every rival (our 99, the rival's 100) our price replayed and what our buyers paid
    agree, so ``tier_replay_sold`` keeps item 51's replay as it is: the bunched tier opens,
    the spaced one's replay still pays, and a tier whose buyers paid us more than it would
    earn stays shut either way."""
    replay = REPLAY
    bunched = [[NOW - 3_600 + 10.0 * i, 5_000.0, 1.0, 0.0] for i in range(6)] + rows(0)[6:]
    bunched.sort(key=lambda r: r[0])
    for on in (False, True):
        m = decides({**replay, "tier_replay_sold": on}, bunched)
        assert (m.p_mode, m.p_price, m.t_open) == ("trial", 5_000, True)
        assert decides({**replay, "tier_replay_sold": on}, spaced()).t_open
    # 300 more buyers at 150 in the last 10 h: 340 x 99 = 33,660 > 5 x 5,000
    crowd = bunched + [[NOW - 36_000 + 100.0 * i + 1, 150.0, 1.0, 0.0] for i in range(300)]
    crowd.sort(key=lambda r: r[0])
    for on in (False, True):
        assert not decides({**replay, "tier_replay_sold": on}, crowd).t_open


def test_robust_asks_the_replay_for_tier_replay_tasks() -> None:
    """One tier buyer at 5,000 (``tier_open_tasks`` 1 here), 50 s after a buyer at 150 took the
    rival's task restocked at NOW - 900: the replay gives the level that one task, 5,000 against
    35 x 99, and the trial opens; with ``tier_replay_tasks`` 2 it does not."""
    replay = {**REPLAY, "tier_open_tasks": 1}
    one = sorted([*rows(0)[6:], [NOW - 850.0, 5_000.0, 1.0, 0.0]], key=lambda r: r[0])
    m = decides(replay, one)
    assert (m.p_mode, m.p_price, m.t_open) == ("trial", 5_000, True)
    m = decides({**replay, "tier_replay_tasks": 2}, one)
    assert (m.p_mode, m.t_open) == ("market", False)

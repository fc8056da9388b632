"""``robust``: portfolio's quotes until a sign shows, then the follower guard, the scarcity
markup, the captive ratchet and the cost floor, each on crafted snapshots."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

import strategies
from bot.domain.errors import InputError
from bot.domain.model import Quote
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies import run_fenced
from strategies.robust import OfferMemory, RobustStrategy
from tests.support.factories import (
    NOW,
    POOL,
    REQUESTER,
    RIVAL,
    RIVAL2,
    deal,
    h,
    offer,
    own,
    request,
    rival,
    snap,
    util,
)

XS = offer(category=0, task_seconds=300, max_volume=1000)
KEY = "0:0:0"


def decide(
    s: MarketSnapshot,
    state: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    offers: list[Offer] | None = None,
    name: str = "robust",
) -> tuple[tuple[Quote, ...], dict[str, Any]]:
    params = {"floor": 0, **(params or {})}
    d = run_fenced(strategies.create(name, params), s, offers or [XS], state, random.Random(1))
    assert not d.abstain, d.reason
    return d.quotes, d.state


def memory(state: dict[str, Any]) -> OfferMemory:
    return OfferMemory.from_json(state["offers"][KEY])


def test_registered_and_params_checked() -> None:
    assert "robust" in strategies.available()
    assert strategies.get("robust") is RobustStrategy
    with pytest.raises(InputError, match="idle_utilization"):
        strategies.create("robust", {"idle_utilization": 0.9, "scarce_utilization": 0.8})
    with pytest.raises(InputError, match=r"strategy\.params\.markup_up"):
        strategies.create("robust", {"markup_up": -1.0})


def test_quotes_like_portfolio_while_no_sign_shows() -> None:
    s = snap(offers=[XS], book=[rival("a", 100), rival("b", 80)], utilization=util(10, 2))
    mine, state = decide(s)
    base, _ = decide(s, name="portfolio")
    assert mine[0].price == base[0].price == 79
    assert mine[0].volume == base[0].volume
    m = memory(state)
    assert m.posture == "war" and m.log_m == 0.0 and m.captive_price is None
    assert m.aimed  # we meant to be cheapest: a rival under us next time is following us


def test_a_rival_that_follows_us_is_met_at_its_floor() -> None:
    """Each decision the rival sits 1 under our listed price: after a few, the floor posture."""
    params = {
        "follow_smoothing": 0.5,
        "follow_share": 0.6,
        "probe_seconds": 600.0,
        "follow_stride": 0.0,  # the floor posture without its descent (test_robust_undercut.py)
        "cross_band": 0.0,
    }
    state: dict[str, Any] | None = None
    ours = 200
    low_seen = 10**9
    for i in range(6):
        rival_price = ours - 1
        low_seen = min(low_seen, rival_price)
        s = snap(
            offers=[XS],
            at=NOW + 60 * i,
            book=[rival("f", rival_price, workerpool=RIVAL2, age=10)],
            own_orders=[own(f"o{i}", ours, 5)],
            utilization=util(10, 2),
        )
        quotes, state = decide(s, state, params)
        ours = quotes[0].price
    assert state is not None
    m = memory(state)
    assert m.posture == "floor" and m.probing
    assert m.follower == RIVAL2
    assert ours == low_seen - 1
    assert "posture floor" in quotes[0].reason


def test_a_rival_under_us_on_purpose_is_not_a_follower() -> None:
    """We priced above the rival (a markup): its being cheaper says nothing about following."""
    params = {"follow_smoothing": 0.5}
    start = {"base": {}, "offers": {KEY: {**OfferMemory(aimed=False).to_json()}}}
    state: dict[str, Any] = start
    for i in range(6):
        s = snap(
            offers=[XS],
            at=NOW + 60 * i,
            book=[rival("a", 100)],
            own_orders=[own(f"o{i}", 500, 5)],
            utilization=util(10, 2),
        )
        _, state = decide(s, state, params)
        m = memory(state)
        state["offers"][KEY] = dataclasses.replace(m, aimed=False).to_json()
    assert memory(state).lost == 0.0
    assert memory(state).posture == "war"


def test_probing_commits_to_the_posture_that_earned_most() -> None:
    """After the probes, the posture with the best revenue per second is kept."""
    m = OfferMemory(
        posture="hold",
        probing=True,
        posture_since=NOW - 700,
        earned={"war": 10.0, "floor": 9000.0, "hold": 500.0},
        seconds={"war": 600.0, "floor": 600.0, "hold": 600.0},
        low=50,
        low_at=NOW - 100,
        last_at=NOW - 60,
        aimed=True,
    )
    s = snap(
        offers=[XS],
        book=[rival("a", 150, workerpool=RIVAL2)],
        own_orders=[own("o", 151, 5)],
        utilization=util(10, 2),
    )
    quotes, state = decide(s, {"base": {}, "offers": {KEY: m.to_json()}}, {"probe_seconds": 600.0})
    after = memory(state)
    assert after.posture == "floor" and not after.probing
    assert quotes[0].price == 49


SCARCE = {
    "markup_interval_seconds": 60.0,
    "markup_up": 0.5,
    "max_markup": 3.0,
    "util_smoothing": 1.0,
    "rivals_out_share": 0.5,
    "perch_trial_seconds": 0.0,  # the markup alone (the perch prices the same gaps: below)
}


def scarce_run(
    sold: list[int], book_first: bool = True, full: bool = True
) -> tuple[list[int], dict[str, Any]]:
    """One decision a minute on a full pool; ``sold[i]`` tasks bought at our price before tick i."""
    state: dict[str, Any] | None = None
    prices: list[int] = []
    for i, n in enumerate(sold):
        at = NOW + 60 * i
        deals = [deal(f"d{i}", prices[-1], n, ago=30, now=at)] if prices and n else []
        book = [rival("a", 100)] if (i == 0 and book_first) or not full else []
        s = snap(
            offers=[XS],
            at=at,
            book=book,
            deals=deals,
            utilization=util(4, 4, 4) if full else util(4, 0, 0),
        )
        quotes, state = decide(s, state, SCARCE)
        prices.append(quotes[0].price)
    assert state is not None
    return prices, state


def test_scarcity_raises_the_price_while_it_pays() -> None:
    """Pool full, the rival out of stock, and the raised price still sells: raise up to the cap."""
    prices, state = scarce_run([0, 1, 1, 1, 1, 1])
    assert prices[:2] == [99, round(99 * 1.5)]  # a raise once the rival is seen out of stock
    assert prices == sorted(prices)
    assert prices[-1] == round(99 * 3.0)  # capped at max_markup
    assert memory(state).log_m > 0


def test_a_raise_that_loses_revenue_is_undone_and_backed_off() -> None:
    prices, state = scarce_run([0, 1, 0])
    assert prices == [99, round(99 * 1.5), 99]
    m = memory(state)
    assert m.log_m == 0.0 and not m.m_trial
    assert m.m_cooldown_until == NOW + 120 + 60 and m.m_backoff == 120.0


def test_no_markup_while_rivals_have_stock() -> None:
    """A full pool next to a rival still in stock is not scarcity: its buyers would go there."""
    state: dict[str, Any] | None = None
    for i in range(6):
        s = snap(offers=[XS], at=NOW + 60 * i, book=[rival("a", 100)], utilization=util(4, 4, 4))
        quotes, state = decide(s, state, SCARCE)
        assert quotes[0].price == 99
    assert state is not None and memory(state).log_m == 0.0


def test_captive_demand_is_priced_up_while_it_pays() -> None:
    """Requests naming our pool are seen; their requester bought at our price: raise by a step."""
    params = {"captive_interval_seconds": 600.0, "captive_step": 0.5}
    named = request("n", 40, 1, workerpool=POOL)
    sold = dataclasses.replace(deal("d", 100, 4, ago=120), requester=REQUESTER)
    prior = OfferMemory(
        captive=[REQUESTER], captive_seen_at=NOW - 60, captive_price=100, captive_at=NOW - 700
    )
    s = snap(offers=[XS], book=[rival("a", 30)], requests=[named], deals=[sold])
    quotes, state = decide(s, {"base": {}, "offers": {KEY: prior.to_json()}}, params)
    assert memory(state).captive_price == 150
    assert quotes[0].price == 150
    assert "captive demand" in quotes[0].reason


def test_captive_price_comes_down_to_the_best_waiting_max_price() -> None:
    """Nothing sold at the captive price, and named requests wait below it: take the best one."""
    params = {"captive_interval_seconds": 600.0}
    book = [request("a", 90, 5, workerpool=POOL), request("b", 60, 2, workerpool=POOL)]
    prior = OfferMemory(
        captive=[REQUESTER], captive_seen_at=NOW - 60, captive_price=200, captive_at=NOW - 700
    )
    s = snap(offers=[XS], book=[rival("r", 30)], requests=book, utilization=util(10, 0))
    quotes, state = decide(s, {"base": {}, "offers": {KEY: prior.to_json()}}, params)
    # 90 x 5 = 450 beats 60 x 7 = 420
    assert memory(state).captive_price == 90
    assert quotes[0].price == 90


def test_captive_evidence_expires() -> None:
    prior = OfferMemory(captive=[REQUESTER], captive_seen_at=NOW - 7200, captive_price=500)
    s = snap(offers=[XS], book=[rival("a", 100)])
    quotes, state = decide(
        s, {"base": {}, "offers": {KEY: prior.to_json()}}, {"memory_seconds": 3600.0}
    )
    assert memory(state).captive_price is None
    assert quotes[0].price == 99


def test_cost_floor_from_the_task_run_time() -> None:
    slow = offer(category=0, task_seconds=1800, max_volume=1000)
    s = snap(offers=[slow], book=[rival("a", 100)], utilization=util(10, 0))
    quotes, _ = decide(s, params={"cost_per_slot_hour": 1000}, offers=[slow])
    assert quotes[0].price == 500  # half an hour of a 1000 nRLC/slot-hour slot
    assert "cost floor" in quotes[0].reason


def test_state_is_json_and_a_bad_memory_starts_afresh() -> None:
    import json

    s = snap(offers=[XS], book=[rival("a", 100)], utilization=util(10, 2))
    _, state = decide(s)
    assert json.loads(json.dumps(state)) == state
    assert OfferMemory.from_json({"lost": "nonsense"}) == OfferMemory()
    assert OfferMemory.from_json(42) == OfferMemory()
    quotes, _ = decide(s, {"base": "junk", "offers": {KEY: {"posture": "weird"}}})
    assert quotes[0].price == 99


def test_the_buyers_rows_are_stored_flat_and_read_in_either_form() -> None:
    rows = [[10.0, 99.0, 2.0, 0.0], [20.0, 150.0, 1.0, 1.0]]
    stored = OfferMemory(c_buyers=rows).to_json()
    assert stored["c_buyers"] == [10.0, 99.0, 2.0, 0.0, 20.0, 150.0, 1.0, 1.0]
    assert OfferMemory.from_json(stored).c_buyers == rows
    # a state persisted before (one list per row) still reads; a malformed row is dropped
    assert OfferMemory.from_json({"c_buyers": [*rows, [1.0]]}).c_buyers == rows
    # a flat list that is not whole rows reads as no buyers; a non-number in it is malformed
    # like any other field: the offer starts afresh
    assert OfferMemory.from_json({"c_buyers": [10.0, 99.0, 2.0]}).c_buyers == []
    assert OfferMemory.from_json({"c_buyers": [10.0, 99.0, 2.0, "x"]}) == OfferMemory()


def test_requests_that_never_buy_are_not_priced_for() -> None:
    """A request our listed order fits, still in the book: it waits for a pool to match it."""
    waiting = request("pub", 500, 20)
    book = [rival("a", 100)]
    # without a listed order of ours there is no telling: the book logic prices for it
    fresh, _ = decide(snap(offers=[XS], book=book, requests=[waiting], utilization=util(10, 0)))
    assert fresh[0].price > 99
    s = snap(
        offers=[XS],
        book=book,
        requests=[waiting],
        own_orders=[own("o", 99, 5)],
        utilization=util(10, 0),
    )
    quotes, state = decide(s, params={"inert_after_seconds": 10.0})
    assert quotes[0].price == 99  # undercut the rival, as if the book were empty
    assert state["inert"] == [waiting.order_hash]
    # a request younger than inert_after_seconds may still be matched: it still counts
    # (the churn hold off: nothing sold yet, so it would hold that raise at our listed 99)
    quotes, state = decide(s, params={"inert_after_seconds": 3600.0, "raise_horizon_seconds": 0.0})
    assert quotes[0].price > 99 and state["inert"] == []


def test_the_book_tally_counts_a_request_that_waited_per_category() -> None:
    """robust_book's test (book_wait_share) reads guard 4's marks: a fitted request that stayed
    waited; one our order fits but too young to judge is watched."""
    waiting = request("pub", 500, 20)
    s = snap(
        offers=[XS],
        book=[rival("a", 100)],
        requests=[waiting],
        own_orders=[own("o", 99, 5)],
        utilization=util(10, 0),
    )
    _, state = decide(s, params={"inert_after_seconds": 10.0})
    assert state["tally"] == {str(XS.category): [0, 1]} and state["watch"] == {}
    _, state = decide(s, params={"inert_after_seconds": 3600.0})
    assert state["tally"] == {} and state["watch"] == {waiting.order_hash: XS.category}


def test_the_markup_also_tries_on_a_quiet_pool_when_rivals_sell_out() -> None:
    """Rivals too small to set the price: raise on trial even with idle slots, while it pays."""
    params = {k: v for k, v in SCARCE.items() if k != "max_markup"}
    state: dict[str, Any] | None = None
    prices: list[int] = []
    for i in range(4):
        at = NOW + 60 * i
        deals = [deal(f"d{i}", prices[-1], 1, ago=30, now=at)] if prices else []
        book = [rival("a", 100)] if i == 0 else []
        s = snap(offers=[XS], at=at, book=book, deals=deals, utilization=util(10, 1))
        quotes, state = decide(s, state, params)
        prices.append(quotes[0].price)
    assert prices[0] == 99 and prices[1] == round(99 * 1.5) and prices[2] > prices[1]
    # with a busy-pool requirement the same market is left alone
    state = None
    for i in range(4):
        at = NOW + 60 * i
        deals = [deal(f"e{i}", 99, 1, ago=30, now=at)] if i else []
        book = [rival("a", 100)] if i == 0 else []
        s = snap(offers=[XS], at=at, book=book, deals=deals, utilization=util(10, 1))
        quotes, state = decide(s, state, {**params, "scarce_utilization": 0.9})
        assert quotes[0].price == 99


@pytest.mark.parametrize(("pools", "posture"), [(1, "floor"), (2, "war")])
def test_one_fast_follower_is_met_but_slower_undercutters_taking_turns_are_not(
    pools: int, posture: str
) -> None:
    """Each decision a rival is 1 under us; with two pools taking turns, each is under us only
    half the time: a price war (undercutting wins it), not one pool that follows us."""
    params = {"follow_smoothing": 0.3, "follow_share": 0.6, "probe_seconds": 600.0}
    names = [RIVAL2, "0x" + "f" * 40][:pools]
    state: dict[str, Any] | None = None
    ours = 500
    for i in range(10):
        pool = names[i % pools]
        s = snap(
            offers=[XS],
            at=NOW + 60 * i,
            book=[rival(f"r{i}", ours - 1, workerpool=pool, age=10)],
            own_orders=[own(f"o{i}", ours, 5)],
            utilization=util(10, 2),
        )
        quotes, state = decide(s, state, params)
        ours = quotes[0].price
    assert state is not None
    assert memory(state).posture == posture


PERCH = {"perch_trial_seconds": 3600.0, "perch_wait_seconds": 600.0, "cancel_cost": 7}


def perch_state(rivals_out: float = 0.9, **fields: Any) -> dict[str, Any]:
    """A rival last seen an hour ago at 100 (so: contested), out of stock ``rivals_out`` of the
    time lately (both counts); the market-led price sold 30 tasks at 99 in 10 h (``market_ev``)."""
    m = OfferMemory(
        **{
            "last_at": NOW - 60,
            "rivals_out": rivals_out,
            "p_out": rivals_out,
            "p_next": NOW - 1,
            "p_wait": 600.0,
            "market_ev": [30 * 99.0, 30.0, 36_000.0],
            **fields,
        }
    )
    base = {"rivals": {KEY: [100, NOW - 3600, NOW - 7200]}, "modes": {KEY: "contested"}}
    return {"base": base, "offers": {KEY: m.to_json()}}


def test_a_perch_trial_starts_as_high_as_the_rails_allow_while_rivals_are_out() -> None:
    """Rivals out of stock at 90 % of recent decisions, the wait over: a trial quotes the
    market-led 99 x ``perch_multiple`` (the rails cap it) in one deliberate jump."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)], utilization=util(10, 0))
    quotes, new = decide(s, perch_state(), PERCH)
    m = memory(new)
    assert (m.p_mode, m.p_price, m.perched) == ("trial", 99_000, True)
    assert quotes[0].price == 99_000 and quotes[0].jump and "perch" in quotes[0].reason


def test_the_first_trial_waits_perch_first_wait_seconds_and_later_ones_as_before() -> None:
    """Item 21: an offer's first wait is ``perch_first_wait_seconds`` when set (on by default
    since item 29, 2 h); the wait a lost trial doubles from stays ``perch_wait_seconds``."""
    s = snap(offers=[XS], book=[rival("a", 100)], utilization=util(10, 0))
    off = {**PERCH, "perch_first_wait_seconds": 0.0}
    _, new = decide(s, perch_state(p_next=None, rivals_out=0.3), off)
    assert (memory(new).p_next, memory(new).p_wait) == (NOW + 600, 600)
    _, new = decide(s, perch_state(p_next=None, rivals_out=0.3), PERCH)
    assert (memory(new).p_next, memory(new).p_wait) == (NOW + 7200, 600)
    first = {**PERCH, "perch_first_wait_seconds": 120.0}
    _, new = decide(s, perch_state(p_next=None, rivals_out=0.3), first)
    assert (memory(new).p_next, memory(new).p_wait) == (NOW + 120, 600)


def test_no_trial_while_rivals_usually_have_stock() -> None:
    s = snap(offers=[XS], book=[rival("a", 100)], utilization=util(10, 0))
    quotes, new = decide(s, perch_state(rivals_out=0.3), PERCH)
    assert quotes[0].price == 99 and memory(new).p_mode == "market"


def test_an_unsold_trial_price_starts_from_the_rails_cap_and_steps_down() -> None:
    """The rails listed 3,168 (their cap) for a trial at 99,000; it has not sold for longer than
    the market-led price took to sell ``perch_step_tasks`` (3 tasks: 1 h here, the step's cap is a
    quarter of the trial): the next level is ``perch_step_down`` (0.5; 0.8 opt-in) x what was
    listed."""
    state = perch_state(p_mode="trial", p_since=NOW - 3600, p_price=99_000, perched=True)
    s = snap(offers=[XS], book=[], own_orders=[own("o", 3_168, 5)], utilization=util(10, 0))
    quotes, new = decide(s, state, PERCH)
    assert memory(new).p_price == 1_584 and quotes[0].price == 1_584
    quotes, new = decide(s, state, {**PERCH, "perch_step_down": 0.8})
    assert memory(new).p_price == 2_534 and quotes[0].price == 2_534
    # below 4 x the market-led price the trial is lost: back to it, the next trial waits longer
    state = perch_state(p_mode="trial", p_since=NOW - 3600, p_price=700, perched=True)
    s = snap(offers=[XS], book=[], own_orders=[own("o", 700, 5)], utilization=util(10, 0))
    quotes, new = decide(s, state, PERCH)
    m = memory(new)
    assert quotes[0].price == 99 and quotes[0].jump and m.p_mode == "market"
    assert m.p_next == NOW + 1200 and not m.perched


def test_an_unlisted_rejoined_trial_price_is_not_stepped_down() -> None:
    """A full pool lists no order of ours: for a rejoined perch's price (it paid before) the time
    since the last decision (60 s) does not count as the level going unsold, so a level 30 s past
    its step (15 min here) is held and its clock moved on. Off, with an order listed, or at a
    level no perch has paid at (unless ``trial_pace_unknown`` or item 21's ``trial_listed_all``,
    on by default since item 29), it steps down as before."""
    rejoined = perch_state(
        p_mode="trial",
        p_since=NOW - 930,
        p_price=3_168,
        perched=True,
        perch_known=3_168,
        perch_known_at=NOW - 3600,
    )
    full = snap(offers=[XS], book=[], own_orders=[], utilization=util(10, 10))
    quotes, new = decide(full, rejoined, PERCH)
    m = memory(new)
    assert (m.p_price, m.p_since, quotes[0].price) == (3_168, NOW - 930 + 60, 3_168)
    quotes, new = decide(full, rejoined, {**PERCH, "trial_listed_clock": False})
    assert memory(new).p_price == 1_584 and quotes[0].price == 1_584
    listed = snap(offers=[XS], book=[], own_orders=[own("o", 3_168, 5)], utilization=util(10, 0))
    quotes, new = decide(listed, rejoined, PERCH)
    assert memory(new).p_price == 1_584
    unknown = perch_state(p_mode="trial", p_since=NOW - 930, p_price=3_168, perched=True)
    only_known = {**PERCH, "trial_listed_all": False}
    quotes, new = decide(full, unknown, only_known)
    assert memory(new).p_price == 1_584
    quotes, new = decide(full, unknown, {**only_known, "trial_pace_unknown": True})
    assert memory(new).p_price == 3_168
    # item 21: every level's clock waits for a listing, its pace unchanged
    quotes, new = decide(full, unknown, PERCH)
    assert (memory(new).p_price, memory(new).p_since) == (3_168, NOW - 930 + 60)
    quotes, new = decide(listed, unknown, PERCH)
    assert memory(new).p_price == 1_584


def sold_at(price: int) -> MarketSnapshot:
    """No rival listed; our order at ``price`` sold one task 30 s ago (a trial level that sells)."""
    return snap(
        offers=[XS],
        book=[],
        own_orders=[own("o", price, 4)],
        deals=[deal("d", price, 1, ago=30)],
        utilization=util(10, 1),
    )


def test_a_sale_settles_the_trial_price() -> None:
    state = perch_state(p_mode="trial", p_since=NOW - 600, p_price=1_584, perched=True)
    s = sold_at(1_584)
    quotes, new = decide(s, state, PERCH)
    m = memory(new)
    assert m.p_settled and m.p_price == 1_584 and quotes[0].price == 1_584
    assert m.perch_ev == [1_584 - 2 * 7, 1.0, 600.0]


@pytest.mark.parametrize(("tasks", "mode"), [(9.0, "perch"), (1.0, "market")])
def test_a_settled_trial_is_committed_only_if_its_lower_bound_beats_the_market(
    tasks: float, mode: str
) -> None:
    """Market-led: 2,970 over 10 h. Perch at 1,584 for an hour: 9 sales -> lower bound (9 - 3)
    x 1,584 = 9,504 per hour, committed; 1 sale -> lower bound 0, back to the market price."""
    state = perch_state(
        p_mode="trial",
        p_since=NOW - 3600,
        p_price=1_584,
        p_settled=True,
        perched=True,
        perch_ev=[tasks * 1_584, tasks, 3600.0],
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 4)], utilization=util(10, 0))
    quotes, new = decide(s, state, PERCH)
    assert memory(new).p_mode == mode
    assert quotes[0].price == (1_584 if mode == "perch" else 99)


def test_a_committed_perch_is_checked_against_a_fresh_market_measure() -> None:
    """Held for ``p_hold``, the perch gives way to the market-led price for a trial's length
    (its evidence measured afresh: the old one is as old as the commit); if the perch still
    beats it, the perch comes back in one jump and is held twice as long."""
    state = perch_state(
        p_mode="perch", p_since=NOW - 7200, p_hold=3600.0, p_price=1_584, perched=True
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    quotes, new = decide(s, state, PERCH)
    m = memory(new)
    assert (m.p_mode, m.market_ev) == ("check", [0.0, 0.0, 0.0])
    assert quotes[0].price == 99 and quotes[0].jump
    state = perch_state(
        p_mode="check",
        p_since=NOW - 3600,
        p_hold=3600.0,
        p_price=1_584,
        perch_ev=[9 * 1_584.0, 9.0, 3600.0],
    )
    quotes, new = decide(s, state, PERCH)
    m = memory(new)
    assert (m.p_mode, m.p_hold) == ("perch", 7200.0)
    assert quotes[0].price == 1_584 and quotes[0].jump


def test_rivals_back_in_stock_end_a_committed_perch_in_one_jump() -> None:
    state = perch_state(
        rivals_out=0.2, p_mode="perch", p_since=NOW - 60, p_price=1_584, perched=True
    )
    s = snap(offers=[XS], book=[rival("a", 100)], own_orders=[own("o", 1_584, 5)])
    quotes, new = decide(s, state, PERCH)
    assert quotes[0].price == 99 and quotes[0].jump and memory(new).p_mode == "market"
    quotes, _ = decide(s, new, PERCH)
    assert not quotes[0].jump


def test_a_perch_ends_when_there_is_no_rival_led_price_and_the_next_trial_waits() -> None:
    """No rival seen at all (portfolio prices alone): nothing to perch over; the perch ends in one
    jump and the next trial waits ``perch_wait_seconds`` (a flickering mode does not restart it)."""
    state = perch_state(p_mode="perch", p_since=NOW - 60, p_hold=3600.0, p_price=1_584)
    state["base"] = {}
    mem = OfferMemory.from_json(state["offers"][KEY])
    state["offers"][KEY] = dataclasses.replace(mem, perched=True).to_json()
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    quotes, new = decide(s, state, PERCH)
    m = memory(new)
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)
    assert "perch" not in quotes[0].reason and quotes[0].jump


def test_sales_are_credited_to_the_mode_quoted_meanwhile() -> None:
    """A perch's sales are its evidence (not the markup's); the market-led ones the market's."""
    state = perch_state(
        p_mode="perch", p_since=NOW - 60, p_hold=3600.0, p_price=1_584, perched=True
    )
    s = snap(offers=[XS], book=[], deals=[deal("d", 1_584, 2, ago=30)], utilization=util(10, 2))
    _, new = decide(s, state, {**PERCH, "perch_half_life_seconds": 2e6})
    m = memory(new)
    assert m.perch_ev == pytest.approx([3_168.0, 2.0, 60.0], rel=1e-4)
    assert m.market_ev == pytest.approx([30 * 99.0, 30.0, 36_000.0], rel=1e-4)
    assert m.m_earned == 0.0


def test_a_raise_that_would_not_pay_its_cancel_is_held() -> None:
    """Our order at 50 still holds 5 tasks; the cheap rival sold out, the next is at 100. One task
    sold in the last hour: (99 - 50) x 1 < the cancel's gas, so the listed 50 stays; with three
    sold, (99 - 50) x 3 pays it."""
    book = [rival("b", 100)]
    seen = {"rivals": {KEY: [50, NOW - 30, NOW - 600]}, "modes": {KEY: "contested"}}
    mine = [own("o", 50, 5)]
    params = {"cancel_cost": 100, "perch_trial_seconds": 0.0}
    for sold, want in ((1, 50), (3, 99)):
        s = snap(
            offers=[XS],
            book=book,
            own_orders=mine,
            deals=[deal("d", 50, sold, ago=600)],
            utilization=util(10, 2),
        )
        quotes, _ = decide(s, {"base": seen, "offers": {}}, params)
        assert quotes[0].price == want, quotes[0].reason
    assert (
        "would not pay its cancel"
        in decide(
            snap(offers=[XS], book=book, own_orders=mine, utilization=util(10, 2)),
            {"base": seen, "offers": {}},
            params,
        )[0][0].reason
    )


def test_waiting_captive_requests_are_sold_down_to_once_they_pay_the_cancels() -> None:
    """Requests naming us wait under our market-led price: come down to the best common floor
    once what they pay there covers ``captive_harvest_cancels`` cancels; not before."""
    book = [request(f"a{i}", 600, 1, workerpool=POOL) for i in range(3)]
    book += [request(f"b{i}", 300, 1, workerpool=POOL) for i in range(5)]
    s = snap(offers=[XS], book=[rival("r", 1000)], requests=book, utilization=util(10, 0))
    # 300 x 8 = 2,400 beats 600 x 3 = 1,800
    quotes, _ = decide(s, params={"captive_harvest_cancels": 10.0, "cancel_cost": 200})
    assert quotes[0].price == 300
    assert "8 waiting captive requests" in quotes[0].reason
    quotes, _ = decide(s, params={"captive_harvest_cancels": 10.0, "cancel_cost": 300})
    assert quotes[0].price == 999  # 2,400 < 10 x 300: not worth the way back up
    quotes, _ = decide(s, params={"captive_harvest_cancels": 0.0, "cancel_cost": 1})
    assert quotes[0].price == 999  # off


@pytest.mark.parametrize(
    ("pace", "unknown", "known", "price"),
    [
        (1.0, False, 1_000, 1_000),
        (1.0, True, 0, 1_000),
        (1.0, False, 0, 500),
        (0.0, True, 1_000, 500),
    ],
)
def test_a_rejoined_perch_price_waits_until_a_break_even_perch_would_have_sold(
    pace: float, unknown: bool, known: int, price: int
) -> None:
    """Market-led: 2,970 over 10 h. A trial at 1,000 unsold for 5,000 s: a perch there breaks
    even only if it sells a task per 1,000 / 2,970 x 36,000 = 12,121 s, so it waits (the pace)
    when 1,000 is a remembered perch's price (or ``trial_pace_unknown``); otherwise, or off, it is
    halved after the market-led price's own 3 sales (3,600 s)."""
    params = {
        **PERCH,
        "perch_trial_seconds": 36_000.0,
        "trial_pace_sales": pace,
        "trial_pace_unknown": unknown,
    }
    state = perch_state(
        p_mode="trial",
        p_since=NOW - 5000,
        p_price=1_000,
        perched=True,
        perch_known=known,
        perch_known_at=NOW - 3600,
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_000, 5)], utilization=util(10, 0))
    quotes, new = decide(s, state, params)
    assert memory(new).p_price == price and quotes[0].price == price


def test_a_committed_perch_is_rejoined_at_its_price_when_rivals_are_out_again() -> None:
    """A committed perch's price is remembered; when rivals that came back are out of stock
    again, a trial starts at once (no wait) and at that price (not from the rails' top)."""
    state = perch_state(p_mode="perch", p_since=NOW - 60, p_hold=3600.0, p_price=1_584)
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    _, new = decide(s, state, PERCH)
    assert (memory(new).perch_known, memory(new).perch_known_at) == (1_584, NOW)
    waiting = perch_state(perch_known=1_584, perch_known_at=NOW - 3600)
    mem = OfferMemory.from_json(waiting["offers"][KEY])
    waiting["offers"][KEY] = dataclasses.replace(mem, p_next=NOW + 5000).to_json()
    s = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)], utilization=util(10, 0))
    quotes, new = decide(s, waiting, PERCH)
    assert memory(new).p_next == NOW and quotes[0].price == 99
    quotes, new = decide(s, new, PERCH)
    m = memory(new)
    assert (m.p_mode, m.p_price, quotes[0].price) == ("trial", 1_584, 1_584)
    # off: the wait stands
    quotes, new = decide(s, waiting, {**PERCH, "perch_rejoin_seconds": 0.0})
    assert memory(new).p_next == NOW + 5000


def test_a_remembered_perch_that_loses_its_trial_is_forgotten() -> None:
    state = perch_state(
        p_mode="trial",
        p_since=NOW - 3600,
        p_price=700,
        perched=True,
        perch_known=700,
        perch_known_at=NOW - 3600,
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 700, 5)], utilization=util(10, 0))
    quotes, new = decide(s, state, PERCH)
    assert quotes[0].price == 99 and memory(new).p_mode == "market"
    assert memory(new).perch_known == 0


@pytest.mark.parametrize(("seconds", "mode"), [(3600.0, "trial"), (0.0, "market")])
def test_demand_the_rivals_could_not_serve_opens_a_trial_while_we_undercut_them(
    seconds: float, mode: str
) -> None:
    """The rival is in stock at every decision (we take its buyers first), but the market bought
    about 15 tasks in the last hour while it restocked 1 and holds 2: were we not under it, it
    would be out ~80 % of the time. The perch's count reads that (``perch_demand_seconds``;
    0: the book alone, which shows the rival in stock: no trial)."""
    state = perch_state(rivals_out=0.0, d_stock={h("a"): 2.0}, d_deals=10.0, d_restock=1.0)
    s = snap(
        offers=[XS],
        book=[rival("a", 100, remaining=2)],
        own_orders=[own("o", 99, 5)],
        deals=[deal(f"d{i}", 99, ago=10.0 + i) for i in range(5)],
        utilization=util(10, 5),
    )
    quotes, new = decide(s, state, {**PERCH, "perch_demand_seconds": seconds})
    m = memory(new)
    assert m.p_mode == mode and (quotes[0].price > 99) == (mode == "trial")
    if seconds:
        assert m.p_out > 0.7 and m.d_stock == {h("a"): 2.0}


@pytest.mark.parametrize(
    ("share", "computing", "price"), [(1.0, 9, 8_334), (0.0, 9, 99), (1.0, 2, 99)]
)
def test_a_long_category_sells_a_slot_for_no_less_than_the_others_earn_from_it(
    share: float, computing: int, price: int
) -> None:
    """XS sold 10 tasks at 1,000 in the last hour on a 10-slot pool: 0.28 nRLC per slot-second.
    On a busy pool (9 of 10 slots) an L task, holding a slot 30,000 s, is quoted at least 8,334
    instead of one under its rival (``slot_yield_share``; 0: off); on an idle one (2 of 10), it
    displaces nobody: no floor."""
    big = offer(category=3, task_seconds=30_000, max_volume=1000)
    s = snap(
        offers=[XS, big],
        book=[rival("r", 100, category=3)],
        deals=[deal(f"d{i}", 1_000, ago=60.0 * (i + 1)) for i in range(10)],
        utilization=util(10, computing),
    )
    quotes, _ = decide(s, None, {"slot_yield_share": share}, offers=[XS, big])
    assert quotes[1].price == price
    assert ("a slot earns" in quotes[1].reason) == (price > 99)


def anchor_state(
    *pools: tuple[str, int, float, float], log_m: float = 0.0, u_avg: float = 0.2
) -> dict[str, Any]:
    """Guard 6's record: (pool, price, price unchanged since [s ago], last seen [s ago]), each
    in stock 90 % of the time; the markup at ``exp(log_m)``; smoothed utilization ``u_avg``."""
    m = OfferMemory(
        last_at=NOW - 60,
        log_m=log_m,
        u_avg=u_avg,
        a_pools={
            pool: [float(price), NOW - since, NOW - seen, 0.9] for pool, price, since, seen in pools
        },
    )
    base = {"rivals": {KEY: [100, NOW - 60, NOW - 600]}, "modes": {KEY: "contested"}}
    return {"base": base, "offers": {KEY: m.to_json()}}


STEADY = ((RIVAL, 50, 3 * 3600.0, 600.0), (RIVAL2, 100, 3 * 3600.0, 60.0))


def test_a_steady_market_is_anchored_under_the_lowest_rival_through_its_stock_outs() -> None:
    """Both rivals kept their prices for 3 h; the one at 50 sold out 10 min ago. The base follows
    the one in stock (99); the anchor holds 49 (off: 99)."""
    s = snap(offers=[XS], book=[rival("b", 100, workerpool=RIVAL2)], utilization=util(10, 2))
    quotes, new = decide(s, anchor_state(*STEADY), {"perch_trial_seconds": 0.0})
    assert quotes[0].price == 49 and "steady market" in quotes[0].reason
    assert memory(new).a_pools[RIVAL2][1] == NOW - 3 * 3600.0  # still steady since then
    off = {"perch_trial_seconds": 0.0, "anchor_steady_seconds": 0.0}
    assert decide(s, anchor_state(*STEADY), off)[0][0].price == 99
    # the markup on: it multiplies the base it tried its raises on, not the anchor
    frozen = {"perch_trial_seconds": 0.0, "markup_up": 0.0, "markup_down": 0.0}
    assert decide(s, anchor_state(*STEADY, log_m=0.5), frozen)[0][0].price == round(99 * 1.6487)
    # a busy pool: the buyers the anchor would win cannot be served
    busy = anchor_state(*STEADY, u_avg=0.95)
    assert decide(s, busy, {"perch_trial_seconds": 0.0})[0][0].price == 99


def test_the_anchor_holds_no_price_on_a_market_that_moves() -> None:
    """A rival repricing (100 -> 90) restarts its steadiness: no anchor for 2 h while it is at or
    under the anchor's rival (``anchor_moving_above``; off: any repricing rival). A rival not
    seen for longer than ``anchor_memory_seconds`` no longer anchors (a rival that left), nor
    one rarely in stock (it sells its last task soon after each restock: the next one is the
    price to undercut)."""
    book = [rival("b", 90, workerpool=RIVAL2)]
    s = snap(offers=[XS], book=book, utilization=util(10, 2))
    moved = {"perch_trial_seconds": 0.0, "anchor_moving_above": False}
    quotes, new = decide(s, anchor_state(*STEADY), moved)
    assert quotes[0].price == 89 and memory(new).a_pools[RIVAL2][:3] == [90.0, NOW, NOW]
    # it moved above the anchor's rival (50): it takes no buyer from us, the anchor stays on
    quotes, _ = decide(s, anchor_state(*STEADY), {"perch_trial_seconds": 0.0})
    assert quotes[0].price == 49 and "steady market" in quotes[0].reason
    below = snap(offers=[XS], book=[rival("b", 45, workerpool=RIVAL2)], utilization=util(10, 2))
    quotes, _ = decide(below, anchor_state(*STEADY), {"perch_trial_seconds": 0.0})
    assert quotes[0].price == 44  # it moved under the anchor's rival: no anchor
    gone = ((RIVAL, 50, 6 * 3600.0, 3 * 3600.0), (RIVAL2, 100, 3 * 3600.0, 60.0))
    s = snap(offers=[XS], book=[rival("b", 100, workerpool=RIVAL2)], utilization=util(10, 2))
    quotes, new = decide(s, anchor_state(*gone), {"perch_trial_seconds": 0.0})
    assert quotes[0].price == 99 and RIVAL not in memory(new).a_pools
    rare = anchor_state(*STEADY)
    rare["offers"][KEY]["a_pools"][RIVAL][3] = 0.3
    quotes, new = decide(s, rare, {"perch_trial_seconds": 0.0})
    assert quotes[0].price == 99 and memory(new).a_pools[RIVAL][3] < 0.3


def test_the_anchor_keeps_a_book_price_above_it_and_lifts_one_below_it() -> None:
    """No rival in stock: requests waiting at 20 would pull the book's price under the anchor
    (lifted to 49); requests filling the pool at 300 are real demand above it (kept)."""
    params = {"perch_trial_seconds": 0.0, "inert_after_seconds": 86400.0}
    low = [request(f"l{i}", 20, 5) for i in range(3)]
    s = snap(offers=[XS], requests=low, utilization=util(10, 0))
    quotes, _ = decide(s, anchor_state(*STEADY), params)
    assert quotes[0].price == 49, quotes[0].reason
    high = [request(f"h{i}", 300, 5) for i in range(4)]
    s = snap(offers=[XS], requests=high, utilization=util(10, 0))
    quotes, _ = decide(s, anchor_state(*STEADY), params)
    assert quotes[0].price > 49 and "steady market" not in quotes[0].reason, quotes[0].reason


def settled_trial(
    ev: list[float], since: float, params: dict[str, Any]
) -> tuple[tuple[Quote, ...], dict[str, Any]]:
    """A settled trial of XS at 1,584 whose price first sold ``since`` seconds ago, with the
    perch's evidence ``ev`` (market-led: 297 an hour, ``perch_state``), decided with PERCH and
    ``params``: the verdict's scene (items 30 and 101)."""
    state = perch_state(
        p_mode="trial",
        p_since=NOW - since,
        p_price=1_584,
        p_settled=True,
        perched=True,
        perch_ev=ev,
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 4)], utilization=util(10, 0))
    return decide(s, state, {**PERCH, **params})


@pytest.mark.parametrize(
    ("secs", "since", "extend", "mode"),
    [
        (3600.0, 3600.0, 3600.0, "trial"),
        (3600.0, 3600.0, 0.0, "market"),
        (36_000.0, 3600.0, 3600.0, "market"),
        (3600.0, 7200.0, 3600.0, "market"),
    ],
)
def test_an_inconclusive_trial_runs_on_for_trial_extend_seconds(
    secs: float, since: float, extend: float, mode: str
) -> None:
    """Item 30. Market-led: 297 an hour. One sale at 1,584 in an hour: the mean (1,584 an hour)
    leads, the lower bound (0) does not, so the trial runs on while ``trial_extend_seconds``
    lasts (lost without it, or once its time is over); one sale in 10 h (158 an hour) trails
    and is lost at the trial's end as before."""
    quotes, new = settled_trial([1_584.0, 1.0, secs], since, {"trial_extend_seconds": extend})
    assert memory(new).p_mode == mode
    assert quotes[0].price == (1_584 if mode == "trial" else 99)


@pytest.mark.parametrize(("lowest", "mode", "price"), [(True, "trial", 350), (False, "market", 99)])
def test_a_descent_is_lost_under_the_lowest_floor_it_saw(
    lowest: bool, mode: str, price: int
) -> None:
    """Item 30. The floor now is 4 x the market-led 99 = 396; earlier in the descent, with the
    market-led price lower, it was 300 (``p_rung``). The step from 700 to 350 is under the floor
    now: lost, as before, unless ``trial_floor_lowest`` keeps the 300 it saw."""
    state = perch_state(p_mode="trial", p_since=NOW - 3600, p_price=700, perched=True, p_rung=300)
    s = snap(offers=[XS], book=[], own_orders=[own("o", 700, 5)], utilization=util(10, 0))
    quotes, new = decide(s, state, {**PERCH, "trial_floor_lowest": lowest})
    assert (memory(new).p_mode, quotes[0].price) == (mode, price)
    assert memory(new).p_rung == (300 if lowest else 0)

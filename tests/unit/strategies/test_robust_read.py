"""``robust``'s perch trial opened by the demand reading, judged by how its descent ends
(strategies/robust_read.py, ``perch_read_rungs``, robust item 41): the pure rules, and on crafted
snapshots a read trial opened, ended after its prices went unsold, kept once it sells, and the
reading stopped afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_read import markup_clock_runs, read_opened, read_unsold
from tests.support.factories import NOW, deal, h, own, rival, snap, util
from tests.unit.strategies.test_strategy_robust import (
    PERCH,
    XS,
    decide,
    memory,
    perch_state,
    sold_at,
)

READ = {**PERCH, "perch_demand_seconds": 3600.0, "perch_read_rungs": 2, "perch_read_seconds": 0.0}


@pytest.mark.parametrize(
    ("rungs", "book", "left"), [(2, 0.1, 2), (2, 0.49, 2), (2, 0.5, 0), (2, 0.9, 0), (0, 0.1, 0)]
)
def test_a_trial_is_a_read_trial_only_if_the_book_alone_would_not_open_it(
    rungs: int, book: float, left: int
) -> None:
    """Gate 0.5: the book's own count under it, only the reading opened the trial; at or over
    it, an ordinary trial; off (0 rungs), never a read trial."""
    assert read_opened(rungs, book, 0.5) == left


def test_a_read_trial_ends_when_its_last_price_goes_unsold() -> None:
    assert read_unsold(2) == (1, False)
    assert read_unsold(1) == (0, True)
    assert read_unsold(0) == (0, False)  # an ordinary trial: nothing here ends it


def demand_snap(**kw: Any) -> Any:
    """The rival is in stock at every decision (we undercut it at 99), while the market bought
    5 tasks in the last minutes: the reading infers it would be out most of the time."""
    return snap(
        offers=[XS],
        book=[rival("a", 100, remaining=2)],
        own_orders=[own("o", 99, 5)],
        deals=[deal(f"d{i}", 99, ago=10.0 + i) for i in range(5)],
        utilization=util(10, 5),
        **kw,
    )


def read_state(**fields: Any) -> dict[str, Any]:
    return perch_state(rivals_out=0.0, d_stock={h("a"): 2.0}, d_deals=10.0, d_restock=1.0, **fields)


def test_a_trial_only_the_reading_opened_has_its_rungs_counted() -> None:
    """The book shows the rival in stock (its own count 0), the reading lifts the count over the
    gate: the trial opens as with the reading alone, marked with its 2 prices to sell at."""
    quotes, new = decide(demand_snap(), read_state(), READ)
    m = memory(new)
    assert m.p_mode == "trial" and quotes[0].price > 99
    assert m.p_out > 0.7 and m.p_book < 0.5 and m.p_left == 2
    # the book alone over the gate: an ordinary trial, not counted
    _, new = decide(demand_snap(), read_state(p_book=0.8), READ)
    assert memory(new).p_mode == "trial" and memory(new).p_left == 0
    # off: the same trial, never counted
    _, new = decide(demand_snap(), read_state(), {**READ, "perch_read_rungs": 0})
    assert memory(new).p_mode == "trial" and memory(new).p_left == 0


def trial_at(price: int, left: int, since: float = NOW - 3600, **fields: Any) -> dict[str, Any]:
    """A trial at ``price`` since ``since``, rivals out 80 % by the lifted count, 30 % by the
    book's own, with ``left`` prices to sell at (0: an ordinary trial); ``fields``: more of the
    memory (item 98's count)."""
    return perch_state(
        rivals_out=0.8,
        p_book=0.3,
        p_mode="trial",
        p_since=since,
        p_price=price,
        perched=True,
        p_left=left,
        **fields,
    )


def test_a_read_trial_whose_last_price_went_unsold_goes_back_without_a_back_off() -> None:
    """Its last price unsold for its step: back to the market-led 99 at once, the next trial
    due as before (no doubled wait), the count back to the book's own, the reading stopped."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    quotes, new = decide(s, trial_at(1_584, 1), READ)
    m = memory(new)
    assert quotes[0].price == 99 and quotes[0].jump and m.p_mode == "market"
    assert m.p_next == NOW - 1 and m.p_wait == 600.0 and m.d_off and m.p_left == 0
    assert m.p_out < 0.5 and m.p_out == pytest.approx(m.p_book)
    # with a price left it steps down as any trial
    quotes, new = decide(s, trial_at(1_584, 2), READ)
    assert memory(new).p_price == 792 and memory(new).p_left == 1 and not memory(new).d_off
    # an ordinary trial under its floor is lost with the back-off, as before
    low = snap(offers=[XS], book=[], own_orders=[own("o", 700, 5)], utilization=util(10, 0))
    _, new = decide(low, trial_at(700, 0), READ)
    assert memory(new).p_mode == "market" and memory(new).p_next == NOW + 1200
    assert not memory(new).d_off
    # a read trial lost under its floor before its rungs ran out: no back-off either
    _, new = decide(low, trial_at(700, 2), READ)
    assert memory(new).p_next == NOW - 1 and memory(new).d_off


def test_a_read_trial_that_sells_is_an_ordinary_trial_from_then_on() -> None:
    s = sold_at(1_584)
    quotes, new = decide(s, trial_at(1_584, 1, since=NOW - 600), READ)
    m = memory(new)
    assert m.p_settled and m.p_left == 0 and quotes[0].price == 1_584 and not m.d_off


def test_the_reading_stopped_for_an_offer_opens_no_trial() -> None:
    """After a read trial sold nothing, the same demand no longer lifts the count: the book's
    own count (0) keeps the gate shut, as without the reading."""
    quotes, new = decide(demand_snap(), read_state(d_off=True), READ)
    m = memory(new)
    assert m.p_mode == "market" and quotes[0].price == 99 and m.p_out < 0.5


def test_a_read_trial_out_of_its_time_budget_ends_before_its_rungs_run_out() -> None:
    """``perch_read_seconds`` 1,800: a read trial opened 1,820 s ago whose current price was
    listed only 60 s ago (its step not due) ends as one whose prices ran out; within the budget,
    or off (0), it stays; while our order is not listed (a full pool) the budget's clock stops
    with the trial's own (``trial_listed_all``): the last 60 s do not count."""
    timed = {**READ, "perch_read_seconds": 1800.0}
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    late = trial_at(1_584, 2, since=NOW - 60)
    late["offers"]["0:0:0"]["p_read_at"] = NOW - 1820
    _, new = decide(s, late, timed)
    assert memory(new).p_mode == "market" and memory(new).d_off
    _, new = decide(s, late, READ)
    assert memory(new).p_mode == "trial" and memory(new).p_left == 2
    early = trial_at(1_584, 2, since=NOW - 60)
    early["offers"]["0:0:0"]["p_read_at"] = NOW - 1000
    _, new = decide(s, early, timed)
    assert memory(new).p_mode == "trial" and not memory(new).d_off
    full = snap(offers=[XS], book=[], own_orders=[], utilization=util(10, 10))
    _, new = decide(full, late, timed)
    m = memory(new)
    assert m.p_mode == "trial" and m.p_read_at == NOW - 1820 + 60


def test_the_markup_clock_runs_during_a_read_trial_only_with_its_key() -> None:
    """Item 42: only with ``perch_read_markup``, and only while a read trial is unsold (not after
    it sold: an ordinary trial)."""
    assert markup_clock_runs(2, True)
    assert not markup_clock_runs(2, False)
    assert not markup_clock_runs(0, True)


def test_a_read_trial_keeps_the_markup_clock_with_perch_read_markup() -> None:
    """A read trial (2 prices left, its step not due) while a markup raise is on trial and a
    step is due (20 minutes since the last): off, the markup's state is kept as it was; on, its
    clock is reset (the step's time passed) but not its state: the raise on trial is neither
    judged on the trial's hours nor undone; an ordinary trial stays frozen either way."""
    runs = {**READ, "perch_read_markup": True}
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 5))
    due = {
        "markup_at": NOW - 1300,
        "m_earned": 99_000.0,
        "m_seconds": 1000.0,
        "u_avg": 0.5,
        "log_m": 0.2,
        "m_trial": True,
        "m_base_rate": 50.0,
    }
    state = trial_at(1_584, 2, since=NOW - 60)
    state["offers"]["0:0:0"].update(due)
    _, new = decide(s, state, READ)
    m = memory(new)
    assert m.markup_at == NOW - 1300 and m.log_m == 0.2 and m.m_trial
    _, new = decide(s, state, runs)
    m = memory(new)
    assert m.markup_at == NOW and m.p_mode == "trial"
    assert m.log_m == 0.2 and m.m_trial and m.m_earned == 99_000.0 and m.m_seconds == 1000.0
    ordinary = trial_at(1_584, 0, since=NOW - 60)
    ordinary["offers"]["0:0:0"].update(due)
    _, new = decide(s, ordinary, runs)
    assert memory(new).markup_at == NOW - 1300

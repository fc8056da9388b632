"""robust item 74 (strategies/robust_markupgas.py): a scarcity-markup raise is tried only where
its best case over one interval pays the cancel it costs."""

from __future__ import annotations

import math
from typing import Any

from strategies.robust_markupgas import trial_pays
from tests.support.factories import NOW, deal, rival, snap, util
from tests.unit.strategies.test_strategy_robust import SCARCE, XS, decide, memory, perch_state

UP = math.log1p(0.25)


def test_off_lets_every_trial_start() -> None:
    assert trial_pays(0.0, 1200.0, UP, 2_100_000, 0.0)
    assert trial_pays(1e-9, 1200.0, UP, 2_100_000, -1.0)


def test_the_best_case_against_the_gas_at_the_boundary() -> None:
    # one task at 4.56 M nRLC in a 1,200-s interval: x1.25 adds 1.14 M, under a 2.1 M cancel
    rate = 4_560_000 / 1200.0
    assert not trial_pays(rate, 1200.0, UP, 2_100_000, 1.0)
    # two tasks: 2.28 M, over one cancel, under two
    assert trial_pays(2 * rate, 1200.0, UP, 2_100_000, 1.0)
    assert not trial_pays(2 * rate, 1200.0, UP, 2_100_000, 2.0)
    # exactly the gas: the trial may start
    assert trial_pays(1_000.0 / 300.0, 1200.0, math.log(2.0), 1_000, 4.0)


def test_no_trial_without_earnings() -> None:
    assert not trial_pays(0.0, 1200.0, UP, 1, 1.0)


def test_where_the_markup_smooths_the_book_every_trial_may_start() -> None:
    # a book that waits: the markup multiplies its smoothed price, a held raise re-signs more
    assert trial_pays(0.0, 1200.0, UP, 2_100_000, 1.0, smoothed=True)
    assert not trial_pays(0.0, 1200.0, UP, 2_100_000, 1.0, smoothed=False)


def run(params: dict[str, Any], n: int = 5) -> list[int]:
    """robust's markup on a full pool whose rival sold out, one task sold at our price a minute
    (SCARCE: a x1.5 trial every 60 s); the quoted prices."""
    state: dict[str, Any] | None = None
    prices: list[int] = []
    for i in range(n):
        at = NOW + 60 * i
        deals = [deal(f"d{i}", prices[-1], 1, ago=30, now=at)] if prices else []
        book = [rival("a", 100)] if i == 0 else []
        s = snap(offers=[XS], at=at, book=book, deals=deals, utilization=util(4, 4, 4))
        quotes, state = decide(s, state, {**SCARCE, **params})
        prices.append(quotes[0].price)
    return prices


def test_a_raise_that_cannot_pay_its_cancel_is_not_tried() -> None:
    # one task at 99 a minute: x1.5 adds 49.5 nRLC a trial, under a 1,000-nRLC cancel
    held = run({"markup_gas_cancels": 1.0, "cancel_cost": 1_000})
    assert held == [99] * 5
    # main (the key off) tries it, at the same gas
    assert run({"markup_gas_cancels": 0.0, "cancel_cost": 1_000})[:2] == [99, round(99 * 1.5)]


def test_a_raise_that_pays_its_cancel_is_tried_as_before() -> None:
    on = run({"markup_gas_cancels": 1.0, "cancel_cost": 40})
    assert on == run({"markup_gas_cancels": 0.0, "cancel_cost": 40})
    assert on[1] == round(99 * 1.5)


def test_the_markup_still_falls_while_the_market_is_not_short() -> None:
    """The rule gates raises only: a markup with the rivals back in stock comes down as main's."""
    params = {**SCARCE, "markup_gas_cancels": 1.0, "cancel_cost": 10**9, "markup_down": 0.5}
    state = perch_state(rivals_out=0.0, log_m=math.log(2.0), markup_at=NOW - 120)
    s = snap(offers=[XS], at=NOW, book=[rival("a", 100)], utilization=util(4, 4, 4))
    _, state = decide(s, state, params)
    assert memory(state).log_m < math.log(2.0)

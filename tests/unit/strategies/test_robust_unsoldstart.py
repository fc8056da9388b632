"""Robust item 87 (``trial_start_sold``): a guard-5 trial the gate opens where no cap of our
buyers vouches starts at the last level a trial of the offer sold at (item 77's ``g_sold``,
``robust_surgewait.surge_start``), surge or not; off, the rails' top as in main."""

from __future__ import annotations

from typing import Any

from strategies.robust import RobustParams
from tests.support.factories import NOW, own, snap
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state


def opened(params: dict[str, Any], **fields: Any) -> Any:
    """Guard 5's gate open (the slow count of rivals out at 0.9, the wait over), no buyers of
    ours in the window (nothing vouched), no surge read: the trial opens now, the market-led
    price 99, the rails' top 99,000."""
    state = perch_state(rivals_out=0.9, **{"p_out": 0.9, "p_next": NOW - 1, **fields})
    s = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)])
    return memory(decide(s, state, {**PERCH, **params})[1])


def test_the_gate_s_trial_starts_at_the_level_that_sold_with_the_key_only() -> None:
    # TRAIN surge 1659 category 0: sold at 1,270 M at 21.58 h, the trial of 42.82 h (item 17's
    # queue, no surge cut) started at the rails' top without the key
    on = opened({"trial_start_sold": True}, g_sold=538)
    assert (on.p_mode, on.p_price) == ("trial", 538)
    off = opened({}, g_sold=538)
    assert (off.p_mode, off.p_price) == ("trial", 99_000)


def test_nothing_sold_or_a_level_under_the_market_led_price_starts_at_the_top() -> None:
    assert opened({"trial_start_sold": True}).p_price == 99_000
    assert opened({"trial_start_sold": True}, g_sold=50).p_price == 99_000


def test_off_by_default() -> None:
    assert RobustParams().trial_start_sold is False

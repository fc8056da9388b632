"""``robust``'s demand reading re-armed after a read trial that sold nothing
(strategies/robust_reread.py, ``read_rearm_seconds``, robust item 91): the pure rules, and on
crafted snapshots (item 41's, tests/unit/strategies/test_robust_read.py) the pause set by a read
trial lost, the reading resumed afresh once it is over, and nothing changed with the key off."""

from __future__ import annotations

import pytest

from bot.pricing.snapshot import MarketSnapshot
from strategies.robust_reread import read_pause, read_resumes, rearmed_gate, rearmed_trial
from tests.support.factories import NOW, deal, h, own, rival, snap, util
from tests.unit.strategies.test_robust_read import READ, read_state, trial_at
from tests.unit.strategies.test_strategy_robust import XS, decide, memory, perch_state

REARM = {**READ, "read_rearm_seconds": 3600.0}


@pytest.mark.parametrize(
    ("wait", "rearm", "back", "after"),
    [
        (0.0, 3600.0, NOW + 3600, 7200.0),  # the first pause: the key's own
        (7200.0, 3600.0, NOW + 7200, 14400.0),  # the next: doubled
        (1800.0, 3600.0, NOW + 3600, 7200.0),  # never under the key
        (7200.0, 0.0, 0.0, 0.0),  # off: stopped for good, nothing kept
    ],
)
def test_a_read_trial_lost_pauses_the_reading_and_doubles_the_next_pause(
    wait: float, rearm: float, back: float, after: float
) -> None:
    assert read_pause(NOW, wait, rearm) == (back, after)


@pytest.mark.parametrize(
    ("off", "back", "now", "resumes"),
    [
        (True, NOW, NOW, True),  # the pause is over
        (True, NOW, NOW - 1, False),  # not yet
        (True, 0.0, NOW, False),  # stopped for good (item 41; the key off)
        (False, NOW - 10, NOW, False),  # running: nothing to resume
    ],
)
def test_a_paused_reading_resumes_only_once_its_pause_is_over(
    off: bool, back: float, now: float, resumes: bool
) -> None:
    assert read_resumes(off, back, now) is resumes


def test_a_read_trial_unsold_pauses_the_reading_with_the_key_and_stops_it_without() -> None:
    """Item 41's scene: the read trial's last price unsold, back to the market-led 99 with no
    back-off. Off: the reading stopped for good (no time kept, main's memory); on: paused for the
    key's hour, the next pause two."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    quotes, new = decide(s, trial_at(1_584, 1), READ)
    off = memory(new)
    assert quotes[0].price == 99 and off.d_off and off.d_back == 0.0 and off.d_wait == 0.0
    quotes, new = decide(s, trial_at(1_584, 1), REARM)
    on = memory(new)
    assert quotes[0].price == 99 and on.d_off and on.p_next == off.p_next
    assert on.d_back == NOW + 3600 and on.d_wait == 7200.0


@pytest.mark.parametrize(
    ("wait", "book", "gate"),
    [
        (0.0, 0.1, 0.5),  # never paused (always with the key off): the gate as in main
        (7200.0, 0.1, 0.75),  # a resumed reading alone: halfway from the gate to 1
        (7200.0, 0.6, 0.5),  # the book's own count passes: an ordinary trial's gate
    ],
)
def test_a_resumed_reading_alone_opens_a_trial_only_halfway_to_1(
    wait: float, book: float, gate: float
) -> None:
    assert rearmed_gate(0.5, wait, book) == gate


@pytest.mark.parametrize(
    ("left", "wait", "rearmed"), [(2, 7200.0, True), (0, 7200.0, False), (2, 0.0, False)]
)
def test_only_a_read_trial_after_a_pause_is_the_rules_own(
    left: int, wait: float, rearmed: bool
) -> None:
    assert rearmed_trial(left, wait) is rearmed


def busy_snap(bought: int) -> MarketSnapshot:
    """The rival (2 tasks, in stock: we undercut it at 99) and ``bought`` tasks in the last
    minute: read afresh, the rivals would be out 1 - (2 + 2) / bought of the time."""
    return snap(
        offers=[XS],
        book=[rival("a", 100, remaining=2)],
        own_orders=[own("o", 99, 5)],
        deals=[deal(f"d{i}", 99, ago=10.0 + i) for i in range(bought)],
        utilization=util(10, 5),
    )


def test_the_reading_resumed_after_its_pause_opens_a_read_trial_again() -> None:
    """The reading paused by a lost read trial (its counts frozen then: 10 deals, 1 restock).
    Its pause over, it starts afresh: 20 tasks bought read the rivals out 0.8 of the time, over
    the resumed reading's 0.75, and a read trial opens (2 prices to sell at), marked as the
    rule's own; 12 tasks read 2/3, over main's gate but not the resumed reading's: the reading
    runs, no trial. The pause not over, or the reading stopped for good (item 41: the key off),
    the book's own count keeps the gate shut at the market-led 99."""
    paused = read_state(d_off=True, d_back=NOW - 1, d_wait=7200.0)
    quotes, new = decide(busy_snap(20), paused, REARM)
    m = memory(new)
    assert m.p_mode == "trial" and quotes[0].price > 99 and m.p_left == 2 and m.d_trial
    assert not m.d_off and m.d_back == 0.0 and m.d_wait == 7200.0
    assert m.d_deals == 20.0 and m.d_stock == {h("a"): 2.0}
    quotes, new = decide(busy_snap(12), paused, REARM)
    m = memory(new)
    assert m.p_mode == "market" and quotes[0].price == 99 and not m.d_off
    assert m.p_out == pytest.approx(2 / 3)
    for state in (
        read_state(d_off=True, d_back=NOW + 60, d_wait=7200.0),
        read_state(d_off=True),
    ):
        quotes, new = decide(busy_snap(20), state, REARM)
        assert memory(new).p_mode == "market" and quotes[0].price == 99
        assert memory(new).d_off


def test_a_trial_the_resumed_reading_opened_sold_and_lost_leaves_the_schedule() -> None:
    """A settled trial at 1,584 judged after its hour (``perch_trial_seconds``): one task in the
    hour trails the market-led 30 tasks at 99 in 10 h, so it is lost. Main's trial (and the
    key's first reading): the next trial put off by the doubled wait; the rule's own trial: back
    to 99 with the next trial due as before."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    lost = {
        "p_mode": "trial",
        "p_since": NOW - 3700,
        "p_price": 1_584,
        "p_settled": True,
        "perched": True,
        "perch_ev": [100.0, 1.0, 3600.0],
    }
    quotes, new = decide(s, perch_state(**lost), REARM)
    m = memory(new)
    assert quotes[0].price == 99 and m.p_mode == "market" and m.p_next == NOW + 1200
    quotes, new = decide(s, perch_state(**lost, d_trial=True, d_wait=7200.0), REARM)
    m = memory(new)
    assert quotes[0].price == 99 and m.p_mode == "market" and m.p_next == NOW - 1
    assert not m.d_trial and m.p_wait == 600.0


def test_off_by_default_a_read_trial_lost_stops_the_reading_as_in_main() -> None:
    """The key's default is 0 (item 41 exactly): the same lost read trial's memory with the key
    left out and set to 0 is the same."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    _, default = decide(s, trial_at(1_584, 1), READ)
    _, zero = decide(s, trial_at(1_584, 1), {**READ, "read_rearm_seconds": 0.0})
    assert default == zero and memory(default).d_off and memory(default).d_back == 0.0

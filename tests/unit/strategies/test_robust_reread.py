"""``robust``'s demand reading re-armed after a read trial that sold nothing
(strategies/robust_reread.py, ``read_rearm_seconds``, robust item 91): the pure rules, and on
crafted snapshots (item 41's, tests/unit/strategies/test_robust_read.py) the pause set by a read
trial lost, the reading resumed afresh once it is over, and nothing changed with the key off; and
item 98's test (``read_rearm_out``, ``read_borne``): the pause only after a read trial over which
the book showed the rivals out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.pricing.snapshot import MarketSnapshot
from strategies.robust_reread import (
    read_borne,
    read_pause,
    read_resumes,
    rearmed_gate,
    rearmed_trial,
)
from tests.support.factories import NOW, deal, h, own, rival, snap, util
from tests.unit.strategies.test_robust_read import READ, read_state, trial_at
from tests.unit.strategies.test_strategy_robust import KEY, XS, decide, memory, perch_state

REARM = {**READ, "read_rearm_seconds": 3600.0}
BORNE = {**REARM, "read_rearm_out": 0.5}


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


@pytest.mark.parametrize(
    ("out", "secs", "share", "borne"),
    [
        (0.0, 1800.0, 0.0, True),  # off: item 91's pause after every unsold read trial
        (0.0, 0.0, 0.0, True),
        (1200.0, 1800.0, 0.5, True),  # the rivals out 2/3 of the trial (1512: 63-70 %)
        (900.0, 1800.0, 0.5, True),  # exactly the share
        (420.0, 1800.0, 0.5, False),  # 23 % (1010's and 1183's trials)
        (0.0, 1800.0, 0.5, False),  # never out (1017's three trials)
        (0.0, 0.0, 0.5, False),  # no time seen: nothing borne out
    ],
)
def test_an_unsold_read_trial_bore_out_the_reading_only_if_the_rivals_were_out(
    out: float, secs: float, share: float, borne: bool
) -> None:
    assert read_borne(out, secs, share) is borne


def test_a_read_trial_counts_the_time_the_book_shows_the_rivals_out() -> None:
    """A read trial at 1,584 with a price left steps down to 792; the minute since the last
    decision is counted, out with the book empty, in stock with the rival's 2 tasks listed; off
    (item 91 alone), nothing is counted."""
    empty = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    _, new = decide(empty, trial_at(1_584, 2, d_secs=600.0, d_out=300.0), BORNE)
    m = memory(new)
    assert m.p_price == 792 and m.p_left == 1 and (m.d_secs, m.d_out) == (660.0, 360.0)
    stocked = snap(
        offers=[XS],
        book=[rival("a", 100, remaining=2)],
        own_orders=[own("o", 1_584, 5)],
        utilization=util(10, 0),
    )
    _, new = decide(stocked, trial_at(1_584, 2, d_secs=600.0, d_out=300.0), BORNE)
    assert (memory(new).d_secs, memory(new).d_out) == (660.0, 300.0)
    _, new = decide(empty, trial_at(1_584, 2), REARM)
    assert (memory(new).d_secs, memory(new).d_out) == (0.0, 0.0)


def test_a_read_trial_that_opens_starts_its_count_afresh() -> None:
    """The resumed reading opens a read trial (the scene above): the last trial's count is
    dropped."""
    paused = read_state(d_off=True, d_back=NOW - 1, d_wait=7200.0, d_secs=1800.0, d_out=60.0)
    _, new = decide(busy_snap(20), paused, BORNE)
    m = memory(new)
    assert m.p_mode == "trial" and m.p_left == 2 and (m.d_secs, m.d_out) == (0.0, 0.0)


def test_a_read_trial_the_rivals_stayed_in_stock_through_stops_the_reading_for_good() -> None:
    """The read trial's last price unsold, the book having shown the rivals in stock 29 of its
    30 minutes: item 91 pauses the reading for the key's hour; with ``read_rearm_out`` it is
    stopped for good, as in main (no pause, nothing kept). An hour later, the market busy
    (``busy_snap``: read afresh, the rivals out 0.8), item 91's resumed reading opens a read
    trial far over the market-led price; item 98's quotes main's market-led price. Out 25 of the 30
    minutes (1,440 s of 1,740 and the last minute), both pause."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    stocked = trial_at(1_584, 1, d_secs=1740.0, d_out=0.0)
    _, old = decide(s, stocked, REARM)
    assert memory(old).d_back == NOW + 3600
    _, new = decide(s, stocked, BORNE)
    m = memory(new)
    assert m.d_off and m.d_back == 0.0 and m.d_wait == 0.0 and m.p_next == memory(old).p_next
    # an hour on: the pause (if any) over, the last decision a minute ago
    for state in (old, new):
        later = memory(state)
        back = NOW - 1 if later.d_back else 0.0
        state["offers"][KEY] = replace(later, d_back=back, last_at=NOW - 60).to_json()
    quotes, after = decide(busy_snap(20), old, REARM)
    assert memory(after).p_mode == "trial" and memory(after).p_left == 2 and quotes[0].price > 1_000
    quotes, after = decide(busy_snap(20), new, BORNE)
    main, _ = decide(busy_snap(20), new, READ)
    assert memory(after).p_mode == "market" and quotes == main and quotes[0].price < 1_000
    _, new = decide(s, trial_at(1_584, 1, d_secs=1740.0, d_out=1440.0), BORNE)
    assert memory(new).d_back == NOW + 3600 and memory(new).d_wait == 7200.0


def test_off_by_default_the_count_leaves_item_91_as_it_was() -> None:
    """``read_rearm_out`` 0 (its default): the same unsold read trial, the rivals in stock all
    through, is paused as item 91 pauses it, and the memory is the same as with the key left
    out; set without ``read_rearm_seconds``, it stops the reading as main does, the same quotes
    and memory but for its own count."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 5)], utilization=util(10, 0))
    _, default = decide(s, trial_at(1_584, 1), REARM)
    _, zero = decide(s, trial_at(1_584, 1), {**REARM, "read_rearm_out": 0.0})
    assert default == zero and memory(default).d_back == NOW + 3600
    # without read_rearm_seconds the count changes no decision: item 41 (main) exactly
    stocked = trial_at(1_584, 1, d_secs=1740.0, d_out=0.0)
    main_quotes, main = decide(s, stocked, READ)
    quotes, alone = decide(s, stocked, {**READ, "read_rearm_out": 0.5})
    assert quotes == main_quotes and memory(alone).d_off and memory(alone).d_back == 0.0
    assert replace(memory(alone), d_secs=0.0, d_out=0.0) == replace(
        memory(main), d_secs=0.0, d_out=0.0
    )

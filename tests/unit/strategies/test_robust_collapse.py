"""robust item 32 (strategies/robust_collapse.py): a perch trial's last rungs wait at the
break-even pace, their clock running only while no rival is in stock (``trial_pace_rungs``,
``trial_out_clock``); and a scout just above the rival for buyers who pass it over where no request
named our pool (``captive_scout``)."""

from __future__ import annotations

import random
from typing import Any

import pytest

import strategies
from bot.domain.model import Quote
from bot.pricing.snapshot import MarketSnapshot
from strategies import run_fenced
from strategies.robust import OfferMemory
from strategies.robust_collapse import paced_rung, scout_rung
from tests.support.factories import NOW, own, rival, snap, util
from tests.unit.strategies.test_robust_captive import KEY as CAPTIVE_KEY
from tests.unit.strategies.test_robust_captive import PERCH as CAPTIVE_PERCH
from tests.unit.strategies.test_robust_captive import state_of
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

M = 1_000_000


@pytest.mark.parametrize(
    ("level", "rungs", "paced"),
    [
        (283 * M, 2, True),  # train 1036: 283 M, 142 M, then under the 110 M rung (lost)
        (142 * M, 1, True),
        (283 * M, 1, False),  # one halving is 141.5 M, still a rung: not the last one
        (566 * M, 2, False),
        (566 * M, 3, True),
        (142 * M, 0, False),  # 0: off
    ],
)
def test_only_the_last_rungs_above_the_lowest_are_paced(
    level: int, rungs: int, paced: bool
) -> None:
    assert paced_rung(level, 110 * M, down=0.5, rungs=rungs) is paced


def _trial(price: int, unsold: float) -> dict[str, Any]:
    return {"p_mode": "trial", "p_since": NOW - unsold, "p_price": price, "perched": True}


def test_a_last_rung_waits_at_the_break_even_pace_and_a_higher_one_does_not() -> None:
    """Market-led: 30 sales at 99 in 10 h, so the lowest rung is max(4 x 99, 2 x 99) = 396 and a
    trial level's step is the market-led price's 3 sales (3,600 s). A trial at 1,000 unsold for
    5,000 s: off, halved; as one of the last two rungs (1,000 x 0.25 < 396) it waits until the
    market-led mode would have earned one sale of it (12,121 s). At 2,000 (two halvings: 500, a
    rung) it is halved as before."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_000, 5)], utilization=util(10, 0))
    off = {**PERCH, "perch_trial_seconds": 36_000.0, "trial_pace_rungs": 0}
    on = {**off, "trial_pace_rungs": 2}
    assert memory(decide(s, perch_state(**_trial(1_000, 5000)), off)[1]).p_price == 500
    quotes, new = decide(s, perch_state(**_trial(1_000, 5000)), on)
    assert memory(new).p_price == 1_000 and quotes[0].price == 1_000
    assert memory(decide(s, perch_state(**_trial(1_000, 12_200)), on)[1]).p_price == 500
    high = snap(offers=[XS], book=[], own_orders=[own("o", 2_000, 5)], utilization=util(10, 0))
    assert memory(decide(high, perch_state(**_trial(2_000, 5000)), on)[1]).p_price == 1_000


def test_a_last_rungs_clock_stops_while_a_rival_is_in_stock() -> None:
    """With ``trial_out_clock`` a last rung's unsold time counts only while no rival is in stock:
    a decision with the rival in stock moves the level's start by the minute since the last one
    (the buyers above the market reach the perch only once the rival sold out)."""
    s = snap(
        offers=[XS],
        book=[rival("a", 100)],
        own_orders=[own("o", 1_000, 5)],
        utilization=util(10, 0),
    )
    base = {**PERCH, "perch_trial_seconds": 36_000.0, "trial_pace_rungs": 2}
    ran = memory(decide(s, perch_state(**_trial(1_000, 600)), base)[1])
    held = memory(
        decide(s, perch_state(**_trial(1_000, 600)), {**base, "trial_out_clock": True})[1]
    )
    assert (ran.p_mode, ran.p_since) == ("trial", NOW - 600)
    assert (held.p_mode, held.p_since) == ("trial", NOW - 540)
    out = snap(offers=[XS], book=[], own_orders=[own("o", 1_000, 5)], utilization=util(10, 0))
    kept = memory(
        decide(out, perch_state(**_trial(1_000, 600)), {**base, "trial_out_clock": True})[1]
    )
    assert kept.p_since == NOW - 600


def _scout(s: MarketSnapshot, state: dict[str, Any], **params: Any) -> tuple[Quote, OfferMemory]:
    d = run_fenced(
        strategies.create("robust", {"floor": 0, **CAPTIVE_PERCH, **params}),
        s,
        [XS],
        state,
        random.Random(1),
    )
    assert not d.abstain, d.reason
    return d.quotes[0], OfferMemory.from_json(d.state["offers"][CAPTIVE_KEY])


def test_the_scout_sits_just_above_the_rival() -> None:
    assert scout_rung(99, 1.25) == 124
    assert scout_rung(99, 1.001) == 101  # at least one nRLC above the rival at 100


def test_where_no_request_named_us_the_scout_probes_just_above_the_rival() -> None:
    """No request ever named our pool (item 14's probe stays off); with ``captive_scout`` the
    probe quotes 1.25 x the market-led 99 (the rival at 100 in stock) once its wait is over, and
    is judged after ``captive_scout_seconds``; off, the market-led price."""
    s = snap(offers=[XS], book=[rival("a", 100, age=600.0)], utilization=util(10, 0))
    q, m = _scout(s, state_of(named=False, q_next=NOW - 1, q_wait=600.0), captive_scout=1.25)
    assert (m.p_mode, m.q_probe, m.p_price, q.price) == ("trial", True, 124, 124)
    q, m = _scout(s, state_of(named=False, q_next=NOW - 1, q_wait=600.0))
    assert q.price == 99 and not m.q_probe
    listed = snap(
        offers=[XS],
        book=[rival("a", 100, age=3600.0)],
        own_orders=[own("o", 124, 5)],
        utilization=util(10, 0),
    )
    probing = {"p_mode": "trial", "p_price": 124, "q_probe": True, "perched": True}
    held = state_of(named=False, q_wait=600.0, p_since=NOW - 600, **probing)
    q, m = _scout(listed, held, captive_scout=1.25, captive_scout_seconds=900.0)
    assert m.q_probe and q.price == 124
    over = state_of(named=False, q_wait=600.0, p_since=NOW - 960, **probing)
    q, m = _scout(listed, over, captive_scout=1.25, captive_scout_seconds=900.0)
    assert not m.q_probe and (m.q_wait, m.q_next) == (1200.0, NOW + 1200.0) and q.price == 99


def test_a_request_naming_us_restarts_the_captive_probes_schedule() -> None:
    """The scout's schedule is dropped once a request named our pool: item 14's probe then waits
    ``captive_probe_seconds`` from there, as it does without the scout."""
    s = snap(offers=[XS], book=[rival("a", 100, age=600.0)], utilization=util(10, 0))
    state = state_of(named=True, q_next=NOW - 1, q_wait=600.0, q_scout=True)
    q, m = _scout(s, state, captive_scout=1.25)
    assert q.price == 99 and not m.q_scout and m.q_next == NOW + 21_600.0

"""robust item 49: guard 1's rounds judged on each posture's probe and last committed stretch,
net of its re-signs' gas (``follow_gas``; strategies/robust_posture.py; issue #14)."""

from __future__ import annotations

import strategies
from bot.domain.model import Quote
from strategies.robust import POSTURES, OfferMemory, RobustStrategy
from strategies.robust_posture import net_best, resign_charge, stretch_add

H = 3600.0


def test_a_changed_listed_price_is_charged_one_cancel_and_a_fresh_listing_none() -> None:
    assert resign_charge(100, 90, 7.0) == 7.0
    assert resign_charge(100, 110, 7.0) == 7.0  # a raise re-signs too
    assert resign_charge(100, 100, 7.0) == 0.0
    assert resign_charge(0, 90, 7.0) == 0.0  # nothing listed before
    assert resign_charge(100, None, 7.0) == 0.0  # nothing listed now


def test_the_stretch_adds_to_the_running_posture_and_keeps_the_others() -> None:
    st = stretch_add({"war": [5.0, 1.0, 60.0]}, "floor", 10.0, 2.0, 30.0)
    assert st == {"war": [5.0, 1.0, 60.0], "floor": [10.0, 2.0, 30.0]}
    assert stretch_add(st, "floor", 1.0, 1.0, 30.0)["floor"] == [11.0, 3.0, 60.0]


def test_a_posture_that_sold_more_but_re_signed_more_loses_the_round() -> None:
    earned = {"war": 100.0, "floor": 80.0, "hold": 0.0}
    seconds = dict.fromkeys(POSTURES, 2400.0)
    gas = {"war": 40.0, "floor": 2.0, "hold": 30.0}
    assert net_best(earned, seconds, gas, {}, POSTURES) == "floor"
    assert net_best(earned, seconds, {}, {}, POSTURES) == "war"  # sales alone: war


def test_a_committed_stretch_weighs_with_the_probe() -> None:
    earned = {"war": 60.0, "floor": 50.0, "hold": 0.0}
    seconds = dict.fromkeys(POSTURES, 2400.0)
    # war's last stretch: two hours of a price war, nothing sold, many cancels
    stretch = {"war": [0.0, 200.0, 7200.0], "floor": [300.0, 10.0, 21600.0]}
    assert net_best(earned, seconds, {}, {}, POSTURES) == "war"
    assert net_best(earned, seconds, {}, stretch, POSTURES) == "floor"


def test_a_round_that_sold_nothing_leaves_mains_choice_and_a_tie_goes_to_war() -> None:
    seconds = dict.fromkeys(POSTURES, 2400.0)
    assert net_best({}, seconds, {"war": 50.0}, {}, POSTURES) is None
    assert net_best(dict.fromkeys(POSTURES, 10.0), seconds, {}, {}, POSTURES) == "war"


def _round_end(follow_gas: bool) -> str:
    """The posture robust commits to at the end of a round: war sold most, but re-signed at
    every decision; floor sold a little less and never re-signed."""
    s = strategies.create("robust", {"follow_gas": follow_gas})
    assert isinstance(s, RobustStrategy)
    p = s.params
    gas = p.cancel_cost * 60.0  # a re-sign a minute for the round's 40 minutes
    mem = OfferMemory(
        last_at=0.0,
        posture="hold",
        posture_since=0.0,
        probing=True,
        earned={"war": 3.0 * gas, "floor": 2.5 * gas, "hold": 0.0},
        seconds=dict.fromkeys(POSTURES, p.probe_seconds),
        u_gas={"war": gas, "floor": 0.0, "hold": 0.0} if follow_gas else {},
    )
    quote = Quote(category=0, price=1_000, volume=1)
    _, _, after = s._follower(p.probe_seconds + 1.0, [], None, quote, mem)
    assert not after.probing
    return after.posture


def test_robust_commits_to_the_posture_that_earned_most_after_its_gas_only_with_the_key() -> None:
    assert _round_end(False) == "war"  # main: sales alone
    assert _round_end(True) == "floor"  # war's re-signs cost more than it sold over floor

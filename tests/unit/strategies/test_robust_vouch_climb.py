"""A vouched trial level the rails capped (strategies/robust_vouch.py ``climbs_to``,
``vouch_climb``, robust item 55): the pure rule, and on crafted snapshots the level kept for the
next jump to reach, the trial starting from the listed price where the rails stop, and the key
off starting from the first capped price, unvouched, as main c208a62."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_vouch import climbs_to
from tests.support.factories import NOW, own, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state


@pytest.mark.parametrize(
    ("listed", "level", "seen", "out"),
    [
        (368, 637, 0, True),  # first capped decision: one more jump reaches it
        (500, 637, 368, True),  # the rails still moved us up
        (368, 637, 368, False),  # they did not: their ceiling
        (300, 637, 368, False),  # lower than last time
        (637, 637, 368, False),  # reached: nothing capped
    ],
)
def test_a_capped_vouched_level_is_kept_while_the_rails_move_up(
    listed: int, level: int, seen: int, out: bool
) -> None:
    assert climbs_to(listed, level, seen) is out


def capped_trial(**fields: Any) -> dict[str, Any]:
    """A trial started at the vouched 2,000; the market-led price is about 99."""
    state: dict[str, Any] = {
        "p_mode": "trial",
        "p_since": NOW - 60,
        "p_price": 2_000,
        "v_price": 2_000,
        "perched": True,
        **fields,
    }
    return perch_state(**state)


VOUCH = {**PERCH, "trial_caps_tasks": 2, "perch_trial_seconds": 21600.0}
# the rails listed our order at 800 (one max_jump over our last price), under the level
CAPPED = snap(offers=[XS], book=[], own_orders=[own("o", 800, 5)], utilization=util(10, 0))


def test_a_vouched_level_the_rails_capped_is_kept_for_the_next_jump() -> None:
    quotes, new = decide(CAPPED, capped_trial(), {**VOUCH, "vouch_climb": True})
    m = memory(new)
    assert (m.p_mode, m.p_price, m.v_price, m.v_listed) == ("trial", 2_000, 2_000, 800)
    assert quotes[0].price == 2_000 and quotes[0].jump
    # off (main c208a62): the trial starts from the capped 800, no longer at its vouched level
    quotes, new = decide(CAPPED, capped_trial(), {**VOUCH, "vouch_climb": False})
    m = memory(new)
    assert (m.p_mode, m.p_price, m.v_price, m.v_listed) == ("trial", 800, 2_000, 0)
    assert quotes[0].price == 800


def test_kept_it_waits_its_pace_and_where_the_rails_stop_it_starts_there() -> None:
    """Unsold for 4,000 s: kept at 2,000 (the rails still climbing), it waits its pace as a
    vouched level (item 48); listed at 800 again after the climb was asked (``v_listed`` 800:
    the rails' ceiling), the trial starts from 800, unvouched, and the unknown level's step
    (3,600 s here) halves it, as with the key off."""
    on = {**VOUCH, "vouch_climb": True}
    _, new = decide(CAPPED, capped_trial(p_since=NOW - 4000), on)
    assert (memory(new).p_mode, memory(new).p_price) == ("trial", 2_000)
    stopped = capped_trial(p_since=NOW - 4000, v_listed=800)
    _, new = decide(CAPPED, stopped, on)
    m = memory(new)
    assert (m.p_mode, m.p_price, m.v_price) == ("trial", 400, 2_000)
    _, new = decide(CAPPED, stopped, {**VOUCH, "vouch_climb": False})
    assert (memory(new).p_mode, memory(new).p_price) == ("trial", 400)

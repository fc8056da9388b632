"""``robust``'s surge start cuts guard 5's wait only where the rivals were out for a while
(strategies/robust_surgewait.py, ``surge_cut_out``, robust item 83): the pure rule, and in robust
no cut where guard 5's slow count of rivals out is low at the reading, the cut where it is high,
and nothing of it off."""

from __future__ import annotations

import pytest

from strategies.robust_surgewait import cut_gated
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_surgewait import surge


@pytest.mark.parametrize(
    ("out", "share", "gated"),
    [
        (0.17, 0.5, False),  # 1887 category 3: the rivals out at this moment only
        (0.96, 0.5, True),  # 1887 category 0: out for hours
        (0.5, 0.5, True),  # the boundary: the gate reads open
        (0.49, 0.5, False),
        (0.0, 0.0, True),  # off: item 77's cut everywhere
    ],
)
def test_the_cut_needs_the_slow_count_at_the_share(out: float, share: float, gated: bool) -> None:
    assert cut_gated(out=out, share=share) is gated


ON = {"surge_wait_seconds": 7_200.0, "surge_cut_out": 0.5}


def test_a_surge_read_with_the_slow_count_low_cuts_no_wait() -> None:
    # item 53's reading with guard 5's slow count at 0.1: the reading is kept (no surge starts
    # at the next one either), the wait holds
    m = surge(ON)
    assert (m.p_mode, m.p_next, m.g_at, m.g_due) == ("market", NOW + 40_000, NOW, False)
    # the same with a level sold before: still no cut
    m = surge(ON, g_sold=538)
    assert (m.p_mode, m.p_next, m.g_at) == ("market", NOW + 40_000, NOW)


def test_a_surge_read_with_the_rivals_out_for_a_while_cuts_the_wait() -> None:
    # the slow count already at 0.8: item 77's cut, its trial from the top or the sold level
    m = surge(ON, p_out=0.8)
    assert (m.p_mode, m.p_price, m.g_at) == ("trial", 99_000, NOW)
    m = surge(ON, p_out=0.8, g_sold=538)
    assert (m.p_mode, m.p_price, m.g_due) == ("trial", 538, False)


def test_off_by_default_is_item_77_exactly() -> None:
    """Off (0): the low slow count cuts the wait as item 77 does; without item 77 the key does
    nothing (it acts only with it)."""
    m = surge({"surge_wait_seconds": 7_200.0})
    assert (m.p_mode, m.p_price, m.g_at) == ("trial", 99_000, NOW)
    m = surge({"surge_wait_seconds": 0.0, "surge_cut_out": 0.5}, p_out=0.8)
    assert (m.p_mode, m.g_at) == ("market", 0.0)

"""``robust``'s vouched trial start read from the buyers of the perch's half-life where the book
waits (strategies/robust_keptvouch.py, ``trial_caps_kept``, robust item 82): the pure rule, and
on crafted snapshots a trial the gate opens starting at the cap the kept buyers vouch for with
the key where the book waits, at the rails' top without it (main) or where the book does not
wait."""

from __future__ import annotations

import pytest

from strategies.robust_caps import Buyer
from strategies.robust_keptvouch import waiting_buyers
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_vouch import ONE_BUYER, VOUCH
from tests.unit.strategies.test_strategy_robust import decide, memory, perch_state

W = [Buyer(NOW - 60, 2_000, 1, False)]
K = [Buyer(NOW - 7200, 2_000, 1, False), Buyer(NOW - 60, 2_000, 1, False)]


@pytest.mark.parametrize(
    ("on", "waits", "kept", "out"),
    [
        (False, True, K, W),  # off: the snapshot's window (main)
        (True, True, K, K),  # on, the book waits: the kept buyers
        (True, False, K, W),  # a book that buys: main's
        (True, True, [], W),  # nothing kept: the window
    ],
)
def test_waiting_buyers(on: bool, waits: bool, kept: list[Buyer], out: list[Buyer]) -> None:
    assert list(waiting_buyers(W, kept, on=on, waits=waits)) == out


# one buyer of the last hour stated 2,000 (no tier: item 48 needs 2 tasks); two more did 2 h
# and 5 h ago, kept in c_buyers (rows [at, cap, tasks, named])
S = ONE_BUYER
ROWS = [[NOW - 7200, 2_000.0, 1.0, 0.0], [NOW - 18_000, 2_000.0, 1.0, 0.0]]
ON = {**VOUCH, "trial_caps_kept": True}
WAITS = {"book_wait_share": 0.0}  # share 0: every category's book counts as waiting


def test_where_the_book_waits_the_trial_starts_at_the_cap_the_kept_buyers_vouch_for() -> None:
    quotes, new = decide(S, perch_state(c_buyers=ROWS), {**ON, **WAITS})
    m = memory(new)
    assert (m.p_mode, m.p_price, m.v_price) == ("trial", 2_000, 2_000)
    assert quotes[0].price == 2_000 and quotes[0].jump


def test_off_the_trial_starts_at_the_rails_top_as_in_main() -> None:
    _, new = decide(S, perch_state(c_buyers=ROWS), {**VOUCH, **WAITS, "trial_caps_kept": False})
    m = memory(new)
    assert (m.p_mode, m.p_price, m.v_price) == ("trial", 99_000, 0)


def test_on_by_default() -> None:
    """On since session 24 (design block, held-out 8000-8051 byte-identical; 30 extras up)."""
    _, new = decide(S, perch_state(c_buyers=ROWS), {**VOUCH, **WAITS})
    assert memory(new).p_price == 2_000


def test_scoped_to_a_category_whose_book_waits() -> None:
    # no request counted (book_wait_share 0.4 by default): the book does not wait, main's rule
    _, new = decide(S, perch_state(c_buyers=ROWS), ON)
    assert (memory(new).p_price, memory(new).v_price) == (99_000, 0)


def test_buyers_older_than_the_half_life_vouch_for_nothing() -> None:
    old = [[NOW - 50_000, 2_000.0, 1.0, 0.0], [NOW - 60_000, 2_000.0, 1.0, 0.0]]
    _, new = decide(S, perch_state(c_buyers=old), {**ON, **WAITS})
    assert (memory(new).p_price, memory(new).v_price) == (99_000, 0)

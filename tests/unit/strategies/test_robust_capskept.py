"""``robust``'s perch moved to its buyers' caps read from the buyers of the perch's half-life
where the book waits (``perch_caps_kept``, robust item 105; the pure rule,
strategies/robust_keptvouch.py ``waiting_buyers``, is tested with item 82's): on item 43's
committed perch a tier stated by buyers kept over the half-life (one in the snapshot's hour)
moving the perch with the key where the book waits, and the refine's probe instead without it
(main), where the book does not wait, with old buyers or item 43 off."""

from __future__ import annotations

from typing import Any

from tests.support.factories import NOW, own, snap, util
from tests.unit.strategies.test_robust_perch_caps import capped, committed
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory

# train 1364's shape: one buyer of the tier in the snapshot's hour (10 minutes ago, cap 1,700,
# at the perch's 1,584); three more of it 2, 3 and 5 hours ago, kept in c_buyers (rows [at,
# cap, tasks, named]). Item 43 needs 3 tasks at one cap.
S = snap(
    offers=[XS],
    book=[],
    own_orders=[own("o", 1_584, 4)],
    deals=[capped("d0", 1_584, 1_700, 600.0)],
    utilization=util(10, 0),
)
ROWS = [[NOW - 18_000 + 3600.0 * i, 1_700.0, 1.0, 0.0] for i in (0, 2, 3)]
CAPS = {**PERCH, "perch_caps_tasks": 3}
WAITS = {"book_wait_share": 0.0}  # share 0: every category's book counts as waiting


def run(params: dict[str, Any], rows: list[list[float]] = ROWS) -> tuple[int, int, int, int]:
    quotes, new = decide(S, committed(c_buyers=rows), params)
    m = memory(new)
    return m.p_price, m.r_lo, m.r_hi, quotes[0].price


def test_where_the_book_waits_the_kept_tier_moves_the_perch() -> None:
    assert run({**CAPS, **WAITS, "perch_caps_kept": True}) == (1_700, 0, 1_701, 1_700)


def test_off_the_refine_probes_under_its_bound_as_in_main() -> None:
    # main e84804e: the window holds one buyer of the tier, item 43 reads nothing; the refine
    # probes the bisection's midpoint under the 2,000 bound
    assert run({**CAPS, **WAITS, "perch_caps_kept": False}) == (1_779, 1_584, 2_000, 1_779)


def test_on_by_default() -> None:
    """On since session 29 (held-out 13000-13051 +27.2 RLC: 13051 x 1.42, 13012 x 0.99)."""
    assert run({**CAPS, **WAITS}) == (1_700, 0, 1_701, 1_700)


def test_scoped_to_a_category_whose_book_waits() -> None:
    # no request counted (book_wait_share 0.4 by default): the book does not wait, main's rule
    assert run({**CAPS, "perch_caps_kept": True}) == (1_779, 1_584, 2_000, 1_779)


def test_buyers_older_than_the_half_life_are_not_read() -> None:
    old = [[NOW - 50_000 - 600.0 * i, 1_700.0, 1.0, 0.0] for i in range(3)]
    assert run({**CAPS, **WAITS, "perch_caps_kept": True}, old) == (1_779, 1_584, 2_000, 1_779)


def test_item_43_off_reads_nothing() -> None:
    got = run({**PERCH, **WAITS, "perch_caps_tasks": 0, "perch_caps_kept": True})
    assert got == (1_779, 1_584, 2_000, 1_779)

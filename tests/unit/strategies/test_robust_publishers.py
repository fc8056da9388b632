"""``robust``'s thin perch's unsold bound (strategies/robust_publishers.py, ``perch_bound_z``): the
rate the bound's evidence is counted at, and what it changes in the refine's judgement; and the
waiting book held under the rival last seen (``book_rival_seconds``, item 26)."""

from __future__ import annotations

import math

from strategies.robust_bound import weak_bound
from strategies.robust_publishers import book_rival_floor, bound_rate

HOUR = 3600.0


def test_off_is_the_plain_rate() -> None:
    assert bound_rate(7.0, 5 * HOUR, 0.0) == 7.0 / (5 * HOUR)
    assert bound_rate(0.0, HOUR, 1.0) == 0.0 and bound_rate(3.0, 0.0, 1.0) == 0.0


def test_a_thin_perch_is_counted_at_its_cautious_rate_a_thick_one_barely() -> None:
    thin = bound_rate(5.0, 5 * HOUR, 1.0) / (5.0 / (5 * HOUR))
    thick = bound_rate(50.0, 5 * HOUR, 1.0) / (50.0 / (5 * HOUR))
    assert math.isclose(thin, 1 - 1 / math.sqrt(5)) and math.isclose(thick, 1 - 1 / math.sqrt(50))
    assert bound_rate(1.0, HOUR, 2.0) == 0.0  # fewer sales than the deviations: no rate


def test_train_1026_s_bound_is_weak_at_the_cautious_rate() -> None:
    """1026: 118.9 M went unsold 2.2 h while the perch's evidence showed about 1.4 sales an
    hour (here 7 sales in 5 h): 3.1 of its sales at the plain rate (trusted), 1.9 at the
    cautious one (weak: probed again)."""
    unsold = 2.2 * HOUR
    assert not weak_bound(unsold, bound_rate(7.0, 5 * HOUR, 0.0), 3.0)
    assert weak_bound(unsold, bound_rate(7.0, 5 * HOUR, 1.0), 3.0)


def test_the_waiting_book_is_held_under_the_rival_last_seen() -> None:
    """Train 1065: the rival (33.9 M) sold out 13 minutes ago and the book logic reads 6.4 M
    from publishers who never buy: the quote is held one nRLC under the rival."""
    now, seen = 10 * HOUR, [33_900_000, 10 * HOUR - 780.0, 0.0]
    assert book_rival_floor(6_443_447, seen, now, 1800.0, 1, 1_000_000) == 33_899_999
    # off, a sighting older than the memory, or a book price already over the rival: no change
    assert book_rival_floor(6_443_447, seen, now, 0.0, 1, 1_000_000) is None
    assert book_rival_floor(6_443_447, seen, now + 1800.0, 1800.0, 1, 1_000_000) is None
    assert book_rival_floor(40_000_000, seen, now, 1800.0, 1, 1_000_000) is None
    # no rival ever seen (the base's memory is missing or malformed)
    assert book_rival_floor(6_443_447, None, now, 1800.0, 1, 1_000_000) is None
    assert book_rival_floor(6_443_447, ["x", now], now, 1800.0, 1, 1_000_000) is None

"""``robust``'s markup over a steady book price (strategies/robust_book.py, ``book_base_seconds``):
the pure average."""

from __future__ import annotations

import math

import pytest

from strategies.robust_book import smoothed_log


def test_the_first_reading_starts_the_average_and_off_is_the_latest() -> None:
    assert smoothed_log(0.0, 100, 60.0, 7200.0) == pytest.approx(math.log(100))
    assert smoothed_log(math.log(100), 400, 60.0, 0.0) == pytest.approx(math.log(400))


def test_a_jump_of_the_book_price_moves_the_average_by_its_time_share() -> None:
    """x 4 for one minute of a 2-hour time constant: under 1 % up; for 2 hours: 1 - 1/e of it."""
    brief = math.exp(smoothed_log(math.log(100), 400, 60.0, 7200.0))
    assert 100 < brief < 101.2
    long = smoothed_log(math.log(100), 400, 7200.0, 7200.0)
    assert long == pytest.approx(math.log(100) + (1 - math.exp(-1)) * math.log(4))


def test_a_steady_price_is_its_own_average() -> None:
    assert smoothed_log(math.log(250), 250, 600.0, 7200.0) == pytest.approx(math.log(250))

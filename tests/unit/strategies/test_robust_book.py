"""``robust``'s markup over a steady book price (strategies/robust_book.py, ``book_base_seconds``):
the pure average."""

from __future__ import annotations

import math

import pytest

from strategies.robust_book import book_waits, smoothed_log, tally


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


def test_a_fitted_request_that_leaves_the_book_bought_and_one_marked_inert_waited() -> None:
    """Watched a, b (category 0); a left unmarked (a buyer), b was marked inert (it waited)."""
    watch, counts = tally(
        {"a": 0, "b": 0},
        {"b": 0, "c": 1},
        present={"b", "c"},
        inert={"b"},
        known=set(),
        counts={},
    )
    assert counts == {0: (1, 1)}
    assert watch == {"c": 1}


def test_a_request_stays_counted_once() -> None:
    """b was already inert last time: it is not counted again; c still waits to be judged."""
    watch, counts = tally(
        {"c": 1},
        {"b": 0, "c": 1},
        present={"b", "c"},
        inert={"b"},
        known={"b"},
        counts={0: (1, 1)},
    )
    assert counts == {0: (1, 1)}
    assert watch == {"c": 1}


def test_a_request_that_fits_already_old_and_is_marked_at_once_waited() -> None:
    """Our price fell under a request that sat in the book: marked inert now, it waited."""
    _, counts = tally({}, {"d": 2}, present={"d"}, inert={"d"}, known=set(), counts={})
    assert counts == {2: (0, 1)}


def test_the_book_waits_only_with_enough_evidence_and_share_zero_is_no_test() -> None:
    assert not book_waits((0, 2), 0.5, 3)  # too few seen
    assert book_waits((3, 3), 0.5, 3)
    assert not book_waits((4, 3), 0.5, 3)  # most of them bought: a book of buyers
    assert book_waits((0, 0), 0.0, 3)  # no test: everywhere (item 13 as measured)

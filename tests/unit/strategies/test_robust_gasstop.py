"""The gas stop-loss (strategies/robust_gasstop.py, ``gas_stop_seconds``, robust item 94): the
pure book, and in robust a cut held at our listed price while the offer's re-signs' gas
outruns its sales."""

from __future__ import annotations

import pytest

import strategies
from strategies.robust_gasstop import (
    GAS_STOP_CANCELS,
    GAS_STOP_SALES,
    GAS_STOP_TASKS,
    book_add,
    resign_gas,
    stopped,
)
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_cutgas import GAS, decided

H = 43_200.0


@pytest.mark.parametrize(
    ("before", "listed", "out"),
    [
        (0.0, 10, 0.0),  # nothing known before
        (10.0, None, 0.0),  # nothing listed now
        (10.0, 10, 0.0),  # unchanged
        (10.0, 9, float(GAS)),  # a cut re-signs
        (9.0, 10, float(GAS)),  # so does a raise
    ],
)
def test_resign_gas(before: float, listed: int | None, out: float) -> None:
    assert resign_gas(before, listed, GAS) == out


OLD = NOW - H  # a book that covers a half-life


@pytest.mark.parametrize(
    ("book", "gas", "sold", "tripped"),
    [  # listed at 10 nRLC: four tasks' worth is nothing beside the gas
        ([], GAS, 0.0, False),  # a new book is not judged
        ([3.0 * GAS, 0.0, NOW, 0.0, 9.0, OLD], GAS, 0.0, True),  # the fourth, nothing sold
        ([3.0 * GAS, 0.0, NOW, 0.0, 9.0, OLD + 1], GAS, 0.0, False),  # not a half-life yet
        ([3.0 * GAS, 0.0, NOW, 0.0, 9.0, OLD], GAS, 1.4 * GAS, False),  # 4 < 3 x 1.4
        ([3.0 * GAS, 0.0, NOW - H, 0.0, 9.0, OLD - H], GAS, 0.0, False),  # half of it decayed
        ([9.0 * GAS, 3.0 * GAS, NOW, 0.0, 9.0, OLD], GAS, 0.0, True),  # 10 > 3 x 3
        ([9.0 * GAS, 4.0 * GAS, NOW, 0.0, 9.0, OLD], GAS, 0.0, False),  # 10 < 3 x 4
    ],
)
def test_book_add_trips(book: list[float], gas: float, sold: float, tripped: bool) -> None:
    out = book_add(book, NOW, gas, sold, 10, H, GAS)
    assert out[2] == NOW and out[4] == 10.0 and out[5] == (book[5] if book else NOW)
    assert stopped(out, NOW + 1) is tripped
    assert (out[3] == NOW + H) is tripped


def test_book_add_spares_a_category_whose_few_tasks_pay_the_gas() -> None:
    book = [7.0 * GAS, 0.0, NOW, 0.0, 9.0, OLD]
    assert not stopped(book_add(book, NOW, GAS, 0.0, 2 * GAS, H, GAS), NOW + 1)  # 8 <= 4 x 2
    assert stopped(book_add(book, NOW, GAS, 0.0, GAS, H, GAS), NOW + 1)  # 8 > 4 x 1
    assert (GAS_STOP_TASKS, GAS_STOP_SALES, GAS_STOP_CANCELS) == (4.0, 3.0, 4.0)


def test_book_add_decays_and_keeps_a_running_stop() -> None:
    book = [8.0 * GAS, 2.0 * GAS, NOW - H, NOW + 100.0, 9.0, OLD - H]
    out = book_add(book, NOW, 0.0, 0.0, None, H, GAS)
    assert out[:2] == pytest.approx([4.0 * GAS, 1.0 * GAS])
    assert out[3] == NOW + 100.0 and out[4] == 0.0  # the running stop's end is kept
    assert stopped(out, NOW + 99.0) and not stopped(out, NOW + 100.0)
    assert not stopped([], NOW)


def test_robust_holds_the_listed_price_while_the_gas_outruns_the_sales() -> None:
    """item 73's scene (our orders at 10 M, a rival steps to 9.9 M): main cuts under the rival;
    with the key, a book whose gas outruns four tasks at 10 M at this decision (the listed price
    moved from 9 M to 10 M since the last) holds the 10 M order."""
    on = {"gas_stop_seconds": H}
    main, _, _ = decided({})
    assert main == 9_799_999
    due = {"x_book": [11.5 * GAS, 0.0, NOW - 60, 0.0, 9_000_000.0, OLD - 60]}
    price, why, after = decided(on, mem=due)
    assert price == 10_000_000 and "held at 10000000: re-sign gas" in why
    assert after["x_book"][3] == pytest.approx(NOW + H)
    # under four tasks at 10 M (8 cancels' gas at 5 M): not yet
    book = {"x_book": [6.0 * GAS, 0.0, NOW - 60, 0.0, 9_000_000.0, OLD - 60]}
    price, _, after = decided(on, mem=book)
    assert price == main and not stopped(after["x_book"], NOW)
    # a book younger than the half-life: not judged
    young = {"x_book": [11.5 * GAS, 0.0, NOW - 60, 0.0, 9_000_000.0, NOW - 60]}
    assert decided(on, mem=young)[0] == main
    # a stop already running holds the price whatever the book says
    running = {"x_book": [0.0, 0.0, NOW - 60, NOW + 600.0, 10_000_000.0, OLD]}
    assert decided(on, mem=running)[0] == 10_000_000
    # sales that pay the gas: no stop (12.5 <= 3 x 2 + 8)
    paid = {"x_book": [11.5 * GAS, 2.0 * GAS, NOW - 60, 0.0, 9_000_000.0, OLD - 60]}
    assert decided(on, mem=paid)[0] == main
    # the key off: the book is not kept and the cut is made
    price, _, after = decided({}, mem=due)
    assert price == main and after["x_book"] == due["x_book"]


def test_the_key_is_off_by_default() -> None:
    assert strategies.create("robust", {}).params.gas_stop_seconds == 0.0

"""ParsedBook: a kept parse is reused only for the very same listed item, within a bound."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.adapters.book_cache import ParsedBook, ParsedOrder
from bot.adapters.market_models import (
    WireWorkerpoolOrderRecord,
    to_book_entry,
    to_signed_order,
)
from tests.support.market_fakes import make_listed, record


def parsed_of(item: dict[str, Any]) -> ParsedOrder:
    rec = WireWorkerpoolOrderRecord.model_validate(item)
    return ParsedOrder(rec, to_book_entry(rec), to_signed_order(rec))


def test_an_equal_item_hits_and_any_change_misses() -> None:
    book = ParsedBook()
    item = record(make_listed(price=7, volume=3))
    kept = parsed_of(item)
    book.put(item, kept)
    assert book.get(copy.deepcopy(item)) is kept
    for path, value in ((("remaining",), 1), (("order", "sign"), "0x" + "22" * 65)):
        changed = copy.deepcopy(item)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert book.get(changed) is None
    assert book.get("not an object") is None
    assert (book.hits, book.misses) == (1, 2)


def test_the_oldest_tenth_goes_when_full() -> None:
    book = ParsedBook(max_orders=20)
    items = [record(make_listed(price=p)) for p in range(1, 22)]
    for item in items:
        book.put(item, parsed_of(item))
    assert len(book) == 18  # 20 kept, then 3 (20 // 10 + 1) forgotten for the 21st
    assert book.get(items[0]) is None and book.get(items[2]) is None
    assert book.get(items[3]) is not None and book.get(items[20]) is not None


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_orders"):
        ParsedBook(max_orders=0)


def test_an_order_unlisted_for_the_ttl_is_forgotten_and_a_listed_one_kept() -> None:
    now = [0.0]
    book = ParsedBook(unseen_ttl=100.0, clock=lambda: now[0])
    gone, listed, fresh = (record(make_listed(price=p)) for p in (1, 2, 3))
    for item in (gone, listed):
        book.put(item, parsed_of(item))
    now[0] = 80.0
    assert book.get(listed) is not None  # seen again at 80
    now[0] = 130.0
    book.put(fresh, parsed_of(fresh))  # a put past a quarter of the ttl sweeps
    assert book.get(gone) is None
    assert book.get(listed) is not None and book.get(fresh) is not None
    assert len(book) == 2

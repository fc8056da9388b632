"""Marketplace texts reach logs and the journal as one bounded, printable line.

A hostile or broken marketplace controls its error messages, its 5xx bodies and the identifiers
of records the client drops. Escape sequences, CR/LF and other control characters must never get
through to the operator's terminal, the log file or the journal, and a huge message is cut.
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import httpx
import pytest

from bot.adapters.journal import SqliteJournal
from bot.adapters.market_api import MarketApiClient
from bot.adapters.safe_text import MAX_TEXT, clean_text
from bot.domain.errors import RejectedError, TransientError
from bot.domain.model import Publish, Quote
from bot.engine.executor import Executor
from bot.engine.ports import BookQuery
from tests.support.market_fakes import FakeMarket, make_order, record, respond

HOSTILE = (
    "invalid sign\x1b[2J\x1b[H\x1b[31mPWNED\x1b[0m\r\n"
    "2026-01-01T00:00:00 INFO pricebot: all good\x00\x07\x08\u202e\u2028\x9b31m"
    "\x1b]0;title\x07tail"
)


def _printable(text: str) -> bool:
    return all(unicodedata.category(c)[0] != "C" and c not in "\u2028\u2029" for c in text)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("order already published", "order already published"),
        ("a\x1b[31mred\x1b[0m b", "ared b"),
        ("line one\r\nline two\rthree\nfour", "line one line two three four"),
        ("tab\tand\x00nul\x07bell\x7fdel", "tab and nul bell del"),
        ("\u202egnp.exe\u200b", "gnp.exe"),
        ("\x1b]0;set the title\x07after", "after"),
        ("\x9b2Jcleared", "cleared"),
        ("  spaced \n\n out  ", "spaced out"),
        ("naïve café 数据", "naïve café 数据"),
    ],
)
def test_clean_text_table(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_bounds_the_length() -> None:
    assert clean_text("x" * 10_000_000) == "x" * MAX_TEXT + "…"
    assert clean_text("\n" * 10_000_000 + "x") == "…"  # the work is bounded, the cut is said
    assert len(clean_text("y" * 5000, 80)) == 81


def test_a_hostile_rejection_message_is_one_clean_line(
    client: MarketApiClient, market: FakeMarket
) -> None:
    market.fail("POST", "/workerpoolorders", respond(403, {"ok": False, "error": HOSTILE}))
    with pytest.raises(RejectedError) as info:
        client.publish(make_order())
    text = str(info.value)
    assert _printable(text), repr(text)
    assert "PWNED" in text and "invalid sign" in text
    assert info.value.server_message.startswith("invalid sign")


def test_a_huge_rejection_message_is_cut(client: MarketApiClient, market: FakeMarket) -> None:
    market.fail("POST", "/workerpoolorders", respond(400, {"ok": False, "error": "E" * 5_000_000}))
    with pytest.raises(RejectedError) as info:
        client.publish(make_order())
    assert len(info.value.server_message) <= MAX_TEXT + 1


def test_a_hostile_5xx_body_is_one_clean_line(client: MarketApiClient, market: FakeMarket) -> None:
    def page(_: httpx.Request) -> httpx.Response:
        return httpx.Response(502, content=HOSTILE.encode())

    for _ in range(10):
        market.fail("GET", "/workerpoolorders", page)
    with pytest.raises(TransientError) as info:
        client.workerpool_orders(BookQuery())
    assert _printable(str(info.value)), repr(str(info.value))


def test_a_dropped_record_with_a_hostile_hash_logs_one_clean_line(
    client: MarketApiClient, market: FakeMarket, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.engine.ports import BookQuery

    bad = record(make_order(price=3))
    bad["orderHash"] = HOSTILE
    del bad["order"]["salt"]
    market.fail("GET", "/workerpoolorders", respond(200, {"ok": True, "orders": [bad], "count": 1}))
    with caplog.at_level(logging.WARNING):
        assert client.workerpool_orders(BookQuery()) == []
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped and all(_printable(m) for m in dropped), dropped


def test_the_journal_keeps_a_clean_rejection(
    client: MarketApiClient, market: FakeMarket, tmp_path: Path
) -> None:
    """The executor journals ``str(exc)``: a real SQLite journal gets the cleaned line."""
    from tests.support.fakes import POOL, ChainView, FakeSigner, FakeWorld

    market.fail("POST", "/workerpoolorders", respond(403, {"ok": False, "error": HOSTILE}))
    world = FakeWorld()
    journal = SqliteJournal(tmp_path / "journal-live.sqlite")
    executor = Executor(
        workerpool=POOL,
        clock=world.clock,
        writer=client,
        chain=ChainView(world),
        signer=FakeSigner(),
        journal=journal,
        live=True,
    )
    report = executor.execute([Publish(Quote(category=0, price=1500, volume=4), "r")], [])
    assert report.steps[0].outcome == "failed"
    details = [a.detail for a in journal.actions()]
    journal.close()
    assert any("PWNED" in d for d in details), details
    assert all(_printable(d) for d in details), details

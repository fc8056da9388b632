"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, on the real server.

The service runs on the fake world (a few cycles: rivals, our orders listed and unlisted, deals,
busy slots); the ops server listens on loopback with its token. Chromium loads ``/`` at a laptop
size and at a phone's (390 x 844). Checked: no console error and no request leaves the page's
origin; every number element (``data-api``) shows exactly its field of ``/api/v1/dashboard``,
whose parts are the API's own answers; the chart has one point per tick; the phone has no
horizontal scroll; every non-GET request without the token is refused; screenshots are written.

Skipped only where there is no browser (the message says how to install it); CI installs it.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.domain.fill_orders import fill_detail
from bot.domain.model import Deal, PoolUtilization
from bot.sandbox.browser import PHONE, browser_missing, chromium_context
from tests.support.fakes import POOL, FakeWorld, rival_order
from tests.support.ops_helpers import TOKEN, Receiver, make_service

MISSING = browser_missing()
pytestmark = pytest.mark.skipif(
    MISSING is not None, reason=f"the dashboard's browser test needs a browser: {MISSING}"
)
TICKS = 6
METHODS = ("POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@pytest.fixture
def served(tmp_path: Path) -> Any:
    """The service after a few cycles, its ops server listening; yields (url, ops, world)."""
    receiver = Receiver()
    world = FakeWorld()
    world.util = PoolUtilization(registered_cpu=8, computing_cpu=3, backlog=2, alive_workers=2)
    for n, price in enumerate((100_000, 120_000, 150_000)):
        world.book[f"r{n}"] = rival_order(price, n=n, volume=5 + n)
    svc, ops = make_service(tmp_path, world, receiver.url)
    url = ops.start()
    assert url is not None
    try:
        svc.reconcile()
        for tick in range(TICKS):
            world.clock.t += 60
            if tick == 2:
                (hash_,) = world.listed
                world.match(hash_, 3)
                world.deals_list.append(
                    Deal("0x" + "d1" * 32, POOL, 99_000, 3, 0, 0, 0, world.clock.t - 30)
                )
            if tick == 4:
                world.book["r0"] = rival_order(90_000, n=0, volume=5)
                # a confirmed fill (issue #15), journalled as the fill executor does
                detail = fill_detail("0x" + "d2" * 32, "0x" + "ab" * 32, 2, 95_000, 657_622, "0x7")
                svc.runtime.journal.record_action(world.clock.t, "fill", None, "ok", detail)
            svc.reprice()
            svc.record()  # the record job: revenue is read from the journal's snapshots
        yield url, ops, world
    finally:
        ops.stop()
        svc.runtime.close()
        receiver.close()


def _at(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _shown(value: Any) -> str:
    return "—" if value is None else str(value)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def test_dashboard_in_chromium(served: Any, tmp_path: Path) -> None:
    url, ops, _world = served
    errors: list[str] = []
    foreign: list[str] = []

    with chromium_context() as context:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(url) else None)
        response = page.goto(url + "/", wait_until="load")
        assert response is not None and response.status == 200
        assert "script-src" not in response.headers["content-security-policy"]  # none allowed
        shown = page.eval_on_selector_all(
            "[data-api]",
            "els => els.map(e => [e.dataset.api, e.textContent.replace(/\\s+/g, ' ').trim()])",
        )
        chart_points = page.eval_on_selector_all(
            "svg.chart", "els => els.map(e => Number(e.dataset.points))"
        )
        ours_paths = page.locator("svg.chart path.ours").count()
        banner = page.inner_text("header.banner")
        laptop_png = tmp_path / "dashboard-laptop.png"
        page.screenshot(path=str(laptop_png), full_page=True)
        # The API now (the fake clock stands still: the same ``now`` as the page's).
        api = httpx.get(url + "/api/v1/dashboard").json()
        answers = {
            part: httpx.get(url + route).json()
            for part, route in (
                ("status", "/api/v1/status"),
                ("pool", "/api/v1/pool"),
                ("orders", "/api/v1/orders"),
                ("book", "/api/v1/book?limit=5"),
                ("decisions", "/api/v1/decisions?limit=6"),
                ("revenue", "/api/v1/revenue"),
                ("prices", "/api/v1/prices"),
            )
        }

        phone = context.new_page()
        phone.set_viewport_size(PHONE)
        phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        phone.goto(url + "/", wait_until="load")
        widths = phone.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " document.body.scrollWidth]"
        )
        phone_png = tmp_path / "dashboard-phone.png"
        phone.screenshot(path=str(phone_png), full_page=True)

        refused = []
        paths = sorted({route.path for route in ops.server.app.routes})
        for path in paths:
            for method in METHODS:
                got = context.request.fetch(url + path, method=method, fail_on_status_code=False)
                refused.append((method, path, got.status))
        token = {"authorization": f"Bearer {TOKEN}"}
        paused = context.request.post(url + "/api/v1/pause", headers=token)
        assert paused.status == 200  # the token is what the refusals were about

    # Console and network: nothing went wrong, nothing was fetched from elsewhere.
    assert errors == []
    assert foreign == []
    # The numbers shown are the API's, field by field.
    assert len(shown) > 60
    mismatches = [
        (p, text, _shown(_at(api, p))) for p, text in shown if text != _shown(_at(api, p))
    ]
    assert mismatches == []
    assert dict(shown)["revenue.total.fills"] == "1"  # the journalled fill is on the page
    paths_shown = {p for p, _ in shown}
    for needed in (
        "status.mode",
        "status.offers.0.our_price",
        "status.offers.0.best_competitor",
        "figures.pool.utilization_percent",
        "pool.utilization.backlog",
        "orders.orders.0.state",
        "book.offers.0.orders.0.price",
        "revenue.days.0.revenue",
        "revenue.days.0.fills",
        "revenue.total.fill_revenue",
        "figures.stake.required",
        "checks.0.text",
    ):
        assert needed in paths_shown, needed
    assert any(
        re.fullmatch(r"decisions\.decisions\.\d+\.steps\.\d+\.reason", p) for p in paths_shown
    )
    # ... and the dashboard's parts are the API's own answers.
    for part, answer in answers.items():
        assert api[part] == answer, part
    states = {o["state"] for o in api["orders"]["orders"]}
    assert states and states <= {"listed", "unlisted-valid", "dead", "closed"}
    assert any("within deadband" in (s["reason"] or "") for s in _steps(api))
    assert api["revenue"]["days"][0]["tasks"] == 3
    # One chart point per tick, our line drawn.
    assert chart_points == [TICKS] == [len(o["points"]) for o in api["prices"]["offers"]]
    assert ours_paths >= 1
    assert re.match(r"LIVE\b", banner.strip(), re.IGNORECASE)
    # A phone: no horizontal scroll.
    scroll_width, client_width, body_width = widths
    assert client_width == PHONE["width"]
    assert scroll_width <= client_width and body_width <= client_width
    # Read-only: every non-GET request without the token is refused.
    assert all(status in (401, 404, 405) for _, _, status in refused), [
        r for r in refused if r[2] not in (401, 404, 405)
    ]
    assert {(m, p) for m, p, s in refused if p == "/api/v1/pause"} == {
        (m, "/api/v1/pause") for m in METHODS
    }
    # Screenshots written.
    assert _png_size(laptop_png)[0] == 1280
    assert _png_size(phone_png)[0] == PHONE["width"]


def _steps(api: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for d in api["decisions"]["decisions"] for s in d["steps"]]

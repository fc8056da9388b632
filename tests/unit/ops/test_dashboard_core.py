"""The dashboard's pure parts: the chart, the price history and the health checklist."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from bot.domain.model import Stake
from bot.ops._chart import price_chart_svg
from bot.ops._history import HISTORY_POINTS, PricePoint, with_price_point
from bot.ops._page import _health_checks, render_dashboard
from bot.ops._view import OpsView
from bot.pricing.snapshot import build_snapshot


def _view(**kw: object) -> OpsView:
    base = OpsView(
        started_at=0.0,
        workerpool="0x" + "ab" * 20,
        network="local",
        strategy="fixed",
        live=False,
        reprice_seconds=60,
        stale_limit_seconds=600,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_chart_has_one_point_per_tick_gaps_and_the_ceiling_rule() -> None:
    points = [(0.0, 100, 120), (60.0, None, 120), (120.0, 90, 110)]
    svg = str(price_chart_svg(points, floor=50, ceiling=150, label="cat 0 <&>"))
    assert 'data-points="3"' in svg
    assert svg.count('class="ours"') == 2  # broken where nothing of ours was listed
    assert svg.count('class="best"') == 1
    assert 'class="ceiling"' in svg and "off the chart" not in svg
    assert "cat 0 &lt;&amp;&gt;" in svg and "<&>" not in svg
    far = str(price_chart_svg(points, floor=50, ceiling=10**9, label="x"))
    assert 'class="ceiling"' not in far and "ceiling 1 RLC: off the chart" in far
    # the y axis spans floor..max price: every path stays inside the plot
    ys = [float(y) for y in re.findall(r"V([\d.]+)", svg)]
    assert ys and all(0 <= y <= 190 for y in ys)
    assert "no cycle yet" in str(price_chart_svg([], floor=1, ceiling=2, label="x"))


def test_price_history_is_one_point_per_snapshot_and_bounded() -> None:
    view = _view()
    assert with_price_point(view) is view  # no snapshot: no point
    full = tuple(PricePoint(float(i), (), (), ()) for i in range(HISTORY_POINTS))
    view = _view(snapshot=build_snapshot(at=9e9, workerpool="0x" + "ab" * 20), prices=full)
    after = with_price_point(view)
    assert len(after.prices) == HISTORY_POINTS
    assert after.prices[-1].at == 9e9 and after.prices[0].at == 1.0


def test_checks_put_a_stake_shortfall_first_and_say_what_is_not_reported() -> None:
    from bot.ops._api import status_json

    snap = build_snapshot(
        at=100.0, workerpool="0x" + "ab" * 20, stake=Stake(free=5, locked=0), utilization=None
    )
    view = _view(snapshot=snap, last_success_at=100.0, low_stake_nrlc=10, kill="freeze")
    checks = _health_checks(view, status_json(view, 100.0))
    levels = [c["level"] for c in checks]
    assert levels == sorted(levels, key=["bad", "warn", "ok", "unknown"].index)
    by_what = {c["what"]: c for c in checks}
    assert by_what["kill switch"]["level"] == "bad"
    assert by_what["stake cover"]["level"] == "warn"  # 5 nRLC free < the 10 nRLC warning level
    assert by_what["gas wallet"]["level"] == "unknown"
    assert by_what["core source"]["level"] == "bad"  # utilization never read: stale


def test_the_page_escapes_what_it_shows(tmp_path: Path) -> None:
    from bot.ops._page import dashboard_json
    from tests.support.ops_helpers import ops_config

    view = _view(strategy="<script>alert(1)</script>")
    html = render_dashboard(dashboard_json(view, None, ops_config(tmp_path), 1.0))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'http-equiv="refresh" content="60"' in html

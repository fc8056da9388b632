"""One offer's price chart as inline SVG, built by hand on the server.

Why hand-built: the page must work on an owner's node with no internet (no CDN, no third-party
JavaScript, nothing vendored), and a step chart of four series is a few SVG paths. matplotlib's
SVG backend would work too, but writes ~30 kB of glyph paths per chart and ignores the page's
CSS (dark mode, phone widths); these are ~2 kB and scale with the page.

Pure: numbers in, an SVG string out (every text escaped).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from markupsafe import Markup, escape

__all__ = ["CEILING_IN_VIEW", "price_chart_svg"]

WIDTH, HEIGHT = 400.0, 190.0
LEFT, RIGHT, TOP, BOTTOM = 60.0, 12.0, 16.0, 24.0
CEILING_IN_VIEW = 1.5
"""The ceiling is drawn when it is at most this many times the highest price shown (when it is
near enough to clamp); above, a line at 1 RLC would flatten prices of 0.01 RLC to the axis, so it
is named in a corner instead."""
NRLC = 10**9

Point = tuple[float, int | None, int | None]
"""(Unix time, our price, best competitor), prices in nRLC (None: nothing listed)."""


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _rlc_label(nrlc: float) -> str:
    text = f"{nrlc / NRLC:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def _clock(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%H:%M")


def _segments(xs: Sequence[float], ys: Sequence[float | None]) -> list[str]:
    """SVG path data for a step line (a price holds until the next tick), broken at gaps."""
    paths: list[str] = []
    current: list[str] = []
    for i, y in enumerate(ys):
        if y is None:
            if current:
                paths.append(" ".join(current))
                current = []
            continue
        if not current:
            current.append(f"M{xs[i]:.1f},{y:.1f}")
        else:
            current.append(f"H{xs[i]:.1f}V{y:.1f}")
        if i + 1 < len(ys) and ys[i + 1] is None:
            current.append(f"H{xs[i + 1]:.1f}")  # held until the next tick, then nothing
    if current:
        if len(current) == 1:  # a single tick: a short dash, so it shows at all
            current.append(f"h{3:.1f}")
        paths.append(" ".join(current))
    return paths


def price_chart_svg(points: Sequence[Point], *, floor: int, ceiling: int, label: str) -> Markup:
    """A step chart of our price and the best competitor, with the rails' floor and ceiling."""
    title = escape(label)
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" role="img" '
        f'aria-label="{title}" data-points="{len(points)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{title}</title>"
    )
    if not points:
        return Markup(
            f'{head}<text x="{WIDTH / 2:.0f}" y="{HEIGHT / 2:.0f}" text-anchor="middle" '
            'class="muted">no cycle yet</text></svg>'
        )
    prices = [p for _, a, b in points for p in (a, b) if p is not None]
    top = max([*prices, floor])
    show_ceiling = ceiling <= CEILING_IN_VIEW * top
    lo = min([*prices, floor])
    hi = max(top, ceiling) if show_ceiling else top
    span = hi - lo or max(hi, 1) * 0.1
    step = _nice_step(span)
    y0 = math.floor((lo - span * 0.05) / step) * step
    y1 = math.ceil((hi + span * 0.05) / step) * step
    y0 = max(0.0, y0)
    t0, t1 = points[0][0], points[-1][0]
    if t1 <= t0:
        t0, t1 = t0 - 30.0, t1 + 30.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + (t - t0) / (t1 - t0) * plot_w

    def y(v: float) -> float:
        return TOP + (y1 - v) / (y1 - y0) * plot_h

    parts = [head]
    tick = y0
    while tick <= y1 + step / 2:
        parts.append(
            f'<line class="grid" x1="{LEFT:.0f}" x2="{WIDTH - RIGHT:.0f}" '
            f'y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="axis" x="{LEFT - 4:.0f}" y="{y(tick) + 3.5:.1f}" '
            f'text-anchor="end">{_rlc_label(tick)}</text>'
        )
        tick += step
    for t, anchor in ((t0, "start"), ((t0 + t1) / 2, "middle"), (t1, "end")):
        parts.append(
            f'<text class="axis" x="{x(t):.1f}" y="{HEIGHT - 8:.0f}" '
            f'text-anchor="{anchor}">{_clock(t)}</text>'
        )
    parts.append(
        f'<line class="floor" x1="{LEFT:.0f}" x2="{WIDTH - RIGHT:.0f}" '
        f'y1="{y(floor):.1f}" y2="{y(floor):.1f}"><title>floor</title></line>'
    )
    if show_ceiling:
        parts.append(
            f'<line class="ceiling" x1="{LEFT:.0f}" x2="{WIDTH - RIGHT:.0f}" '
            f'y1="{y(ceiling):.1f}" y2="{y(ceiling):.1f}"><title>ceiling</title></line>'
        )
    else:
        parts.append(
            f'<text class="axis" x="{WIDTH - RIGHT:.0f}" y="{TOP - 3:.0f}" text-anchor="end">'
            f"ceiling {_rlc_label(ceiling)} RLC: off the chart</text>"
        )
    xs = [x(t) for t, _, _ in points]
    for css, index in (("best", 2), ("ours", 1)):  # ours drawn last: on top
        ys = [None if (v := p[index]) is None else y(float(v)) for p in points]
        for d in _segments(xs, ys):
            parts.append(f'<path class="{css}" d="{d}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))

"""Our price and the best competitor per offer over time: the dashboard's charts, ``/api/v1/prices``.

Why kept in the view and not read back from the journal: the journal records whole snapshots
only every ``record_seconds`` (the book included, tens of kB each), while the view already holds
each tick's figures (:func:`~bot.ops._view.offer_figures`, the numbers ``/api/v1/status`` and
``/metrics`` show). One point per tick, the newest :data:`HISTORY_POINTS` kept, so a chart point
is exactly what the status answer said at that tick. The history starts with the process: a
restarted bot draws from its first tick on.

Pure: no I/O, no clock reads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.ops._api import API_VERSION
from bot.ops._text import when
from bot.ops._view import OpsView, offer_figures

__all__ = ["HISTORY_POINTS", "PricePoint", "prices_json", "with_price_point"]

HISTORY_POINTS = 1440
"""A day of ticks at the default 60 s period; older points are dropped (a bounded view)."""


@dataclass(frozen=True, slots=True)
class PricePoint:
    """One tick's prices per offer, in the order of ``OpsView.offers`` (nRLC, None: nothing)."""

    at: float
    ours: tuple[int | None, ...]
    best: tuple[int | None, ...]


def with_price_point(view: OpsView) -> OpsView:
    """``view`` with its snapshot's figures appended to the price history (bounded)."""
    if view.snapshot is None:
        return view
    figures = offer_figures(view)
    point = PricePoint(
        at=float(view.snapshot.at),
        ours=tuple(f.our_price for f in figures),
        best=tuple(f.best_competitor for f in figures),
    )
    kept = view.prices[-(HISTORY_POINTS - 1) :] if view.prices else ()
    return replace(view, prices=(*kept, point))


def _rlc(nrlc: int | None) -> str | None:
    if nrlc is None:
        return None
    from bot.order_io import format_rlc

    return format_rlc(nrlc)


def prices_json(view: OpsView, *, floor: int, ceiling: int, now: float) -> dict[str, Any]:
    """Per offer, one point per tick: our cheapest listed price and the best competitor.

    ``floor`` and ``ceiling`` are the rails' (``[rails]``), the limits every price is clamped to.
    """
    offers = []
    for i, offer in enumerate(view.offers):
        offers.append(
            {
                "category": offer.category,
                "tag": hex(offer.tag),
                "points": [
                    {
                        "at_ts": p.at,
                        "our_price_nrlc": p.ours[i] if i < len(p.ours) else None,
                        "best_competitor_nrlc": p.best[i] if i < len(p.best) else None,
                    }
                    for p in view.prices
                ],
            }
        )
    first = view.prices[0].at if view.prices else None
    return {
        "api_version": API_VERSION,
        "since_ts": first,
        "since": when(first, now),
        "floor_nrlc": floor,
        "floor": _rlc(floor),
        "ceiling_nrlc": ceiling,
        "ceiling": _rlc(ceiling),
        "offers": offers,
    }

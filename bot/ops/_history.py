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

from bot.domain.model import Slot
from bot.domain.timefmt import when
from bot.ops._api import API_VERSION
from bot.ops._view import OpsView, offer_figures

__all__ = ["HISTORY_POINTS", "PricePoint", "prices_json", "with_price_point"]

HISTORY_POINTS = 1440
"""A day of ticks at the default 60 s period; older points are dropped (a bounded view)."""


@dataclass(frozen=True, slots=True)
class PricePoint:
    """One tick's prices per offer (nRLC, None: nothing listed), keyed by the offer's slot
    (``bot.domain.model.Slot``) so a reload that changes the offers does not shift one offer's history
    onto another's."""

    at: float
    keys: tuple[Slot, ...]
    ours: tuple[int | None, ...]
    best: tuple[int | None, ...]

    def prices_of(self, slot: Slot) -> tuple[int | None, int | None] | None:
        """(ours, best) for the offer at this tick; None when it was not an offer then."""
        try:
            i = self.keys.index(slot)
        except ValueError:
            return None
        return self.ours[i], self.best[i]


def with_price_point(view: OpsView) -> OpsView:
    """``view`` with its snapshot's figures appended to the price history (bounded)."""
    if view.snapshot is None:
        return view
    figures = offer_figures(view)
    point = PricePoint(
        at=float(view.snapshot.at),
        keys=tuple(offer.slot for offer in view.offers),  # offer_figures' order
        ours=tuple(f.our_price for f in figures),
        best=tuple(f.best_competitor for f in figures),
    )
    kept = view.prices[-(HISTORY_POINTS - 1) :] if view.prices else ()
    return replace(view, prices=(*kept, point))


def _rlc(nrlc: int | None) -> str | None:
    if nrlc is None:
        return None
    from bot.domain.order_io import format_rlc

    return format_rlc(nrlc)


def prices_json(view: OpsView, *, floor: int, ceiling: int, now: float) -> dict[str, Any]:
    """Per offer, one point per tick: our cheapest listed price and the best competitor.

    ``floor`` and ``ceiling`` are the rails' (``[rails]``), the limits every price is clamped to.
    """
    offers = []
    for offer in view.offers:
        points = []
        for p in view.prices:
            got = p.prices_of(offer.slot)
            if got is not None:
                points.append(
                    {"at_ts": p.at, "our_price_nrlc": got[0], "best_competitor_nrlc": got[1]}
                )
        offers.append({"category": offer.category, "tag": hex(offer.tag), "points": points})
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

"""``robust``'s perch gate counts the rival stock we took ourselves (issue #14, item 18).

Guard 5 (strategies/robust.py) tries a perch far above the market once the rivals have been out
of stock for ``perch_out_share`` of the time: then the buyers above the market have no cheaper
seller. On train ``undercut_slow`` 1005 and 1018 and ``churn`` 1007 the best fixed price in
hindsight sells the small XS category at the top tier of capped buyers (1.07 G, 1.81 G, 401 M
nRLC), to buyers who arrive while the small fixed rivals (1-3 tasks listed) are sold out. But
robust undercuts those rivals: the takers buy from us first, the rivals keep their stock, the
book never shows them out, and the perch's gate never opens (1018: XS 7.6 RLC against the
reference's 27.2).

So the gate asks whether the rivals' stock was the binding supply: in the last
``perch_drained_seconds`` we alone sold at least as many tasks of the category as all the rivals
list now. Had we not been there, those buyers would have emptied the rivals' orders, and the
buyers after them would have found no cheaper seller. While that holds, the perch's slow count
of rivals out of stock reads them as out. It is read only in the market-led mode: at a perch we
sell little and the book itself shows whether the rivals run out.

Pure function over plain values: robust.py owns the state and calls it. Figures, and what was
tried and not kept: docs/strategies.md, robust item 18.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import BookEntry, Deal

__all__ = ["drained"]


def drained(deals: Sequence[Deal], rivals: Sequence[BookEntry]) -> bool:
    """Our ``deals`` (one category, the window's) sold at least the rivals' whole stock listed
    now (``rivals``: the compatible rival orders): without us they would have run out.

    No sale is no evidence (False): a quiet market says nothing about the rivals' supply.
    """
    sold = sum(d.volume for d in deals)
    return sold > 0 and sold >= sum(r.remaining for r in rivals)

"""``robust``'s perch for buyers who pass over a cheaper rival: captive demand that buys at once.

Guard 3 (strategies/robust.py) prices requests naming our pool from the book, where they wait
with their max prices once our price is above them. Guard 5's perch sells to the buyers above the
market while the rivals are out of stock. Neither sees captive requesters whose caps are above our
price: they buy at once (never wait in the book) while the rivals stay in stock (the perch's gate
stays shut). Train ``captive_us`` 1021: both categories sat 1 nRLC under the rival for 3 days
(17.4 M and 45.4 M) while the requesters naming our pool would pay 2-10 x the level; the best
fixed prices in hindsight are 4 and 6 x the rival (yardstick 0.68). With the perch's gate forced
open (``perch_out_share = 0``) the same market earns 2 x, but that gate lost elsewhere (item 5).

So the sign the perch waits for is read from the buyers themselves. A sale of ours at a price
above a rival order that was listed before the sale and still holds stock is a buyer who passed
that order over (an order's remaining only falls, so it had stock at the sale): a taker would
have taken the cheaper order. For the perch, rivals that buyers pass over are not in stock for
those buyers (``passed_over``). And since nothing shows such buyers while we are the cheapest, a
**probe** looks for them: after ``captive_probe_seconds`` at the market-led price with rivals in
stock, 15 min at the perch's lowest rung (``perch_low`` x ``portfolio``'s price); two tasks sold
there to buyers who passed a rival over open the perch's gate and its usual descending trial
starts at once. A probe that finds none doubles the wait for the next (6 h, 12 h, 24 h, ...), so
a market without such buyers pays 15 min of its market-led sales now and then.

Pure functions over plain values: robust.py owns the state and calls them. Figures, and what was
tried and not kept: docs/strategies.md, robust item 14.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import BookEntry, Deal, RequestOrderView

__all__ = ["names_pool", "naming", "passed_over"]


def names_pool(
    workerpool: str, requests: Sequence[RequestOrderView], deals: Sequence[Deal]
) -> bool:
    """Whether some buyer named ``workerpool``: a request waiting in the book whose workerpool
    field is ours, or one of our ``deals`` whose matched request order's was (robust item 34).

    The book shows only the captive buyers whose caps are under our price: those above it buy at
    once and are seen only in the deal (train ``captive_us`` 1021: 86 % of the best fixed
    price's revenue, none ever in the book). A deal whose request field is not known (``None``:
    a source that cannot read the match) or is any pool (``ZERO_ADDRESS``) says nothing.
    """
    return any(r.workerpool == workerpool for r in requests) or bool(naming(workerpool, deals))


def naming(workerpool: str, deals: Sequence[Deal]) -> tuple[Deal, ...]:
    """The ``deals`` whose matched request order named ``workerpool``: sales to captive buyers,
    whatever they paid (``None``, not known, and the zero address, any pool, are not)."""
    return tuple(d for d in deals if d.request_workerpool == workerpool)


def passed_over(deals: Sequence[Deal], rivals: Sequence[BookEntry]) -> int:
    """How many tasks of our ``deals`` went to buyers who passed over a cheaper rival in stock.

    ``rivals``: the compatible rival orders listed now. One listed before the deal, cheaper than
    it and holding stock now held stock at the deal (on chain an order's remaining only falls; the
    simulator tops a rival's order up in place, hence the probe's two tasks): a buyer taking the
    cheapest compatible order would have bought there.
    """
    return sum(
        d.volume
        for d in deals
        if any(r.remaining > 0 and r.price < d.price and r.published_at < d.at for r in rivals)
    )

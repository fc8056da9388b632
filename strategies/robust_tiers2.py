"""``robust``'s perch while the rivals are out (doc item 25, issue #14).

On ``undercut_slow`` and ``churn`` markets the best fixed price in hindsight sells the short
category at the top tier of capped buyers (train 1018: 1.81 G nRLC, 54 x the rivals), to the
few who arrive while the small fixed rivals are sold out. ``robust`` undercuts those rivals and
takes their takers first, so they are rarely out and guard 5's gate (rivals out half the time)
stays shut: its perch is never tried. Yet the rivals *are* out now and then (train 1018: 8 % of
the decisions), and a buyer arriving then has no cheaper seller than us: what it pays is then
our price, whatever the rivals ask.

So while every rival of the category is out of stock (the book shows none with stock) and the
offer is market-led, the quote jumps to a high price ``H`` and comes back (a jump) as soon as a
rival restocks. Only a buyer arriving in such a window can buy at ``H``; a buyer under ``H``
then is lost, one the market-led price would have sold at the rivals' last price. ``H`` is found
by a descending search, like guard 5's trial, but its clock runs only inside the windows (their
*exposure*): a level is lowered by ``perch_step_down`` after ``out_tier_seconds`` of exposure
unsold, because the top-tier buyers come rarely (1018: about one an hour, every rival out 8 % of
the time) and a clock in wall time would pass every level before one of them came. A level that
sold is held (its exposure starts again). Under ``perch_low`` x the market-led price (or twice
it) the search is lost, and the next starts from the top after ``out_tier_wait_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["OutTier", "out_tier"]


@dataclass(frozen=True, slots=True)
class OutTier:
    """The search's state: its price (0: none yet), the exposure it has had unsold, whether the
    last quote was at it and every rival was out then, and the earliest next search after a lost
    one."""

    price: int = 0
    exposed: float = 0.0
    on: bool = False
    out: bool = False
    next_at: float = 0.0


def out_tier(
    st: OutTier,
    *,
    now: float,
    dt: float,
    sold_high: bool,
    listed: int | None,
    open_: bool,
    out: bool,
    market: int,
    low: int,
    top: int,
    step_seconds: float,
    step_down: float,
    wait_seconds: float,
) -> tuple[OutTier, int | None]:
    """The next state and the price to quote (None: the market-led price).

    ``dt``: seconds since the last decision (exposure when the last quote was at ``H`` with
    every rival out); ``sold_high``: we sold at ``H`` or above meanwhile; ``listed``: our listed
    price (the rails may have capped the climb: the search then goes on from there); ``open_``:
    the offer is market-led and guard 5 leaves it; ``out``: every rival is out of stock now;
    ``market``: the market-led price; ``low``: the lowest ``H`` worth a window; ``top``: where
    a search starts.
    """
    price, exposed = st.price, st.exposed
    if st.on and price > 0:
        if listed is not None and market < listed < price:
            price = listed  # the rails capped the climb (their ceiling, or one max_jump)
        if sold_high:
            exposed = 0.0
        elif st.out:
            exposed += dt
        if exposed >= step_seconds:
            price, exposed = int(price * step_down), 0.0
    if 0 < price < low:
        # lost: nothing above the market-led level bought in the windows
        return OutTier(0, 0.0, False, False, now + wait_seconds), None
    st = replace(st, price=price, exposed=exposed, out=out)
    if not open_ or not out or now < st.next_at or top <= low:
        return replace(st, on=False), None
    if price <= 0:
        price = top
    return replace(st, price=price, on=True), price

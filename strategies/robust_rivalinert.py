"""``robust``'s requests that never buy, read while our own order is not listed
(``inert_rival_fits``; robust item 100).

Guard 4 (``RobustStrategy._inert``) leaves out of everything the base and the guards read a
request that our *listed* order fits and that is still in the book ``inert_after_seconds`` after
it was published: a requester that posts and waits for a pool to match it, not a buyer of a
posted price. While no order of ours is listed (our one slot busy with a long task, or our
order sold out before its re-sign) that test reads nothing, so on a `publishers` market the book
fills with such requests, and their caps are far above the rivals' price: a cheap order in
stock fitted them for hours and they never bought it. When the slot comes free the base's book
mode prices for them: the first listing sits at the dearest waiting cap and guard 4 then finds
them inert one rails step at a time, each step a re-signed order and a cancel's gas, a descent
that sells to none of them (they do not buy), sometimes followed by a climb on item 19's book
average (train `publishers` 1650: one worker slot shared by XS and a 2.25-hour category 4; 28
waiting XS requests with caps up to 43.4 M against the rival's 4.67 M when the slot came free at
20.02 h, then a listing at 42.83 M, twelve re-signs down to 4.67 M in 15 minutes, one sale, and
a climb to 9.68 M; 20 of the run's 86 cancels in that hour, 48 in the four hours after the slot
came free, where a task sells for 4.67 M and a cancel costs about 2.1 M).

So where the rule is on, a request with no pool restriction that a listed, unrestricted rival
order fits (the rival's price at or under its cap, its tag and trust enough) is inert once it is
``inert_rival_seconds`` old (30 min), as if the fitting order were ours. A buyer of posted orders
would have taken the rival's; one that stays waits for a pool. ``inert_rival_fits`` 1 scopes it
to the offers with no order of ours listed (guard 4's own test reads nothing there); 2, every
offer, lost 2.7 % of the design block. At guard 4's own 2 minutes the rule also fired in short
unlisted spells (both slots busy for minutes: train `stationary` 1261 x 0.971, `undercut_slow`
1005 x 0.994, both paths parting from there); 1650's requests had waited for hours.

Pure: the book in, request hashes out; robust.py owns the state. Figures: docs/strategies.md,
item 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.domain.model import ZERO_ADDRESS, BookEntry, RequestOrderView, pool_order_fits

__all__ = ["rival_fitted"]


def rival_fitted(
    requests: Iterable[RequestOrderView],
    rivals: Sequence[BookEntry],
    now: float,
    after: float,
) -> set[str]:
    """The hashes of ``requests`` (any pool's: no workerpool restriction) at least ``after``
    seconds old that one of the listed, unrestricted ``rivals`` fits: its price at or under the
    request's cap, every bit of the request's tag in its tag and its trust at least the
    request's (module doc)."""
    open_ = [e for e in rivals if e.remaining > 0 and not e.is_restricted]
    out: set[str] = set()
    for r in requests:
        if r.workerpool != ZERO_ADDRESS or now - r.published_at < after:
            continue
        for e in open_:
            if e.price <= r.workerpoolmaxprice and pool_order_fits(r.tag, r.trust, e.tag, e.trust):
                out.add(r.order_hash)
                break
    return out

"""``robust``'s perch trial started where its own buyers' caps vouch for a price (guard 5,
``trial_caps_tasks``; issue #14, robust item 48).

Guard 5's trial starts as high as the rails allow (the market-led price x ``perch_multiple``)
and halves its price each time it went unsold for as long as the market-led price took to sell
``perch_step_tasks`` tasks (15 minutes at least). On markets where small rivals sell out and
the capped buyers' top tier sits 20-60 x over them (train ``churn`` 1306, ``collapse`` 1335),
the trial the demand reading opens (item 41, two prices) spends both prices where no buyer is
(1335: 5.51 G and 2.76 G nRLC, the tier at 415 M) or leaves the tier's price after 15 minutes
(1306: 211 M, under the 343 M tier, unsold 15 minutes while a top-tier buyer came about every
40 minutes with the rivals out), and the reading then stops for good: the offer stays one nRLC
under the rivals for the rest of the run (scores 0.39 and 0.28).

Yet the tier's buyers were our own buyers minutes before: under the rivals we serve every tier,
and each deal carries its buyer's cap (``Deal.request_maxprice``, item 40). So when guard 5's
gate opens a trial and buyers of at least ``tier`` tasks among our deals in the snapshot's
window stated one cap, at or above the trial's floor and under its top, the trial starts at the
highest such cap instead of the top, and that level waits unsold as long as the market-led mode
would take to earn one sale of it (``_paced``, the pace of a perch known to have paid, item 6):
buyers at that price exist, the trial measures whether they come to us above the rivals. Such a
trial is an ordinary one (no read-trial budget; item 41's two prices were for a trial nothing
but the reading backed): it descends, commits or is lost (with its back-off) as any.

**The vouched level as the refine's bound** (``vouch_bound``, item 52; false: off). A vouched
trial that sells at its first price leaves no unsold level above it, so item 29's bound is the
level above it with no evidence (``price / perch_step_down``) and the refine bisects up to it,
each probe unsold for up to a quarter of a trial (train ``collapse`` 1335: 587 M, 494 M and
453 M above the 415 M tier for 4.2 of the 6 hours after its first sale; it sold 3 tasks and
lost its commit check).
Yet the vouched level is the highest cap any buyer of the window stated: a price above it sells
to none of them. So while the perch sits at its vouched level and no buyer of our deals in the
snapshot's window stated a cap above it, its bound is one nRLC above it (``vouched_bound``),
carrying the perch's evidence as item 43's bound does; a buyer who states more lifts it.

**A vouched level the rails capped** (``vouch_climb``, item 55; false: off). A trial's first
price is one deliberate jump (``rails.max_jump``, x 32) from our listed price; a tier 30 x the
market level over a price one nRLC under a rival at half the level is 60 x it, so the rails list
the vouched level at 32 x our price, and robust then took that capped price as the trial's level,
no longer vouched: a read trial (item 41) then spends its 30-minute budget there and one level
under it, and ends (train ``rival_leaves`` 1492: the 637 M tier our buyers stated, listed at
368 M and 184 M for 30 minutes, then 72 h one nRLC under an 11.5 M rival; score 0.35).
Yet one more jump reaches the level. So while the rails still move our listed price up, the
level is kept (``climbs_to``): the next decision's jump reaches it, and it waits its pace there;
where they stop (their ceiling under the level) the trial starts from the listed price as
before. (Keeping that capped price vouched too, as item 51's own capped level is, moved more
markets and lost on train ``rival_leaves`` 1414: the vouched 2,090 M tier over a 1,390 M
ceiling, held an hour at the ceiling twice while the big rival was in stock.)

Pure: deals in, a price out; robust.py owns the state and calls it. Figures and what was tried:
docs/strategies.md, robust items 48, 52 and 55.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_caps import Buyer, tasks_by_cap

__all__ = ["climbs_to", "vouched_bound", "vouched_price"]


def vouched_price(buyers: Sequence[Buyer], floor: int, top: int, tier: int) -> int:
    """The highest cap in ``[floor, top)`` any of ``buyers`` stated, when buyers of at least
    ``tier`` tasks in all stated it; else 0 (also when ``tier`` <= 0: off). A cap one buyer
    stated is that buyer, not a tier of the demand (as ``robust_caps.best_price``'s candidates);
    a lower tier under a cap one buyer stated vouches for nothing: the trial would pre-empt the
    higher tier its descent from the top finds (train ``rival_leaves`` 1037: 436 M twice, 2,610 M
    once, the yardstick's price 2,610 M)."""
    if tier <= 0:
        return 0
    tasks = tasks_by_cap(b for b in buyers if floor <= b.cap < top)
    if not tasks:
        return 0
    high = max(tasks)
    return high if tasks[high] >= tier else 0


def vouched_bound(buyers: Sequence[Buyer], price: int, vouched: int, hi: int) -> int:
    """The refine's unsold bound ``hi`` (0: none) for a perch at ``price`` whose trial started at
    the ``vouched`` level (0: none): one nRLC above ``price`` while it sits at that level and no
    buyer among ``buyers`` stated a cap above it (module doc, item 52); when one did, a bound
    this rule set is dropped (0) as item 43 drops one its caps passed; else ``hi``."""
    if vouched <= 0 or price != vouched:
        return hi
    if any(b.cap > price for b in buyers):
        return 0 if hi == price + 1 else hi
    return price + 1


def climbs_to(listed: int, level: int, seen: int) -> bool:
    """Whether a vouched trial ``level`` the rails listed under, at ``listed``, is kept for the
    next decision's jump to reach (module doc, item 55): while the rails still move us up, past
    the capped price ``seen`` at the last decision (0: none). Where they stop (their ceiling
    under the level), no: the trial starts from the listed price, as without the rule."""
    return seen < listed < level

"""``robust``'s perch gate opened by a top tier of our own buyers far above our undercut price
(guard 5, ``tier_open_multiple``; issue #14, robust item 51).

On ``undercut_slow`` markets robust lists one nRLC under a fixed rival for days in a category
where the capped buyers' top tier sits 20-30 x over it (train extras 1304: 697 XS tasks sold at
about 105 M nRLC, the best fixed price in hindsight 78 tasks at 2.69 G). Those buyers buy from us
because we are the cheapest; the book therefore shows the rivals in stock and guard 5's gate,
a count of the time no rival is in stock, never opens (items 25, 31, 40). Item 48 starts a trial
at the highest cap our buyers stated, but only once the gate opened; item 40 opens the gate from
a replay of the buyers against rivals restocking at an assumed period, and that replay's trials
lost on validation markets whose tier is a few buyers a day or whose rival restocks fast.

This rule reads the caps directly, without the replay: when buyers of at least ``tier`` tasks
among our deals of the window stated one cap at least ``multiple`` x our market-led price (the
highest cap any of them stated in the trial's range, as item 48's ``vouched_price``), a buyer
of that tier pays ``multiple`` sales of ours in one; the trial starts at that cap and measures
whether such buyers come to us above the rivals. robust.py gives it one chance per offer: a
trial it opened that is lost does not open again (its cost is bounded by one trial).
Opt-in on top (``tier_open_replay``, ``replay_pays``): the trial opens only where item 40's replay
of the same buyers against the remembered rivals says the tier's level would have earned more.
Item 54 (``tier_replay_intervals``, ``tier_replay_sold``) makes that replay read each rival's own
restock period where the book showed it (item 44) and compare the level with what our buyers
paid: at item 40's assumed 900 s for all, the gate opened over rivals restocking every 300 s
(train ``stationary`` 1391), and against what our buyers paid it would have stayed shut over a
rival restocking every 3600 s (``undercut_slow`` 1304's 97.1 M).

**An unsold tier trial ends at its level** (``tier_open_ends``, item 57; 2 by default since session
17, 0: off). The tier's trial is an ordinary one: unsold at its level for its pace, it descended
under the tier, to levels neither the tier nor the replay priced, where it sold to our ordinary
buyers and then lost its commit check (train ``stationary`` 1248: the 739 M tier listed at the
rails' 493 M, unsold 1.5 h, then 246.5 M and 123.2 M, sold there, lost six hours later; x 0.92
against main). Under the tier no buyer of it pays more than at the tier, and the rest are the
buyers our undercut already serves one nRLC under the rivals: a level under the tier is guard 5's
own descent, which its gate (shut here) did not ask for. Yet a thin tier unsold for the level's
pace says little: on train ``undercut_slow`` 1005 (a 1,070 M tier of 6 tasks in 12 h, listed at the
rails' 733.8 M, unsold 1.5 h) the descent sold at 183.5 M and its perch then climbed back to
1,037.8 M (x 1.44 against main; ended at the level, x 0.74). So with the key at ``k`` > 0, such a
trial is lost at its level (back to the market-led price, the rule's one chance spent) only where
the tier's buyers came to us, before it, at a rate that would have brought ``k`` tasks in the time
it went unsold (``tier_ends``; 1248: 23 tasks in 7.9 h, 4.4 in the 1.5 h; 1005: 0.8).

Pure: buyers in, a price out; robust.py owns the state and calls it. Figures and what was tried:
docs/strategies.md, robust items 51, 54 and 57.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from strategies.robust_caps import Buyer, earned, rivals_of, tier_pace
from strategies.robust_vouch import vouched_price

__all__ = ["replay_pays", "tier_ends", "tier_opens"]


def tier_opens(
    buyers: Sequence[Buyer], price: int, floor: int, top: int, multiple: float, tier: int
) -> int:
    """The level a trial opened by our buyers' top tier starts at, or 0 (no trial; also when
    ``multiple`` <= 0 or ``tier`` <= 0: off): item 48's vouched cap among ``buyers`` in
    ``[max(floor, multiple x price), top)``. ``price`` is the market-led price we list (our
    undercut), ``floor`` the trial's lowest rung, ``top`` its top."""
    if multiple <= 0 or tier <= 0 or price <= 0:
        return 0
    least = max(floor, math.ceil(multiple * price))
    if least >= top:
        return 0
    return vouched_price(buyers, least, top, tier)


def replay_pays(
    buyers: Sequence[Buyer],
    kept: Mapping[str, Sequence[float]],
    price: int,
    level: int,
    start: float,
    period_s: float,
    *,
    periods: Mapping[str, float | None] | None = None,
    paid: int = 0,
    least: int = 0,
) -> bool:
    """Whether item 40's replay says the tier's level would have earned more than ``price`` from
    the same ``buyers`` against the remembered rivals (``kept``) restocking every ``period_s``
    (``tier_open_replay``): a tier our deals show is no sign the rivals ever run out for its
    buyers (train ``stationary`` 1001: a 33-task tier at 357 M that buys above the rivals only
    in the minutes they are out).

    ``periods`` (item 54, ``tier_replay_intervals``): each rival's own restock period where the
    book showed it (item 44, ``restock_periods``), as item 40's ``rivals_of`` reads them; train
    ``stationary`` 1391's two rivals restock every 300 s, and at 900 s the replay gave the
    1,200 M tier 9.6 RLC where their true periods give 1.2 (our undercut: 6.2).

    ``paid`` (item 54, ``tier_replay_sold``; 0: off): the baseline is what these buyers paid
    us, each of them having bought from us: ``paid`` (the market-led mode's mean price per task
    sold) times their tasks (caps at or above it), not ``price`` replayed against the rivals.
    Replayed, a market-led price that sits above a cheaper rival at the moment of the reading (a
    markup) earns only the minutes that rival was out (train ``stationary`` 1430: 9.41 M over a
    7.53 M rival, 0.075 RLC from 66 tasks our undercut sold for about 0.5), and any tier beats
    it; the price of the moment is no better the other way (1560: a reading at 10.0 M where our
    buyers had paid about 43 M).

    ``least`` (item 54, ``tier_replay_tasks``): the level must also have sold at least that many
    tasks in the replay. One task in the window is one buyer of the tier finding the rivals out,
    a few a day: a trial of a few hours does not see it (train ``publishers`` 1000: one task of
    600 M in 12 h, the trial unsold for 3.8 h and lost; ``undercut_slow`` 1018, ``publishers``
    1013, ``undercut_slow`` 1031 opened on one task too, all lower), while every opening that
    paid read 2 or more (1005, 1022, 1025, 1304)."""
    rivals = rivals_of(kept, period_s, periods)
    base = earned(paid, buyers, (), start) if paid > 0 else earned(price, buyers, rivals, start)
    got = earned(level, buyers, rivals, start)
    return got > base and got >= least * level


def tier_ends(buyers: Sequence[Buyer], level: int, since: float, now: float, least: float) -> bool:
    """Whether a trial our buyers' top tier opened, unsold at its ``level`` since ``since``,
    ends there instead of descending (``tier_open_ends``, item 57; ``least`` <= 0: off): when
    the tier's buyers among ``buyers`` (caps at or above the level, before ``since``) came at a
    rate that brings ``least`` tasks in the time it went unsold. Then the tier came and bought
    from the rivals, and under its level only our undercut's own buyers are left (module doc);
    where the tier is too thin for the wait to say that, the trial descends as before."""
    if least <= 0 or level <= 0 or now <= since:
        return False
    pace = tier_pace(buyers, level, since)
    if pace is None:
        return False
    tier, span = pace
    return span > 0 and tier * (now - since) >= least * span

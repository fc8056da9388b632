"""``robust``'s perch trial: the last rungs of its descent wait at the break-even pace (item 32).

Guard 5's trial (strategies/robust.py) descends from the rails' top, halving its price whenever
it went unsold for as long as the market-led price took to sell ``perch_step_tasks`` (3) tasks,
15 min on a busy market, and is lost once the next level falls under the perch's lowest rung
(max(``perch_low`` x the base, 2 x the price)). Train ``collapse`` 1036 (0.61): the whole gap is
XS before the collapse (32 h; categories 3 and 4 earn exactly the reference's). The reference
sells at 475 M nRLC, the top capped tier's cap (30 x the level, nothing buys between 8 x and
30 x), ~1.7 tasks an hour while the 14.5 M rival is out of stock; robust's two trials (6.3 h,
20.3 h) went 1.1 G, 566 M (above the tier: unsold, rightly), 283 M, 142 M (under it) for 15 min
each and were lost: at 1.7 buyers an hour a 15-min level shows no sale ~65 % of the time.

Item 6's break-even pace (``trial_pace_sales``) holds a level until the market-led mode would
have earned one sale of it: at a level ``q`` a break-even perch then goes unsold with probability
e^-1 whatever ``q``. On every level (``trial_pace_unknown``) it lost on train (-1.9 %): the
levels near the rails' top wait longest (the wait grows with ``q``) and sit above every buyer.
The last rungs are the cheap ones (their wait is a few of the market-led mode's sales) and the
likely ones (a buyer above the market pays a few x to a few tens of x it). So only a level
within ``trial_pace_rungs`` halvings of the lowest rung is paced (``paced_rung``), and with
``trial_out_clock`` its unsold clock runs only while no rival is in stock: the top tier's buyers
take the rival's cheap stock first, so on 1036 a level saw them only about half of its time.
Both opt-in (off: main exactly): 1036 0.61 -> 0.76, but the same rule lands other trials on a
lower tier or on a perch whose commit check then fails (train ``churn`` 1007 x 0.71,
``undercut_fast`` 1004 x 0.79).

**The scout** (``captive_scout``, ``scout_rung``). Train ``captive_us`` 1021 (0.68): 86 % of the
reference's revenue comes from requesters naming our pool who buy at once at our undercut price
(never waiting in the book), and no request ever named us, so item 14's probe never runs. Where
no request named us, the scout quotes ``captive_scout`` x the market-led price (just above the
rival) for ``captive_scout_seconds``: the takers buy the rival's few tasks, and two tasks sold to
buyers who passed the rival over mark the offer (``q_found``) and open the perch as item 14's
probe does. Opt-in: 1021 0.68 -> 1.42, but the scout's hours move the paths of markets without
captive buyers (``undercut_fast`` 1004 x 0.48, ``surge`` 1022 x 0.61).

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what was
tried and not kept: docs/strategies.md, robust item 32.
"""

from __future__ import annotations

__all__ = ["paced_rung", "scout_rung"]


def paced_rung(level: int, lowest: int, *, down: float, rungs: int) -> bool:
    """Whether a trial ``level`` is one of the last ``rungs`` of its descent: ``rungs`` more
    steps down (x ``down`` each) would take it under ``lowest``, the rung where the trial is
    lost. ``rungs`` 0: off (no level is)."""
    return rungs > 0 and level * down**rungs < lowest


def scout_rung(price: int, multiple: float) -> int:
    """The scout's price: ``multiple`` x the market-led ``price`` (one nRLC under the rival), at
    least one nRLC above it, so that a sale there went to a buyer who passed the rival over."""
    return max(price + 2, round(price * multiple))

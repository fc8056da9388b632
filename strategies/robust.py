"""``robust``: ``portfolio``'s per-offer logic, plus the guards it lacks on markets it has not seen.

``portfolio`` (the base) prices each offer by what it faces: the request book, the cheapest rival
(undercut by one nRLC), or a Thompson learner when alone. It fails in three kinds of market
(issue #14), plus one it was never shown (requests that never buy); this strategy adds one
mechanism for each, and a fifth for rival-less hours, every one driven by what the snapshot
shows, not by a scenario's numbers:

1. **A rival that follows us faster than we follow it** (it reprices within our own period,
   always one step under us). Undercutting it is a race we lose at every price: it re-undercuts
   before a requester arrives. Sign: while contested, the share of decisions at which one
   rival pool is under the price we meant to be cheapest at (an exponential average per pool,
   ``follow_smoothing``) exceeds ``follow_share`` (several slower undercutters each under us
   part of the time are a price war, which undercutting wins). Then the offer tries two other *postures*, each for
   ``probe_seconds``, and keeps whichever earned most per hour (our own deals) among
   ``war`` (the base: keep undercutting), ``floor`` (one nRLC under the lowest price a rival
   posted in ``memory_seconds``: an undercutter stops following at its floor, and jumps back up)
   and ``hold`` (ignore the follower: undercut the cheapest *other* rival and sell what the
   follower leaves). The choice is revisited every ``commit_seconds`` by probing again: a
   follower that left, or a floor that moved, is found again. The ``floor`` posture descends
   deliberately (``follow_stride``, strategies/robust_undercut.py): a step of 10 % under a
   follower each time it answered the last one, held where it stops following; and any cut
   under the cheapest rival that the planner's deadband would keep above it goes just past the
   band (``cross_band``). Since session 18 (items 58 and 62, strategies/robust_held.py; on by
   default): a book-mode price held one step under the cheapest rival is the rivals' and guard 1
   prices it too (``follow_book_held``), and a committed ``floor`` that ``war`` would quote anyway
   is not re-measured (``follow_still``) while its slots earn what the other offers' do
   (``follow_still_yield``).
2. **Scarcity, and rivals too small to set the price**: a markup ``m >= 1`` multiplies the
   contested price (and the book logic's, with ``markup_on_book``). Every
   ``markup_interval_seconds``, while the market is short (rivals out of stock in at least
   ``rivals_out_share`` of recent decisions: what they sell does not cover demand) and the last
   interval sold something, ``m`` is raised by ``markup_up`` **on trial**: if the next interval
   sells nothing or earns less per hour than the one before, less ``markup_tolerance``, the raise
   is undone and the next trial waits twice as long as the last (an exponential back-off). While
   the market is not short ``m`` falls by ``markup_down`` per interval: a rival with stock takes
   the buyers of a price above it. It settles where raising stops paying - at capacity when the
   pool sells out, at the revenue-best price of the demand the rivals leave otherwise.
   ``scarce_utilization`` / ``idle_utilization`` (0: off) can also require a busy pool for
   trials and lower ``m`` on an idle one.
3. **Captive demand**: requests naming our pool, waiting in the book with their max prices.
   Competitors do not serve them, so their price is ours to find. Every ``captive_interval_seconds``
   the captive price ``c`` is re-chosen from what the last interval showed: the tasks sold to
   requesters seen naming our pool (in the book, or in a deal of ours: ``captive_deal_buyers``;
   they paid ``c``, so would pay any lower price) and the
   waiting requests' max prices (what the cheaper candidates would add). The candidate of highest
   estimated revenue (``price x min(sold + waiting at or above it, capacity)``) wins; when it is
   ``c`` itself and something sold, ``c`` is raised by ``captive_step`` (explore upward: the
   captive requesters that no longer pay wait in the book and reveal their max price, and the
   next interval comes back down to the best of them). The quote is the larger of ``c`` and the
   contested price. Captive evidence expires after ``memory_seconds``. And when the quote sits
   above captive requests waiting in the book (the markup above their max prices, say), they
   are *harvested*: once, at their best common floor, they would pay ``captive_harvest_cancels``
   cancels, the quote comes down to that floor, a rails step a tick (a descending auction that
   sells each at about its max price), and goes back up once nothing worth it waits.
4. **Requests that never buy**: a request our listed order fits (its max price at or above ours,
   compatible), still in the book ``inert_after_seconds`` later, waits for a pool to match it
   (``iexec app request-execution``); a posted price never sells to it. Such requests are left
   out of everything the base and the guards read, so the book logic does not price for them.
   Opt-in (``inert_rival_fits``, item 100, strategies/robust_rivalinert.py; 0: off): a request a
   listed rival order fits is judged the same way once ``inert_rival_seconds`` old (30 min; 1:
   where no order of ours is listed, our slots busy or our order sold out; 2: everywhere).

5. **A perch far above the market** (``perch_trial_seconds``; 0: off). Rivals that list a task
   or two per reprice are out of stock much of the time; every buyer arriving then buys from us
   at any price up to its cap, and a few caps are far above the rivals' level, so the best
   fixed price in hindsight is often either near the rivals or far above them. Per offer, an
   explore-then-commit choice between the two modes, on revenue per hour net of cancel gas:
   after ``perch_wait_seconds`` of the market-led price, while rivals were out of stock at
   ``perch_out_share`` of the time (a slow, time-based count: a regime, not a restock) and the
   markup has not already taken the price to ``perch_low`` x portfolio's, a **trial** quotes
   the market-led price x ``perch_multiple`` (the rails cap it: their ceiling, or one
   ``max_jump``) and halves it whenever it went unsold for as long as the market-led price took
   to sell ``perch_step_tasks`` (a descending auction for the highest cap present), giving up
   below ``perch_low`` x portfolio's price. A price that sells is held for
   ``perch_trial_seconds``; the perch is then **committed** only if the lower confidence bound
   of its revenue per hour (Poisson on its sales, ``perch_confidence``; the round trip's two
   cancels charged) beats the market-led mode's mean; a lost trial doubles the wait for the
   next. A committed perch is held 12 h (twice the trial), then the market-led price is
   measured afresh for a trial's length and the two compared again (a confirmed perch is held
   twice as long each time); rivals back in stock (the slow count below half of
   ``perch_out_share``) end it at once. Perches and the way back are deliberate jumps
   (``Quote.jump``: one re-signed order each way within the rails' ``max_jump``). While
   perched, the markup's state is frozen (its trials judge the market the rivals make).
   With ``check_margin`` a perch still leading the market-led mode by that margin is held on
   without the check (strategies/robust_shift.py).

   Where it sits (``strategies/robust_ladder.py``): a perch that sold is probed upward by
   bisection between its price and the trial's last unsold level (``perch_refine``: halving
   lands up to 2 x under a cap tier); while a trial or a perch runs its price is quoted even
   over a market-led price above it (``perch_hold_quote``: the base's book logic reads the
   perch's own deals); and a check ends after ``check_early_seconds`` once the market-led
   mode's upper bound is under the perch's lower bound. The bisection's unsold bound carries
   its evidence (``strategies/robust_bound.py``, ``perch_bound_sales``): a committed perch
   probes it again while it went unsold for fewer than that many of the perch's sales.

   Buyers who pass over a cheaper rival in stock (``captive_probe_seconds``, 0: off;
   ``strategies/robust_captive.py``): on a market where some request named our pool (in the
   book, or the request a deal of ours matched: ``captive_deals``), rivals
   such buyers pass over do not count as in stock for the perch, a probe at the perch's lowest
   rung looks for them while we are the cheapest, and the harvest (guard 3) sells the captive
   requests waiting under the quote before the perch is quoted again.

   ``perch_demand_seconds`` (on since item 41: 1 h) lets the perch's count of rivals out of
   stock read the demand they could not have served while we undercut them (the category's
   deals against their restocks and stock), a trial only it opened judged by how it ends
   (``perch_read_rungs``, ``perch_read_seconds``). Opt-in (off by default; train figures in
   docs/strategies.md, they lose on some markets): ``perch_step_down`` makes a trial's descent
   finer than halving.
   ``book_base_seconds`` (on: 2 h) has the markup multiply an average of the book mode's
   price, in categories whose book is of requests that wait rather than buy
   (``book_wait_share``; ``strategies/robust_book.py``). ``tier_horizon_seconds`` (1 day) lets
   a committed perch's refine go finer than ``perch_refine`` while one more probe pays over the
   perch's expected sales (``strategies/robust_tier.py``); ``trial_listed_all`` times every
   trial level only while an order of ours is listed, ``perch_first_wait_seconds`` starts an
   offer's first trial sooner (2 h; item 21, on since item 29);
   ``perch_first_strict`` lets it start only if the rivals' out-of-stock share passes its gate
   when it falls due (item 28: spares 1004, opt-in). Item 29 (on) makes the early trial safe:
   ``perch_probe_apart`` judges the perch's commit and checks on its own price's time (the refine's
   unsold probes left out), ``perch_capped_bound`` gives a trial that sold at its first price a
   bound above it to refine towards, and ``perch_bound_renew`` judges the refine's unsold bound
   again at each renewal of the perch's hold, at the perch's rate then. ``trial_extend_seconds``
   lets a trial whose mean leads but whose lower bound does not run on instead of being lost at 6
   h, and ``trial_floor_lowest`` (on) judges a descent against the lowest floor it saw (item 30:
   ``strategies/robust_gate.py``; guard 5's single runs move by x 0.2-0.7 under 10-minute nudges).
   Where the book waits (item 19's test) the first trial falls due after ``waits_first_seconds``
   (2 h; a no-op while ``perch_first_wait_seconds`` is no later) if that share passes its gate
   then (item 33, ``strategies/robust_publishers.py``: train ``publishers`` 1026's first
   hours). ``check_queue_ends`` ends a check that queues the pool back at the perch
   (item 33, opt-in: train ``surge`` 1022 up, most other markets down). ``early_lost_free``
   lets an early first trial lost before ``perch_wait_seconds`` leave the usual first trial's
   time as the next trial's, without the back-off (item 35, opt-in: train ``stationary`` 1469,
   ``ample`` 1132). ``refine_band`` keeps
   the refine's probes where the planner lists them and leaves them again, out of its deadband
   (item 36, opt-in, ``strategies/robust_band.py``: a probe 1 % over a busy perch is otherwise
   kept at the perch's price and read unsold). ``caps_window_seconds`` (item 40, opt-in,
   ``strategies/robust_caps.py``) replays our own buyers' caps (``Deal.request_maxprice``) of
   that window against the rivals, assumed to restock every ``caps_period_seconds``: on guard
   7's steady market, a cap that would have earned ``caps_margin`` x the market-led price's
   revenue opens a trial while our undercut keeps the gate shut. ``caps_restock_intervals``
   (item 44, opt-in, ``strategies/robust_restock.py``) gives each rival there the period the
   book showed between its restocks instead, and ``caps_restock_unseen`` says what a rival
   never seen to sell out does in the replay.
   kept at the perch's price and read unsold). ``perch_read_rungs`` and ``perch_read_seconds``
   judge a trial that only ``perch_demand_seconds``'s reading opened by how it ends: unsold at
   its first prices (or for its time budget), it ends without a back-off, the reading stops for
   the offer and the count goes back to the book's own (item 41, on with the reading: 2 prices,
   30 minutes; ``strategies/robust_read.py``).
   ``perch_caps_tasks`` (item 43, on: 3; ``strategies/robust_caps.py``'s ``perch_at_caps``)
   moves a perch that sells to the best cap its buyers stated (a cap stated by buyers of that many
   tasks: a tier), and its refine's bound to one nRLC above it when none stated more: the tier
   the refine would approach by probes, read from the caps instead. On since session 29
   (``perch_caps_kept``, item 105, ``strategies/robust_keptvouch.py``; false: off): where the
   book waits, item 43 reads the buyers kept over the perch's half-life, not the snapshot's
   hour (train ``publishers`` 1364: a tier buying every 1-2 h never showed it 3 tasks in an
   hour).
   ``perch_tier_tasks`` (item 50, opt-in; 0: off; ``strategies/robust_tierstart.py``) brings a
   trial's unsold level above every tier our buyers stated down to the highest one: a level
   above it sells to none of them.

6. **Rivals that come and go** (``perch_rejoin_seconds``; 0: off). What buyers above the market
   pay does not change when a rival enters or leaves: a committed perch's price is remembered,
   and when rivals are out of stock again a trial starts at once at that price (no wait, no
   descent from the top), held at the break-even pace (``trial_pace_sales``: until the market-led
   mode would have earned that many sales of it; ``trial_listed_clock``: only time with an
   order of ours listed counts, as a full pool lists none and no buyer could have bought at the
   price meanwhile). A rejoined trial that loses, or a check the perch fails with rivals still
   out, forgets it.

7. **A steady market** (``anchor_steady_seconds``; 0: off). Rivals posting fixed prices sell
   out and restock; the base follows whichever is in stock (up to the next rival, or down to
   the book's stray caps when none is) and back at the restock: a cancel per round trip and
   the buyers lost in between, where the best fixed price in hindsight is one nRLC under the
   cheapest rival in stock most of the time, held. Once every rival pool seen in
   ``anchor_memory_seconds`` has kept its price ``anchor_steady_seconds``, while the markup is
   off and the pool is not busy (smoothed utilization under ``anchor_busy``), the base's
   contested or book-led price is replaced by the anchor: one ``step`` under the lowest rival
   in stock at least ``anchor_in_share`` of the time (a book price above it, for requests
   waiting there, is kept). Opt-in (``anchor_perch_held``, item 59, strategies/robust_anchor.py;
   false: off): the shares are held while our order sits at a perch, whose hours drain the
   small pools we would otherwise undercut.
   Opt-in (``anchor_near_ratio``, item 90, strategies/robust_near.py; 0: off): a steady pool
   priced at least that x the anchor's setter sets the anchor whatever its share (our price
   above it drains it at each restock).
   Opt-in (``anchor_pay_factor``, item 93, strategies/robust_payoff.py; 0: off): a steady pool
   under the setter whose share failed sets the anchor where the tasks its restocks list, at
   its price, pay for the margin given up on what we sell at the setter's level.

A **slot-yield floor** (``slot_yield_share``; 0, the default: off): while the pool runs busy, no
offer sells a slot-second for less than the pool's other categories earned per slot-second in
the last hour (a long category sold at the rivals' level can fill the pool while a short one is
perched far above them).

**A slot kept for a short category** (``reserve_share``; 0, the default: off; item 45,
strategies/robust_reserve.py): a long category that earns less per slot-second than a shorter
one the pool has lately had no room for (``reserve_shut`` of the time) lists no more than the
pool's slots less ``reserve_slots``, less the tasks it holds: its tasks stop filling the pool
and its queue in front of the short category's buyers.

**Surges** (strategies/robust_surge.py): while the pool is queued (``perch_slot_busy``), an offer at
its market-led price sells a task for no less than another category's committed perch earns per
second x the task's run time (``perch_slot_share``: the perch sales its slot turns away), that run
time counted only as long as the queue now lasts (``perch_slot_drain``); a queue of
``perch_busy_open`` x the slots opens the perch's gate as if rivals were out of stock (our own
undercut keeps them in stock, and hides the demand the perch waits for); so does a pool queued
``perch_surge_busy`` x its slots whose rivals the markup's fast count sees sold out
(``perch_surge_out``, item 53, on since session 17: a surge's start, an hour or two before the slow
count), unless one cap holds most of our window's tasks and at least ``perch_surge_campaign_tasks``
of them (``perch_surge_campaign``, items 56 and 60, on: a campaign's burst, whose one buyer pays no
more). With ``surge_wait_seconds`` (item 77, on since session 24; strategies/robust_surgewait.py)
such a reading after none for that long also makes guard 5's next trial due now, from the last level
a trial sold at.

**An unsold bound** (strategies/robust_scarce.py, ``unsold_sales``): with the markup on, the
lowest market-led price we listed since our last sale becomes an upper bound once nothing sold for
as long as the recent sales rate takes to sell ``unsold_sales`` tasks (at least
``unsold_least_seconds``); the marked-up quote is held under it until a sale at the bound or
``unsold_seconds`` pass (the markup multiplies a base, the book price, that moves x 2-3 between
decisions, and carried the quote above the one cap tier that paid it).

**The market's big supplier leaves** (strategies/robust_leaves.py, ``leaves_window_seconds``; 0:
off): a rival pool that was in stock most of the time and listed most of the rivals' stock, gone
for ``leaves_gone_seconds``, opens a window in which the perch reads the demand the remaining
rivals could not serve, probes whether they sell out with us above them (``leaves_probe_seconds``)
and paces every trial level (we undercut the rivals that stay, so they never run out and the
perch would never open); the pool back closes it.

**No rival seen for hours** (strategies/robust_alone.py, ``perch_alone``, on; false: off): the
base then prices the offer alone (its Thompson learner); a perch whose price sold is held while
it still pays, instead of ending and leaving the offer to the learner's arms, which know nothing
of its sales.

**Where our own buyers' caps vouch for a price** (strategies/robust_vouch.py,
``trial_caps_tasks``, 2, on; 0: off): a trial guard 5's gate opens starts at the highest cap a
tier of our buyers of the last hour stated (under the rivals we serve every tier, and each deal
carries its buyer's cap) instead of the rails' top, and that level waits its break-even pace.
Once it sold, the refine's bound is that level + 1 while no buyer stated more (``vouch_bound``,
item 52, on; false: off): above it, none of the window's buyers buys. Opt-in (``vouch_climb``,
item 55, false: off): a vouched level the rails listed under (one ``max_jump`` over our price) is
kept while they still move our price up, so the next jump reaches it, instead of the trial
starting, unvouched, from the capped price.
On since session 17 (strategies/robust_tieropen.py, ``tier_open_multiple``, 10; 0: off; item
51): where the gate stays shut by our own undercut a whole wait after its trial fell due, such a
tier at least that multiple of our price opens a trial at its cap, once per offer, bounded at
that level + 1 once it sold. Its replay gate (``tier_open_replay``, on) asks item 40's replay
whether the tier would have earned more; item 54 (``tier_replay_intervals``,
``tier_replay_sold``, on) gives that replay each rival's own restock period where the book
showed it and what our buyers paid as its baseline. Item 57 (``tier_open_ends``, 2, on; 0: off)
ends such a trial unsold at its level, instead of its descent under the tier, where the tier's
own rate of buyers says they came and bought from the rivals.
Opt-in (``tier_open_unsold``, item 61, strategies/robust_measured.py; false: off): such a trial
is not opened at a level at or above a price a lost trial of the offer already listed unsold.
On (item 63, ``tier_moving_extend_seconds``, 21,600 s; 0: off; strategies/robust_moving.py): the
tier opens where a rival pool keeps repricing too (guard 7 never calls such a market steady),
and a trial it opened that is inconclusive at its end runs on that long (item 30's rule).
On (item 71, ``tier_undercut_share``, 0.75; 0: item 63 alone; strategies/robust_stepunder.py):
item 63's opening where the market is not steady only where at least that share of the rivals'
recent reprices stepped under our price (undercutters, not a walker), its extension only for
such a trial.
Opt-in (item 66, ``tier_hold_tasks``, 0: off; strategies/robust_hold.py): a guard-5 trial level
that buyers of our deals stated a cap at or above waits, unsold, for the tier's own pace (until
their rate brings that many tasks), through the rivals' return too, not the market-led price's.
Opt-in (item 67, ``tier_settled_tasks``, 0: off; strategies/robust_hold.py): such a held level
that sold is kept through the rivals' return while the tier's next sale is not due; once due
it ends as before (it sold: no back-off).
Opt-in (item 69, ``slot_vouched_share``, 0: off; strategies/robust_slotvouch.py): a guard-5 trial
at the level our buyers vouched for, not sold yet, counts in item 17's slot floor at that share of
the level x its tier's pace (before, only a level that sold set a floor).
On (item 104, ``open_vouched_tasks`` 4, since session 29; 0: off; strategies/robust_opening.py):
an offer's first guard-5 trial opens at once, gate open, when its buyers of the perch's
half-life named one cap over the perch's lowest rung for that many tasks, none named more and
one rails jump reaches it (item 48's start), not after ``perch_first_wait_seconds`` (train
``collapse`` 1335: six XS buyers named 415 M in its first 1.1 h, sold at 14.2 M).
On (item 80, ``perch_return_checked``, since session 24; false: off;
strategies/robust_checkheld.py): a committed perch that a check confirmed against the
market-led price as it is now is held through the rivals' return while its sales rate less
``perch_return_z`` deviations still beats the market-led mean (item 68's test,
``robust_checkheld.return_pays``): after a demand collapse the rivals stay in stock longer
because fewer buyers empty them.
Opt-in (item 74, ``markup_gas_cancels``, 0: off; strategies/robust_markupgas.py): guard 2's raise
trial starts only where its best case over the trial (the raise x the last interval's earnings)
pays that many cancels' gas, except in a category whose book waits (the markup smooths its price).
On (item 79, ``check_confidence`` 0, since session 24; negative: off;
strategies/robust_checkz.py): at the end of a committed perch's check, in a category whose book
waits (``check_confidence_waits``), the perch's rate is taken less that many deviations instead of
``perch_confidence``'s (0: its mean).

A **churn hold** (``raise_horizon_seconds``): a raise of the base's own price is held at our
listed price unless ``(new - listed) x`` the tasks our cheaper orders still hold, at most the
tasks sold in the last ``raise_horizon_seconds``, pays one cancel per cheaper order (following a
rival up each time it sells out and back down when it restocks costs a cancel per round trip).
The guards' raises are not held: they are trials that pay or are undone.
Opt-in (item 73, ``cut_gas_factor``, 0: off; strategies/robust_cutgas.py): on a market whose
rivals' reprices are mostly steps under our price (item 71's share), a cut of the base's price
under our listed one is held there while what it wins before a rival steps under us again
(the stock the rivals hold under our price, sold at our own recent rate) is under that many times
the gas of the dearer orders of ours it cancels (following an undercutter down cancels every
small order the slot holds).
Opt-in (item 76, ``follow_cut_factor``, 0: off; strategies/robust_floorprobe.py): on such a
market a cut that wins less than that many times its cancels' gas opens guard 1's probe (its
floor posture is the best fixed price where the undercutter resets from its floor), where a probe
sees two of the rivals' steps under us, and the round commits on sales net of re-sign gas.
Opt-in (item 78, ``follow_floor_share`` and ``hold_taken_tasks``, 0: off;
strategies/robust_warfloor.py): a floor posture committed on such a market goes back to war once
it falls under that share of its first price (it follows the undercutters down), and a hold
(item 73's held cut, a committed hold posture) is given up where the rivals under our held price
sold that many tasks an hour of holding (a restocking undercutter takes the buyers).
On by default since session 28 (item 92, ``follow_passed_share`` 0.5; 0: off;
strategies/robust_passed.py): the decisions
at which the base passes over a small undercutter (an order of one task, of a pool that
reprices) listed under our price are averaged as guard 1's share is; at that share, where a
probe expects a sale at our recent rate, guard 1's probe opens; the round and the posture it
commits to are judged net of re-sign gas, and a floor it commits goes back to war under 0.75 x
the war's listed price at the round's start.
Opt-in (item 94, ``gas_stop_seconds``, 0: off; strategies/robust_gasstop.py): a stop-loss over
all of the above: once an offer's re-signs' gas (decayed with that half-life) reaches four
cancels and exceeds 3 x its decayed sales plus four tasks at the listed price (judged once the
book covers that long), its listed price is held for that long (train
``undercut_fast`` 10000 ends at -1.20 RLC after gas at main's defaults: 638 cancels, 13 tasks).

On since session 25 (item 84, ``follow_still_quiet``; strategies/robust_quietfloor.py): guard 1's
round over a committed floor posture is also put off while no rival pool has been under our price
lately (undercutters that reset park above a floor under theirs; a round's war probe brings them
back down). On since session 25 too: item 83 (``surge_lost_free``,
robust_surgewait.surge_sold_ends), a trial item 77's surge start opened that sold and that the
rivals' return ends keeps the schedule the start found; item 85 (``check_return_held``,
strategies/robust_checkreturn.py), where the book waits the rivals' return does not end a
committed perch's check (our market-led price in the check keeps them in stock).

Opt-in with it (item 88, ``follow_quiet_back``, false: off): such a quiet floor is raised to one
nRLC under the follower's own lowest price of the round (guard 1's stride lands up to 10 % under
it), tried again lower if the follower comes back under us.

A **cost floor** (``cost_per_slot_hour``, nRLC, 0 = none) keeps every quote at or above the
cost of the slot time one task takes (its learned run time, ``task_seconds`` before any is
learned). Raises are gated by their cancel gas in the rails (factor 1:
bot.pricing.rails.gate_raise).

State (JSON, typed by :class:`OfferMemory`): ``{"base": portfolio's state, "offers": {key:
memory}, "inert": [request hashes], "named": a request named our pool, "watch": {request hash:
category} our order fits, "tally": {category: [bought, waited]}, "tally_at": its time}``.

When to use it: the default. It is ``portfolio`` where none of the seven signs shows (same
quotes: the guards only move a price once their evidence is there), and where one shows it
prices by the measured outcome rather than by the cheapest rival.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Literal, cast

from bot.domain.errors import InputError
from bot.domain.model import BookEntry, Deal, Quote
from bot.pricing.ledger import offer_capacity
from bot.pricing.rails import DEFAULT_CANCEL_GAS_COST_NRLC, DEFAULT_MAX_JUMP, MAX_JUMP
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies.base import (
    MAX_PRICE,
    Decision,
    State,
    Strategy,
    param,
    quote_for,
    replace,
    state_dict,
    under,
)
from strategies.competitive import CompetitiveParams, relevant_competitors
from strategies.portfolio import PortfolioParams, PortfolioStrategy
from strategies.robust_alone import held_alone
from strategies.robust_anchor import in_share_weight
from strategies.robust_band import band_probe, band_ratio
from strategies.robust_book import book_waits, smoothed_log, sold_to, tally
from strategies.robust_bound import bound_step, weak_bound
from strategies.robust_burst import burst, pace
from strategies.robust_caps import (
    READ_EVERY_S,
    Buyer,
    buyers_of,
    caps_trial,
    kept_buyers,
    perch_at_caps,
    remember,
    remember_rivals,
)
from strategies.robust_captive import names_pool, naming, passed_over
from strategies.robust_checkheld import checked_hold, return_pays
from strategies.robust_checkreturn import check_runs_on
from strategies.robust_checkz import check_z
from strategies.robust_cutgas import (
    cut_cancels,
    cut_gain,
    cut_pays,
    step_interval,
)
from strategies.robust_floorprobe import gas_judged, steps_seen
from strategies.robust_gasstop import BOOK, book_add, resign_gas, stopped
from strategies.robust_gate import trial_floor, trial_runs_on
from strategies.robust_held import earned_rate, floor_pays, held_under, still_floor
from strategies.robust_hold import settled_holds, tier_holds
from strategies.robust_kept import Kept
from strategies.robust_keptvouch import waiting_buyers
from strategies.robust_ladder import Probe, check_decided, lower_rate
from strategies.robust_leaves import probe_step, track_exits
from strategies.robust_markupgas import trial_pays
from strategies.robust_measured import measured, unsold_level
from strategies.robust_moving import tier_extend, tier_gate_open
from strategies.robust_near import near_setters
from strategies.robust_opening import opening_level
from strategies.robust_passed import (
    PASSED_DRAG,
    decayed_tasks,
    moved_within,
    passed_share,
    passes_small,
    probe_sells,
)
from strategies.robust_payoff import hour_sold, level_reading, pay_setters, restock_rate
from strategies.robust_posture import (
    floor_price,
    kept_in_a_row,
    net_best,
    posture_hold,
    resign_charge,
    stretch_add,
)
from strategies.robust_publishers import bound_rate, waits_first
from strategies.robust_quietfloor import (
    QUIET_BACK_TRIES,
    follower_low,
    quiet_back,
    quiet_floor,
)
from strategies.robust_read import markup_clock_runs, read_opened, read_unsold
from strategies.robust_reserve import reserve_volumes, shut_share
from strategies.robust_restock import ROW as RESTOCK_ROW
from strategies.robust_restock import (
    UNSEEN,
    pool_stock,
    restock_periods,
    restocked_at,
    watch_restocks,
)
from strategies.robust_rivalinert import rival_fitted
from strategies.robust_scarce import Unsold, unsold_step
from strategies.robust_shift import check_due
from strategies.robust_slotvouch import vouched_rate
from strategies.robust_stepunder import (
    UNDERCUT_SHARE,
    count_steps,
    decayed_steps,
    steps_under_us,
)
from strategies.robust_surge import campaign, perch_slot_floor, queued, surged
from strategies.robust_surgewait import (
    surge_sold_ends,
    surge_start,
    surge_starts,
    wait_cut,
)
from strategies.robust_tier import (
    capped_bound,
    early_lost_due,
    hold_renewed,
    own_price_ev,
    probe_seconds,
    strict_first,
    tier_ratio,
)
from strategies.robust_tieropen import replay_pays, tier_ends, tier_opens
from strategies.robust_tierstart import tier_level
from strategies.robust_undercut import (
    cheapest_by_pool,
    cross_band,
    mover_under,
    steady_pools,
    stride_under,
    track_moves,
)
from strategies.robust_vouch import climbs_to, vouched_bound, vouched_price
from strategies.robust_warfloor import floor_near, hold_starved, stock_watch, taken_under

__all__ = ["OfferMemory", "RobustParams", "RobustStrategy"]

Posture = Literal["war", "floor", "hold"]
POSTURES: tuple[Posture, ...] = ("war", "floor", "hold")
PerchMode = Literal["market", "trial", "perch", "check"]
PERCH_MODES: tuple[PerchMode, ...] = ("market", "trial", "perch", "check")
_MAX_CAPTIVE_REQUESTERS = 64
_PROBE_TASKS = 2  # sales to buyers who passed a rival over that open the perch after a probe


@dataclass(frozen=True, slots=True)
class RobustParams:
    # the follower guard
    follow_share: float = param(
        0.6, min=0.05, max=1.0, doc="out-followed when a rival is under our price this often"
    )
    follow_smoothing: float = param(
        0.05, min=0.001, max=1.0, doc="EWMA weight of one decision in the undercut share"
    )
    probe_seconds: float = param(
        2400.0, min=60.0, max=86400.0, doc="how long each posture is tried when out-followed"
    )
    commit_seconds: float = param(
        6 * 3600.0, min=60.0, max=7 * 86400.0, doc="how long the best posture is kept"
    )
    memory_seconds: float = param(
        6 * 3600.0,
        min=60.0,
        max=30 * 86400.0,
        doc="how long a rival's low or captive demand counts",
    )
    # scarcity
    scarce_utilization: float = param(
        0.0, min=0.0, max=5.0, doc="markup trials only while smoothed utilization is >= this"
    )
    idle_utilization: float = param(
        0.0, min=0.0, max=5.0, doc="lower the markup while smoothed utilization is < this"
    )
    markup_up: float = param(0.25, min=0.0, max=4.0, doc="relative markup rise per interval")
    markup_down: float = param(0.15, min=0.0, max=0.9, doc="relative markup fall per interval")
    rivals_out_share: float = param(
        0.3, min=0.0, max=1.0, doc="raise only when rivals were out of stock this often"
    )
    markup_on_book: bool = param(True, doc="the markup also multiplies the book logic's price")
    markup_tolerance: float = param(
        0.05, min=0.0, max=1.0, doc="a raise is undone if revenue per hour fell by more than this"
    )
    max_markup: float = param(50.0, min=1.0, max=1000.0, doc="highest markup over the base price")
    markup_interval_seconds: float = param(
        1200.0, min=60.0, max=86400.0, doc="seconds between markup steps"
    )
    markup_gas_cancels: float = param(
        0.0,
        min=0.0,
        max=1000.0,
        doc="item 74: a markup raise is tried only where its best case over one interval,"
        " (e^up - 1) x the last interval's earnings, reaches this many cancels' gas (cancel_cost)"
        " (0: off, main 8b54e27; robust_markupgas.trial_pays)",
    )
    util_smoothing: float = param(0.1, min=0.01, max=1.0, doc="EWMA weight of a utilization read")
    # captive demand
    captive_step: float = param(
        0.2, min=0.0, max=4.0, doc="relative raise of the captive price when all of it sells"
    )
    captive_interval_seconds: float = param(
        1800.0, min=60.0, max=86400.0, doc="seconds between captive price steps"
    )
    # requests that never buy
    inert_after_seconds: float = param(
        120.0,
        min=0.0,
        max=86400.0,
        doc="a request our listed order fits, still there after this: inert",
    )
    inert_rival_fits: int = param(
        0,
        min=0,
        max=2,
        doc="item 100: a request a listed rival order fits, still there after inert_after_seconds,"
        " is inert too: 1 for offers with no order of ours listed, 2 for all (0: off)",
    )
    inert_rival_seconds: float = param(
        1800.0,
        min=0.0,
        max=86400.0,
        doc="item 100: with inert_rival_fits, the age a request a rival fits must reach (0:"
        " inert_after_seconds)",
    )
    # the perch (guard 5)
    perch_trial_seconds: float = param(
        6 * 3600.0,
        min=0.0,
        max=7 * 86400.0,
        doc="how long a perch is tried once its price sold (0: the perch is off)",
    )
    perch_out_share: float = param(
        0.5,
        min=0.0,
        max=1.0,
        doc="try a perch only while rivals were out of stock this often (left below half)",
    )
    perch_out_seconds: float = param(
        2 * 3600.0,
        min=60.0,
        max=7 * 86400.0,
        doc="time constant of the perch's own count of rivals out of stock (slow: a regime)",
    )
    perch_wait_seconds: float = param(
        6 * 3600.0,
        min=60.0,
        max=30 * 86400.0,
        doc="market-led evidence before the first trial; the wait after a lost one (doubling)",
    )
    perch_multiple: float = param(
        1000.0,
        min=2.0,
        max=1e6,
        doc="a trial's first perch price, x the market-led price (the rails' ceiling caps it)",
    )
    perch_low: float = param(
        4.0,
        min=1.0,
        max=1000.0,
        doc="lowest perch price, x portfolio's (rival-led) price; no trial once the markup is there",
    )
    perch_step_tasks: float = param(
        3.0,
        min=0.5,
        max=1000.0,
        doc="a perch price is halved after as long as the market-led price took to sell this many",
    )
    perch_confidence: float = param(
        1.0, min=0.0, max=5.0, doc="z of the perch's lower revenue bound (Poisson on its sales)"
    )
    perch_half_life_seconds: float = param(
        12 * 3600.0, min=60.0, max=30 * 86400.0, doc="half-life of both modes' evidence"
    )
    # costs and churn
    cancel_cost: int = param(
        DEFAULT_CANCEL_GAS_COST_NRLC,
        min=0,
        max=MAX_PRICE,
        doc="gas of one cancel, for the churn hold and the perch (set from rails.cancel_gas_cost)",
        unit="nRLC",
    )
    raise_horizon_seconds: float = param(
        3600.0,
        min=0.0,
        max=7 * 86400.0,
        doc="a raise must pay its cancel from what sold in this span (0: off)",
    )
    cost_per_slot_hour: int = param(
        0, min=0, max=MAX_PRICE, doc="never quote below this x a task's run hours", unit="nRLC"
    )
    # the base (portfolio's) contested side
    step: int = param(1, min=0, max=MAX_PRICE, doc="undercut step in nRLC", unit="nRLC")
    floor: int = param(1_000_000, min=0, max=MAX_PRICE, doc="never undercut below", unit="nRLC")
    # captive demand: selling the waiting requests down to their revealed max prices
    captive_harvest_cancels: float = param(
        20.0,
        min=0.0,
        max=10_000.0,
        doc="come down to sell waiting captive requests once they pay this many cancels (0: off)",
    )
    # competitor-side regime shifts (a rival leaves, churns, demand collapses): the perch's pace
    trial_pace_sales: float = param(
        1.0,
        min=0.0,
        max=100.0,
        doc="a perch trial's price waits until the market-led mode earned this many sales of it"
        " (0: off, perch_step_tasks of the market-led price's own sales)",
    )
    trial_pace_unknown: bool = param(
        False,
        doc="the pace also holds prices no perch has paid at yet (false: only a rejoined perch's)",
    )
    trial_listed_clock: bool = param(
        True,
        doc="a rejoined perch's trial price waits unsold only while an order of ours is listed"
        " (every level's with trial_pace_unknown; false: the clock also runs while the pool had"
        " no free slot to list one)",
    )
    perch_rejoin_seconds: float = param(
        48 * 3600.0,
        min=0.0,
        max=30 * 86400.0,
        doc="rivals out of stock again within this of a committed perch: its price is tried at"
        " once (0: off, every trial waits and descends from the top)",
    )
    # the perch (guard 5): demand the rivals could not serve, read while we undercut them
    perch_demand_seconds: float = param(
        3600.0,
        min=0.0,
        max=7 * 86400.0,
        doc="time constant of the market's deals and the rivals' restocks read by the perch's"
        " count of rivals out of stock (0: off, the count reads only what the book shows)",
    )
    perch_step_down: float = param(
        0.5,
        min=0.05,
        max=0.95,
        doc="a perch trial's unsold price is multiplied by this (a descending auction's step)",
    )
    # capacity shared by categories of different task lengths
    slot_yield_share: float = param(
        0.0,
        min=0.0,
        max=10.0,
        doc="no offer sells a slot-second for less than this x what the pool's other categories"
        " earned per slot-second in the last hour (0: off)",
    )
    slot_yield_busy: float = param(
        0.8,
        min=0.0,
        max=5.0,
        doc="the slot-yield floor holds only while the pool's smoothed utilization is >= this",
    )
    # the steady-market anchor (guard 7)
    anchor_steady_seconds: float = param(
        2 * 3600.0,
        min=0.0,
        max=7 * 86400.0,
        doc="anchor under the lowest rival once no rival repriced for this long (0: off)",
    )
    anchor_memory_seconds: float = param(
        2 * 3600.0,
        min=60.0,
        max=7 * 86400.0,
        doc="a steady rival out of stock still sets the anchor while seen this recently",
    )
    anchor_in_share: float = param(
        0.5,
        min=0.0,
        max=1.0,
        doc="only a rival in stock at least this share of the time sets the anchor",
    )
    anchor_in_seconds: float = param(
        3600.0, min=60.0, max=7 * 86400.0, doc="time constant of each rival's in-stock share"
    )
    anchor_busy: float = param(
        0.9,
        min=0.0,
        max=5.0,
        doc="no anchor while the smoothed utilization is at least this (nothing to sell it to)",
    )
    anchor_near_ratio: float = param(
        0.0,
        min=0.0,
        max=1.0,
        doc="item 90 (strategies/robust_near.py): a steady rival priced at least this x the"
        " anchor's setter sets the anchor whatever its in-stock share (0: off)",
    )
    anchor_pay_factor: float = param(
        0.0,
        min=0.0,
        max=100.0,
        doc="item 93 (strategies/robust_payoff.py): a steady rival under the anchor's setter"
        " whose share failed sets the anchor where (its price - step) x (our tasks of the last"
        " hour + its restocks' tasks an hour) is at least this x (the setter - step) x our tasks"
        " (0: off, main 74e06d6 exactly)",
    )
    gas_stop_seconds: float = param(
        0.0,
        min=0.0,
        max=7.0 * 86400.0,
        doc="item 94 (strategies/robust_gasstop.py): once an offer's re-signs' gas, decayed with"
        " this half-life, reaches 4 cancels and exceeds 3 x its decayed sales plus 4 tasks at the"
        " listed price (judged once the book covers this long), its listed price is held (no"
        " re-sign) for this long (0: off, main 77794dd exactly)",
    )
    # a committed perch after a regime shift (strategies/robust_shift.py)
    check_margin: float = param(
        2.0,
        min=0.0,
        max=1000.0,
        doc="a perch earning this x the market-led mode is held on without a check, unless the"
        " market-led price rose by this factor since its commit (0: off, every hold is checked)",
    )
    # where the perch sits and how soon it knows (guard 5's ladder, strategies/robust_ladder.py)
    perch_refine: float = param(
        1.1,
        min=0.0,
        max=4.0,
        doc="a perch that sells is probed upward (bisection) until the lowest unsold price is"
        " within this ratio of it (0 or 1: off)",
    )
    perch_refine_tasks: float = param(
        2.0,
        min=0.5,
        max=100.0,
        doc="a refine probe waits unsold as long as the perch took to sell this many tasks",
    )
    perch_hold_quote: bool = param(
        True,
        doc="a trial's or perch's price is quoted even under a market-led price above it (the"
        " base's book logic reads the perch's own deals; captive prices still win)",
    )
    check_early_seconds: float = param(
        3600.0,
        min=0.0,
        max=7 * 86400.0,
        doc="a check ends early, back at the perch, after this once the market-led mode's upper"
        " bound is under the perch's lower bound (0: off, the whole trial's length)",
    )
    # guard 1's floor posture: a descending probe under the follower (strategies/robust_undercut)
    follow_stride: float = param(
        0.1,
        min=0.0,
        max=0.5,
        doc="the floor posture steps this far under the follower each time it followed"
        " (0: off, one nRLC under the lowest rival seen)",
    )
    cross_band: float = param(
        0.02,
        min=0.0,
        max=0.5,
        doc="a cut under the cheapest rival, listed at or above it, goes this far under the listed"
        " price: the planner's deadband would keep the order above the rival (0: off; from a"
        " config, the owner's rails.deadband unless set here)",
    )
    max_jump: float = param(
        DEFAULT_MAX_JUMP,
        min=1.0,
        max=MAX_JUMP,
        doc="how far one deliberate jump moves our listed price (item 104's first trial opens only"
        " at a tier one jump reaches; from a config, the owner's rails.max_jump unless set here)",
    )
    # guard 5's gate read from buyers who pass over a cheaper rival (strategies/robust_captive.py)
    captive_probe_seconds: float = param(
        21600.0,
        min=0.0,
        max=30 * 86400.0,
        doc="market-led time with rivals in stock before a probe at the perch's lowest rung for"
        " buyers who pass a cheaper rival over (doubling after one nobody did; 0: off, and such"
        " buyers neither open the perch nor keep the harvest from it)",
    )
    # rivals that move (strategies/robust_undercut.py): see every rival; anchor past movers
    outlier_ratio: float = param(
        0.0,
        min=0.0,
        max=1.0,
        doc="rivals priced under this x the median rival are ignored (0: every paid rival counts;"
        " 0.2: portfolio's filter, which hid an undercutter that followed us down)",
    )
    anchor_moving_above: bool = param(
        True,
        doc="a rival repricing above the anchor's rival leaves the anchor on (false: any rival"
        " that repriced turns it off)",
    )
    follow_keep_book: bool = param(
        True,
        doc="guard 1's follower record survives a decision priced by the book logic while rivals"
        " are in view (false: it is forgotten, and found again only after a war's worth of cuts)",
    )
    # the refine's unsold bound carries its evidence (strategies/robust_bound.py)
    perch_bound_sales: float = param(
        3.0,
        min=0.0,
        max=100.0,
        doc="the refine's lowest unsold price is probed again until it went unsold for as long as"
        " the perch sells this many tasks (0: off, an unsold window is an upper bound for good)",
    )
    # the markup over a steady book price (strategies/robust_book.py)
    book_base_seconds: float = param(
        7200.0,
        min=0.0,
        max=7 * 86400.0,
        doc="in the book mode the markup multiplies the book price averaged over this time"
        " constant, where the book waits (book_wait_share; 0: off, its latest value)",
    )
    book_wait_share: float = param(
        0.4,
        min=0.0,
        max=1.0,
        doc="book_base_seconds applies only in categories where requests seen waiting (our"
        " order fitted them) are at least this share of them and the tasks buyers took from us"
        " (0: no test, everywhere: loses on scarcity markets)",
    )
    book_wait_least: int = param(
        3,
        min=1,
        max=1000,
        doc="book_wait_share needs at least this many requests seen waiting in the category",
    )
    # a perch's slots (strategies/robust_surge.py): a long category pays for the slot it displaces
    perch_slot_share: float = param(
        1.0,
        min=0.0,
        max=10.0,
        doc="on a saturated pool, no offer at its market-led price sells a slot-second for less"
        " than this x another category's committed perch price per slot-second (0: off)",
    )
    perch_slot_busy: float = param(
        1.0,
        min=0.0,
        max=10.0,
        doc="the perch's slot floor holds only while the pool's smoothed utilization (backlog"
        " included) is >= this",
    )
    perch_slot_drain: bool = param(
        True,
        doc="item 20: the perch's slot floor charges a slot only while the pool's queue now"
        " (utilization - 1, backlog included) is expected to last, at most the task's run time"
        " (false: the whole run time while the smoothed utilization is high, item 17)",
    )
    perch_busy_open: float = param(
        5.0,
        min=0.0,
        max=100.0,
        doc="a pool whose smoothed utilization (backlog included) is >= this opens the perch's"
        " gate as if rivals were out of stock (0: off)",
    )
    # a thin perch's unsold bound (strategies/robust_publishers.py)
    perch_bound_z: float = param(
        1.0,
        min=0.0,
        max=5.0,
        doc="perch_bound_sales counts the unsold bound's time at the perch's sales rate less this"
        " many Poisson deviations (0: off, the plain rate)",
    )
    perch_bound_waits: bool = param(
        True,
        doc="perch_bound_z applies only in categories where the book waits (book_wait_share);"
        " false: in every category",
    )
    # a market-led price nobody bought is an upper bound (strategies/robust_scarce.py)
    unsold_sales: float = param(
        6.0,
        min=0.0,
        max=100.0,
        doc="item 23: with the markup on, the lowest price listed since our last sale is an upper"
        " bound for the market-led quote once nothing sold for as long as the offer's sales rate"
        " takes to sell this many tasks (0: off)",
    )
    unsold_seconds: float = param(
        21600.0,
        min=60.0,
        max=7 * 86400.0,
        doc="item 23: an unsold bound is forgotten after this (and the sales rate's time constant)",
    )
    unsold_least_seconds: float = param(
        3600.0,
        min=60.0,
        max=86400.0,
        doc="item 23: the shortest window a price must go unsold to be an upper bound",
    )
    # the market's big supplier leaves (strategies/robust_leaves.py)
    leaves_window_seconds: float = param(
        2 * 86400.0,
        min=0.0,
        max=30 * 86400.0,
        doc="after the market's big steady supplier left, this long the perch reads the demand"
        " the remaining rivals could not serve and paces every trial level (0: off)",
    )
    leaves_share: float = param(
        0.8,
        min=0.0,
        max=1.0,
        doc="a rival pool in stock at least this share of the time is steady (its exit: a shift)",
    )
    leaves_stock_share: float = param(
        0.5,
        min=0.0,
        max=1.0,
        doc="a rival pool whose largest stock is at least this share of all the rivals' is the"
        " market's big supplier",
    )
    leaves_gone_seconds: float = param(
        2 * 3600.0,
        min=60.0,
        max=7 * 86400.0,
        doc="a rival pool unseen this long left; the time constant of its in-stock share",
    )
    leaves_demand_seconds: float = param(
        3600.0,
        min=0.0,
        max=7 * 86400.0,
        doc="time constant of the perch's demand reading in the window after a big supplier left"
        " (0: no reading)",
    )
    leaves_probe_seconds: float = param(
        3600.0,
        min=0.0,
        max=86400.0,
        doc="in the window after a big supplier left, with rivals in stock, quote the"
        " perch's lowest rung this long: rivals out perch_out_share of it open a trial (0: off)",
    )
    # how fine the refine goes (strategies/robust_tier.py)
    tier_horizon_seconds: float = param(
        86400.0,
        min=0.0,
        max=30 * 86400.0,
        doc="item 21: the refine bisects finer than perch_refine while one more probe pays: its"
        " cost (perch_refine_tasks sales) under the gain over the perch's sales in this time"
        " (0: off, perch_refine as is)",
    )
    trial_listed_all: bool = param(
        True,
        doc="item 21: every trial level's unsold clock runs only while an order of ours is"
        " listed (false: only a rejoined perch's price, trial_listed_clock)",
    )
    perch_first_wait_seconds: float = param(
        7200.0,
        min=0.0,
        max=7 * 86400.0,
        doc="item 21: market-led time before an offer's first perch trial (0: off,"
        " perch_wait_seconds; the waits after a lost trial are unchanged)",
    )
    perch_first_strict: bool = param(
        False,
        doc="item 28: the early first trial (perch_first_wait_seconds) starts only if the"
        " rivals' out-of-stock share already passes perch_out_share when it is due; else the"
        " first wait is perch_wait_seconds (false: off, the share may pass later)",
    )
    waits_first_seconds: float = param(
        2 * 3600.0,
        min=0.0,
        max=7 * 86400.0,
        doc="item 33: in a category where the book waits (book_wait_share), the first perch"
        " trial starts this long after the offer was first seen if the rivals' out-of-stock"
        " share passes perch_out_share then (else as before) (0: off)",
    )
    check_queue_ends: bool = param(
        False,
        doc="item 33: a perch's check ends back at the perch once the market-led price queues"
        " the pool (perch_busy_open, item 17's evidence of buyers above it) (false: off)",
    )
    perch_probe_apart: bool = param(
        True,
        doc="item 29: the commit and check judge the perch on its own price's time: the refine"
        " probes that went unsold are left out of it (false: off, their time counts as the"
        " perch's)",
    )
    perch_capped_bound: bool = param(
        True,
        doc="item 29: a trial that sold at its first price takes the level above it (over"
        " perch_step_down) as an unsold bound without evidence, so the refine probes upward"
        " (false: off, no bound, no refine)",
    )
    perch_bound_renew: bool = param(
        True,
        doc="item 29: the refine's unsold bound is judged again (perch_bound_sales) at the"
        " perch's rate each time a committed perch's hold is renewed (false: off, only at the"
        " commit and when a probe ends)",
    )
    # a trial whose commit check is inconclusive runs on (strategies/robust_gate.py)
    trial_extend_seconds: float = param(
        0.0,
        min=0.0,
        max=7 * 86400.0,
        doc="item 30: a settled trial whose mean rate leads the market-led mode's but whose lower"
        " bound does not is judged at every decision for up to this long after"
        " perch_trial_seconds: committed once the bound passes, lost once the mean trails (0: off)",
    )
    trial_floor_lowest: bool = param(
        True,
        doc="item 30: a trial's descent is lost under the lowest floor (perch_low x portfolio's"
        " price, or twice the market-led one) seen since it started (false: the floor now)",
    )
    captive_deals: bool = param(
        True,
        doc="item 34: a deal of ours whose request order named our pool marks the market as"
        " named, as a request naming it in the book does (false: off, only the book's requests)",
    )
    captive_deal_buyers: bool = param(
        True,
        doc="item 34: a buyer whose deal with us named our pool is a captive requester for guard"
        " 3's captive price, as one seen waiting in the book is (false: off, only the book's)",
    )
    early_lost_free: bool = param(
        False,
        doc="item 35: an early first trial (perch_first_wait_seconds, waits_first_seconds) lost"
        " before perch_wait_seconds from the offer's first sight leaves the usual schedule: the"
        " next trial falls due then, with no back-off (false: off, a lost trial backs off)",
    )
    refine_band: bool = param(
        False,
        doc="item 36: the perch's refine never probes inside the planner's deadband (cross_band,"
        " the owner's rails.deadband): it stops once the bound is that close, and a midpoint"
        " inside it moves just out of it, where the order is re-signed (false: off)",
    )
    # our own buyers' caps (Deal.request_maxprice) replayed against the rivals (robust_caps.py)
    caps_window_seconds: float = param(
        0.0,
        min=0.0,
        max=7 * 86400.0,
        doc="item 40: the buyers' caps of our deals in this trailing window, replayed against the"
        " rivals cheaper than a price (caps_period_seconds), open a perch trial at the best cap"
        " when it beats the market-led price by caps_margin, while the perch's gate is shut"
        " (0: off)",
    )
    caps_period_seconds: float = param(
        900.0,
        min=60.0,
        max=86400.0,
        doc="item 40: the restock period assumed for every rival (its listed volume, topped up"
        " this often): the book cannot show it while we undercut the rival",
    )
    caps_margin: float = param(
        1.5,
        min=1.0,
        max=100.0,
        doc="item 40: the estimate at the best cap must beat the market-led price's by this ratio",
    )
    caps_tier_tasks: int = param(
        3,
        min=1,
        max=1000,
        doc="item 40: a cap is a candidate price once buyers of this many tasks stated it",
    )
    caps_restock_intervals: int = param(
        0,
        min=0,
        max=1000,
        doc="item 44: a rival whose book showed this many intervals between its restocks (its"
        " remaining at a price rising again) is replayed at the shortest of them, not at"
        " caps_period_seconds (0: off, every rival at caps_period_seconds)",
    )
    caps_restock_wait: bool = param(
        False,
        doc="item 44: each rival's period read as the longest wait from a sale of it to its next"
        " restock (a lower bound: the pool did not reprice in between) instead of the shortest"
        " interval between two restocks (an upper bound, a whole number of periods)",
    )
    caps_restock_unseen: str = param(
        "assumed",
        choices=UNSEEN,
        doc="item 44: a rival whose period the book has not shown: 'assumed' restocks every"
        " caps_period_seconds, 'stocked' never runs out (no trial over it), 'fastest' takes the"
        " shortest period seen for any rival of the offer (else 'stocked')",
    )
    perch_read_rungs: int = param(
        2,
        min=0,
        max=20,
        doc="item 41: a perch trial only the demand reading (perch_demand_seconds) opened, the"
        " book's own out-of-stock count under the gate, that sold at none of its first this many"
        " prices ends with no back-off, the reading stops for the offer and the count goes back"
        " to the book's own (0: off, such a trial descends as any)",
    )
    perch_read_seconds: float = param(
        1800.0,
        min=0.0,
        max=86400.0,
        doc="item 41: such a read trial (perch_read_rungs) that sold nothing this long after it"
        " opened ends the same way, before its rungs run out (0: no time limit)",
    )
    perch_read_markup: bool = param(
        False,
        doc="item 42: the scarcity markup's clock runs through a read trial still unsold"
        " (perch_read_rungs), its state frozen as during any trial (off: the clock frozen too,"
        " so the markup's next step falls a full interval after the trial ended)",
    )
    perch_caps_kept: bool = param(
        True,
        doc="item 105 (acts only with perch_caps_tasks): in a category whose book waits"
        " (robust_book.book_waits), item 43's perch_at_caps reads our buyers of the last"
        " perch_half_life_seconds (the kept c_buyers) instead of the snapshot's deals window (an"
        " hour) (on since session 29; false: off, main e84804e exactly;"
        " robust_keptvouch.waiting_buyers)",
    )
    perch_caps_tasks: int = param(
        3,
        min=0,
        max=1000,
        doc="item 43: a perch that sells (a settled trial or committed) moves to the best cap its"
        " buyers of the last perch_half_life_seconds stated, among caps stated by buyers of at"
        " least this many tasks, and its refine's unsold bound to just above it when none stated"
        " more (robust_caps.perch_at_caps; 0: off)",
    )
    reserve_share: float = param(
        0.0,
        min=0.0,
        max=1.0,
        doc="item 45: an offer whose price per slot-second is under this share of a shorter"
        " offer's that sold perch_step_tasks tasks in the last perch_half_life_seconds and was"
        " turned away (reserve_shut) lists no more than the pool's slots less reserve_slots,"
        " less the tasks the capped categories hold: its long tasks no longer fill the pool"
        " and its queue in front of the better-paying category's buyers"
        " (robust_reserve.reserve_volumes; 0: off)",
    )
    reserve_slots: int = param(
        1,
        min=0,
        max=1000,
        doc="item 45: the slots the offers capped by reserve_share leave to the others",
    )
    reserve_shut: float = param(
        0.1,
        min=0.0,
        max=1.0,
        doc="item 45: reserve_share caps an offer only for a better-paying category the pool had"
        " no room for this share of the recent time (a decayed share, halving every"
        " perch_out_seconds), for perch_half_life_seconds after the share last reached it",
    )
    perch_alone: bool = param(
        True,
        doc="item 47: a perch whose price sold (committed, or a trial that sold) is held while"
        " the base prices the offer alone (no rival seen for rival_memory_seconds) and its lower"
        " revenue bound beats the market-led mode's mean, instead of ending"
        " (robust_alone.held_alone; false: off, main ee5b131, every perch ends when alone)",
    )
    perch_return_checked: bool = param(
        True,
        doc="item 80: a committed perch that a check confirmed (its hold doubled past the"
        " commit's) is held through the rivals' return to stock while item 68's test"
        " (robust_checkheld.return_pays, perch_return_z) still holds; a trial and a perch never"
        " checked end as before (on since session 24; robust_checkheld.checked_hold; false: off,"
        " main b59ba91)",
    )
    check_return_held: bool = param(
        True,
        doc="item 85: in a category whose book waits (robust_book.book_waits), the rivals' return"
        " to stock does not end a committed perch's check: it runs to its end and is judged by"
        " its own test (on since session 25; false: off, main 73768e6;"
        " robust_checkreturn.check_runs_on)",
    )
    check_confidence: float = param(
        0.0,
        min=-1.0,
        max=10.0,
        doc="item 79: at a committed perch's check's end, its sales rate is taken less this many"
        " Poisson deviations (not perch_confidence's) before it is compared with the market-led"
        " mode's mean (on at 0 since session 24; negative: off, main b59ba91; 0: the perch's"
        " mean; robust_checkz.check_z)",
    )
    check_confidence_waits: bool = param(
        True,
        doc="item 79 (acts only with check_confidence >= 0): only in a category whose book waits"
        " (robust_book.book_waits; false: every category)",
    )
    perch_return_z: float = param(
        1.0,
        min=0.0,
        max=10.0,
        doc="item 68 (acts with perch_return_checked, item 80): the Poisson deviations taken off"
        " the perch's sales rate before it is compared with the market-led mode's mean at the"
        " rivals' return (1: the commit's own test; 0: the perch's mean)",
    )
    war_mover_seconds: float = param(
        0.0,
        min=0.0,
        max=86400.0,
        doc="item 46: while contested, a rival order listed whole (remaining = volume) by a pool"
        " that repriced within this is undercut whatever its size: the base's war rule"
        " (portfolio war_min_volume) passes over orders under 2 tasks as last tasks, but a fast"
        " undercutter lists 1 task a period; a pool's first price is no move"
        " (0: off; robust_undercut.mover_under)",
    )
    follow_hold_max: float = param(
        0.0,
        min=0.0,
        max=30 * 86400.0,
        doc="item 46: guard 1's committed posture is kept commit_seconds, doubled after each"
        " re-measure in a row that chose the posture it re-measured, up to this (0: off, every"
        " commit_seconds; robust_posture.posture_hold)",
    )
    perch_tier_tasks: int = param(
        0,
        min=0,
        max=1000,
        doc="item 50: a perch trial's price not yet sold is brought down to the best cap our"
        " buyers of the last perch_half_life_seconds stated, among caps stated by buyers of at"
        " least this many tasks, when it sits above it (robust_tierstart.tier_level; 0: off)",
    )
    follow_gas: bool = param(
        False,
        doc="item 49: guard 1's posture rates are net of our re-signs' gas: each change of our"
        " listed price while a posture runs costs it cancel_cost (false: off, main 4bf24e6,"
        " sales only; robust_posture.resign_charge)",
    )
    trial_caps_tasks: int = param(
        2,
        min=0,
        max=1000,
        doc="item 48: a perch trial guard 5's gate opens starts at the highest cap (under its top,"
        " at or above its floor) that buyers of this many tasks among our deals of the snapshot's"
        " window stated, instead of the rails' top, paced as a known perch, outside a read trial's"
        " budget (0: off, main 4bf24e6; on since the helper's proposal;"
        " robust_vouch.vouched_price)",
    )
    trial_caps_kept: bool = param(
        True,
        doc="item 82 (acts only with trial_caps_tasks): in a category whose book waits"
        " (robust_book.book_waits), item 48's vouched trial start reads our buyers of the last"
        " perch_half_life_seconds (the kept c_buyers) instead of the snapshot's deals window"
        " (on since session 24; false: off, main 4ab16c0; robust_keptvouch.waiting_buyers)",
    )
    tier_open_multiple: float = param(
        10.0,
        min=0.0,
        max=1e6,
        doc="item 51: guard 5's gate, shut by our own undercut on a steady market, opens a trial"
        " at the highest cap our buyers of the last perch_half_life_seconds stated when buyers of"
        " tier_open_tasks tasks stated it and it is at least this multiple of the market-led"
        " price; once per offer: a trial it opened that is lost does not open again (0: off,"
        " main 394dbe7; robust_tieropen.tier_opens)",
    )
    tier_open_tasks: int = param(
        6,
        min=1,
        max=1000,
        doc="item 51 (acts only with tier_open_multiple): the tasks our buyers of the last"
        " perch_half_life_seconds must have bought at the cap that opens the trial (a tier a"
        " trial can see)",
    )
    tier_open_replay: bool = param(
        True,
        doc="item 51 (acts only with tier_open_multiple): the trial opens only where item 40's"
        " replay of our buyers of the last perch_half_life_seconds against the remembered"
        " rivals (restocking every caps_period_seconds) says the level would have earned more"
        " than our price (false: off; robust_tieropen.replay_pays; lead, session 15)",
    )
    tier_moving_extend_seconds: float = param(
        21600.0,
        min=0.0,
        max=7 * 86400.0,
        doc="item 63 (acts only with tier_open_multiple): item 51's tier opens on a market whose"
        " rival pools keep repricing too (not only on guard 7's steady one; its replay still"
        " judges), and a trial it opened that is inconclusive at perch_trial_seconds runs on for"
        " up to this long (item 30's rule, at least trial_extend_seconds) (0: off;"
        " robust_moving)",
    )
    tier_undercut_share: float = param(
        UNDERCUT_SHARE,
        min=0.0,
        max=1.0,
        doc="item 71 (acts only with tier_moving_extend_seconds): item 63's tier opens on a"
        " market that is not steady only where at least this share of the rivals' recent"
        " reprices (decayed, half-life anchor_steady_seconds) stepped under our listed price"
        " from at or above it (undercutters, not a walker), and its extension is for a trial"
        " opened on such a market only (0: off, item 63 as it is; robust_stepunder)",
    )
    cut_gas_factor: float = param(
        0.0,
        min=0.0,
        max=100.0,
        doc="item 73: on a market whose rivals' reprices mostly step under our price (item 71's"
        " share), the market-led price's cut under our listed price is held while what it"
        " wins before a rival steps under us again (the rivals' stock under us, at the"
        " category's deal rate) is under this many times the gas of the cancels it causes (our"
        " dearer orders) (0: off, main 8b54e27; robust_cutgas)",
    )
    follow_cut_factor: float = param(
        0.0,
        min=0.0,
        max=100.0,
        doc="item 76: on a market whose rivals' reprices mostly step under our price (item 71's"
        " share), a cut of the base's price under our listed one that wins less than this many"
        " times the gas of its cancels (item 73's reckoning) opens guard 1's probe where a probe"
        " sees two of the rivals' steps under us, its postures judged net of their re-signs'"
        " gas as with follow_gas (0: off, main f5f9db9; robust_floorprobe)",
    )
    follow_floor_share: float = param(
        0.0,
        min=0.0,
        max=1.0,
        doc="item 78 (acts only with follow_cut_factor): a floor posture guard 1 commits to on a"
        " market of undercutters goes back to war once its price falls under this share of its"
        " first price (it follows the undercutters down) (0: off, main b59ba91;"
        " robust_warfloor)",
    )
    hold_taken_tasks: float = param(
        0.0,
        min=0.0,
        max=1000.0,
        doc="item 78: the tasks the rivals under our held price sold while we held (item 73's"
        " held cut, guard 1's hold posture) are counted with the time held, decayed over"
        " anchor_steady_seconds; where they sold this many an hour of it or more (a restocking"
        " undercutter takes the buyers), item 73 makes the cut and a committed hold posture"
        " (item 76's market of undercutters) goes back to war (0: off, main b59ba91;"
        " robust_warfloor)",
    )
    follow_passed_share: float = param(
        0.5,
        min=0.0,
        max=1.0,
        doc="item 92: the decisions at which the base's quote passes over a rival order of fewer"
        " than 2 tasks, of a pool that repriced in memory_seconds, listed under our listed price"
        " are averaged at follow_smoothing; at this share (in war, guard 1's own share under"
        " follow_share, a task a probe at our recent rate) guard 1's probe opens (not inside a"
        " war a round committed to); the round is judged net of its re-signs' gas as with"
        " follow_gas and a floor it commits goes back to war under 0.75 x the war's listed price"
        " at its start (0: off, main 74e06d6 exactly; 0.5 by default since session 28;"
        " robust_passed)",
    )
    tier_replay_intervals: int = param(
        2,
        min=0,
        max=1000,
        doc="item 54 (acts only with tier_open_replay): item 51's replay gives each rival the"
        " shortest interval between its restocks the book showed, once it showed this many"
        " (item 44's watch; caps_restock_unseen and caps_restock_wait as for item 44), not"
        " caps_period_seconds (0: off, every rival at caps_period_seconds)",
    )
    tier_replay_sold: bool = param(
        True,
        doc="item 54 (acts only with tier_open_replay): the replay's baseline is what our buyers"
        " of the window paid (each bought from us: the market-led mode's mean price per task"
        " times their tasks), not our price of the moment replayed against the rivals, which a"
        " markup above a cheaper rival makes near nothing (false: off, replayed)",
    )
    tier_replay_tasks: int = param(
        2,
        min=0,
        max=1000,
        doc="item 54 (acts only with tier_open_replay): the tier's level must also sell at least"
        " this many tasks in the replay (one is one buyer finding the rivals out, too rare for a"
        " trial to see) (0: off, any gain)",
    )
    tier_open_ends: float = param(
        2.0,
        min=0.0,
        max=1000.0,
        doc="item 57 (acts only with tier_open_multiple): a trial our buyers' top tier opened,"
        " unsold at its level (the tier's cap, or the rails' cap under it) for its pace, is lost"
        " there instead of descending under the tier, where the tier's buyers of the last"
        " perch_half_life_seconds came to us at a rate that brings this many tasks in the time"
        " it went unsold (0: off, main 3f8cba3; robust_tieropen.tier_ends)",
    )
    tier_hold_tasks: float = param(
        0.0,
        min=0.0,
        max=1000.0,
        doc="item 66: a trial level unsold for its pace still waits while the buyers of our deals"
        " of the last perch_half_life_seconds who stated a cap at or above it (at least"
        " robust_hold.HOLD_LEAST_TASKS tasks) came at a rate that brings fewer than this many"
        " tasks in the time it went unsold (0: off, main c0ea741; robust_hold.tier_holds)",
    )
    tier_settled_tasks: float = param(
        0.0,
        min=0.0,
        max=1000.0,
        doc="item 67 (acts only on levels tier_hold_tasks held): the rivals' return does not"
        " end a trial settled (sold) at a level item 66 held while the buyers of our deals of"
        " the last perch_half_life_seconds who stated a cap at or above it (at least"
        " robust_hold.HOLD_LEAST_TASKS tasks) came at a rate that brings fewer than this many"
        " tasks since the level's last sale; once due, it ends as before (0: off, main"
        " 5508568; robust_hold.settled_holds)",
    )
    tier_open_unsold: bool = param(
        False,
        doc="item 61 (acts only with tier_open_multiple): item 51 does not open a trial at a"
        " level at or above the lowest price a lost trial of the offer listed unsold (its last"
        " level when it ended for want of a sale; a buyer of the tier would have bought there):"
        " that trial measured the tier already (false: off, main 14593de;"
        " robust_measured.measured)",
    )
    vouch_bound: bool = param(
        True,
        doc="item 52: a perch at the level its trial's buyers vouched for (trial_caps_tasks) takes"
        " one nRLC above it as the refine's unsold bound, with the perch's evidence, while no"
        " buyer of our deals in the snapshot's window stated a cap above it (false: off, main"
        " 394dbe7; on since the helper's proposal; robust_vouch.vouched_bound)",
    )
    perch_surge_out: float = param(
        0.9,
        min=0.0,
        max=1.0,
        doc="item 53: on a saturated pool (smoothed utilization, backlog included, >="
        " perch_surge_busy) whose rivals the markup's fast count (rivals_out) sees out of stock at"
        " least this often, guard 5's slow count is raised to its gate: a surge the slow count"
        " would see an hour or two late (0: off, main 394dbe7; 0.9 on by default since session 17,"
        " item 60: robust_surge.surged)",
    )
    perch_surge_busy: float = param(
        2.0,
        min=0.0,
        max=100.0,
        doc="item 53: the pool's smoothed utilization (backlog included) perch_surge_out needs:"
        " 2, every slot busy and as many tasks waiting",
    )
    vouch_climb: bool = param(
        False,
        doc="item 55: a trial level our buyers vouched for (trial_caps_tasks, tier_open_multiple)"
        " that the rails listed under it (one max_jump over our price) is kept, and reached by"
        " the next jump, while the rails still move our listed price up; where they stop (their"
        " ceiling) the trial starts there as before (false: off, main c208a62: the trial starts"
        " from the first capped price, unvouched; robust_vouch.climbs_to)",
    )
    perch_surge_campaign: float = param(
        0.4,
        min=0.0,
        max=1.0,
        doc="item 56 (acts only with perch_surge_out): a burst where one cap holds at least this"
        " share of the tasks our buyers of the snapshot's window bought is one campaign's, not a"
        " surge, and does not raise guard 5's count (0: off, main c208a62;"
        " robust_surge.campaign)",
    )
    perch_surge_campaign_tasks: int = param(
        5,
        min=0,
        max=1_000_000,
        doc="item 60 (acts only with perch_surge_campaign): a campaign's cap must also hold at"
        " least this many of the window's tasks; fewer is a few buyers sharing a cap by chance"
        " (0: off, item 56 as measured; robust_surge.campaign)",
    )
    anchor_perch_held: bool = param(
        False,
        doc="item 59: guard 7's in-stock share of each rival pool is held while our order sits"
        " at a perch above the market-led price (its buyers then go to the rivals first, which"
        " sell out because of us), and read as before off it (false: off, main 3f8cba3;"
        " robust_anchor.in_share_weight)",
    )

    follow_book_held: bool = param(
        True,
        doc="item 58: a decision in the base's book mode whose price the base held one step"
        " under the cheapest rival (the rivals' price, not the requests') is priced by guard 1"
        " as a contested one (false: off, main 3f8cba3: guard 1 runs on contested decisions"
        " only; true by default since session 18, items 58 and 62; robust_held.held_under)",
    )

    follow_still: bool = param(
        True,
        doc="item 58: guard 1's re-measure of a committed floor posture is put off (by"
        " commit_seconds) while war would quote the same price, one nRLC under the lowest"
        " rival seen: a follower that sits at its floor (false: off, main 3f8cba3;"
        " true by default since session 18; robust_held.still_floor)",
    )
    follow_still_quiet: bool = param(
        True,
        doc="item 84: guard 1's re-measure of a committed floor posture is also put off (as"
        " follow_still's) while no rival pool has been under our price lately (guard 1's share"
        " lost at 0): the undercutters stopped following and park above us (on since session 25;"
        " false: off, main 73768e6; robust_quietfloor)",
    )
    follow_quiet_back: bool = param(
        False,
        doc="item 88 (only with follow_still_quiet): a quiet committed floor posture is raised to"
        " one nRLC under the follower's own lowest price of the floor stretch (kept in memory, not"
        " low), capped one nRLC under the cheapest rival; tried again from the follower's new"
        " lowest when a pool comes back under it, QUIET_BACK_TRIES times a stretch (false: off,"
        " main 7b85bd0; robust_quietfloor.quiet_back)",
    )
    follow_still_yield: bool = param(
        True,
        doc="item 62: follow_still puts a round off only while the floor price earns a"
        " slot-second at least what the pool's other offers earn per slot-second (their"
        " decayed earnings over the pool's slots) (false: off, main 14593de;"
        " true by default since session 18; robust_held.floor_pays)",
    )
    open_vouched_tasks: int = param(
        4,
        min=0,
        max=1_000_000,
        doc="item 104: an offer that has had no guard-5 trial yet, listed market-led under the"
        " perch's lowest rung, whose buyers of the last perch_half_life_seconds (c_buyers) named"
        " one cap in [perch_low x portfolio's price, the trial's top) for at least this many"
        " tasks, none named more and one rails jump (x 32) over our listed price reaches it,"
        " opens its first trial now, gate open, without perch_first_wait_seconds (on at 4 since"
        " session 29; 0: off, main e84804e exactly; robust_opening.opening_level)",
    )
    slot_vouched_share: float = param(
        0.0,
        min=0.0,
        max=10.0,
        doc="item 69: a trial level our buyers vouched for (trial_caps_tasks, tier_open_multiple),"
        " unsold yet, counts in perch_slot_share's slot floor at this x the level x the pace of"
        " the buyers of our deals of the last perch_half_life_seconds who stated a cap at or"
        " above it (0: off, main 5508568: only a level that sold counts;"
        " robust_slotvouch.vouched_rate)",
    )
    surge_sold_tasks: int = param(
        0,
        min=0,
        max=1_000_000,
        doc="item 72: in the market mode, when our buyers bought at least this many tasks of the"
        " offer in the last surge_sold_seconds, at surge_sold_multiple x the pace of our earlier"
        " buyers of it (c_buyers, an hour of them at least), and they are not one campaign's"
        " (item 56), guard 5's slow count is raised to its gate: a surge on a pool with free"
        " slots, which item 53 does not read (0: off, main e04fe32; robust_burst.burst)",
    )
    surge_sold_due: bool = param(
        False,
        doc="item 72 (acts only with surge_sold_tasks): a burst also makes guard 5's next trial"
        " due now, cutting the wait after a lost trial (false: the wait stands)",
    )
    surge_sold_seconds: float = param(
        900.0,
        min=60.0,
        max=86400.0,
        doc="item 72 (acts only with surge_sold_tasks): the window of our recent sales",
    )
    surge_sold_multiple: float = param(
        4.0,
        min=0.0,
        max=1000.0,
        doc="item 72 (acts only with surge_sold_tasks): how many times the earlier pace the"
        " recent sales must come at",
    )
    surge_wait_seconds: float = param(
        7200.0,
        min=0.0,
        max=7 * 86400.0,
        doc="item 77: a surge reading of item 53 (perch_surge_out's saturated pool with its"
        " rivals sold out, not one campaign's) after none for this long starts a surge, and makes"
        " guard 5's next trial due now in the market mode: the wait after a trial lost before"
        " the surge is not evidence about its buyers (on since session 24; 0: off, main b59ba91;"
        " robust_surgewait.surge_starts)",
    )
    surge_lost_free: bool = param(
        True,
        doc="item 83 (acts only with surge_wait_seconds): a trial item 77's cut opened that sold"
        " and that the rivals' return ends before it commits leaves guard 5's schedule the cut"
        " found (the next trial at the replaced time, or at once if that passed) instead of"
        " perch_wait_seconds from its end (on since session 25; false: off, item 77 as measured,"
        " main 73768e6; robust_surgewait.surge_sold_ends)",
    )

    def __post_init__(self) -> None:
        if self.idle_utilization > self.scarce_utilization:
            raise InputError(
                "strategy.params.idle_utilization",
                "must be <= scarce_utilization",
                self.idle_utilization,
            )


_FLAT = frozenset({"c_buyers"})  # OfferMemory's fields stored flat (OfferMemory.to_json)


@dataclass
class OfferMemory:
    """What ``robust`` remembers per offer between decisions (JSON in the state).

    Not slotted: ``strategies.base.replace`` copies it ~80 times a tick, and a ``__dict__`` is
    copied whole where 90 slots are set one by one."""

    last_at: float | None = None
    # follower guard
    lost: float = 0.0  # the largest share below
    under: dict[str, float] = field(
        default_factory=dict
    )  # rival pool -> share of decisions under us
    low: int | None = None
    low_at: float = 0.0
    follower: str = ""
    aimed: bool = False  # our last quote was meant to be the cheapest (rivals under it: followed)
    posture: Posture = "war"
    posture_since: float = 0.0
    probing: bool = False
    committed_at: float = 0.0
    earned: dict[str, float] = field(default_factory=dict)  # posture -> nRLC in the current round
    seconds: dict[str, float] = field(default_factory=dict)  # posture -> seconds in it
    # scarcity
    log_m: float = 0.0
    u_avg: float | None = None
    markup_at: float | None = None
    rivals_out: float = 0.0  # smoothed share of decisions with no rival in stock
    m_trial: bool = False  # the current markup step is a raise on trial
    m_base_rate: float = 0.0  # nRLC/s earned in the interval before the raise on trial
    m_cooldown_until: float = 0.0
    m_backoff: float = 0.0
    m_earned: float = 0.0  # nRLC earned in the current markup interval
    m_seconds: float = 0.0
    # captive demand
    captive: list[str] = field(default_factory=list)
    captive_seen_at: float | None = None
    captive_price: int | None = None
    captive_at: float | None = None
    # the perch (guard 5): the mode, and each mode's evidence (decayed): nRLC, tasks, seconds
    p_mode: PerchMode = "market"
    p_since: float | None = None  # when the mode (or the trial's current price) started
    p_next: float | None = None  # earliest next trial
    p_wait: float = 0.0  # the wait after the next lost trial
    p_price: int = 0  # the perch price
    p_settled: bool = False  # the trial's price sold: it is held for the trial
    perched: bool = False  # the last quote was a perch (leaving it is a jump too)
    perch_ev: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    market_ev: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    p_out: float = 0.0  # share of time with no rival in stock (time constant perch_out_seconds)
    p_hold: float = 0.0  # how long the committed perch is held before the market is checked
    # regime shifts: the last committed perch price, kept while rivals come and go
    perch_known: int = 0
    perch_known_at: float = 0.0

    # the perch's demand reading (perch_demand_seconds): rival order -> remaining last seen, and
    # decayed counts of the category's deals (every pool) and of the rivals' restocks
    d_stock: dict[str, float] = field(default_factory=dict)
    d_deals: float = 0.0
    d_restock: float = 0.0
    # the steady-market anchor (guard 7): rival pool -> [price, price unchanged since, last seen,
    # share of the time in stock]
    a_pools: dict[str, list[float]] = field(default_factory=dict)
    # a committed perch after a regime shift: the market-led price when it was committed
    shift_base: int = 0
    # the perch's upward refine (robust_ladder.Probe): the price that sold while a probe runs
    # (0: none), the lowest price known unsold, when the probe started
    r_lo: int = 0
    r_hi: int = 0
    r_at: float = 0.0
    # guard 1's descending probe (follow_stride): when the floor posture last stepped down
    u_step_at: float = 0.0
    u_waited: float = 0.0  # the longest the follower took to answer a step
    # buyers who pass over a cheaper rival, and the probe for them (strategies/robust_captive.py)
    q_passed_at: float | None = None  # our last sale to one
    q_next: float | None = None  # earliest next probe
    q_wait: float = 0.0  # the wait after the next probe nobody passed a rival at
    q_probe: bool = False  # the trial is a probe (a trial step at the perch's lowest rung)
    q_count: int = 0  # tasks sold to buyers who passed a rival over, since the probe began
    # how long the refine's lowest unsold price (r_hi) went unsold (perch_bound_sales)
    r_w: float = 0.0
    # the perch's seconds (decayed as its evidence) that went to refine probes nobody bought
    # (perch_probe_apart; strategies/robust_tier.py)
    r_off: float = 0.0
    # the log of the book mode's price, averaged (book_base_seconds; 0: none)
    b_log: float = 0.0
    # a market-led price nobody bought (unsold_sales; strategies/robust_scarce.py): the lowest
    # price listed since our last sale, since when, the decayed sales rate, the bound, its time,
    # and whether the last quote was held under it
    s_low: int = 0
    s_since: float | None = None
    s_rate: float = 0.0
    s_bound: int = 0
    s_bound_at: float = 0.0
    s_capped: bool = False

    # the market's big supplier leaves (strategies/robust_leaves.py): rival pool -> [share of the
    # time in stock when last seen, last seen, largest stock]; the pools that left; the window's end
    l_pools: dict[str, list[float]] = field(default_factory=dict)
    l_gone: list[str] = field(default_factory=list)
    l_until: float = 0.0
    # its unmasking probe (leaves_probe_seconds): running; earliest next; the wait after a probe
    # that found the rivals in stock; seconds with no rival in stock, seconds of the probe
    l_probe: bool = False
    l_next: float = 0.0
    l_wait: float = 0.0
    l_out: float = 0.0
    l_secs: float = 0.0
    # the lowest loss floor a running descent has seen (trial_floor_lowest; 0: none yet)
    p_rung: int = 0
    # when the usual first trial falls due (early_lost_free; 0: past, or none kept)
    p_usual: float = 0.0
    # our buyers' caps (caps_window_seconds; strategies/robust_caps.py): [at, cap, tasks,
    # named our pool] per deal in the window, and when the estimate may be read again
    c_buyers: list[list[float]] = field(default_factory=list)
    c_next: float = 0.0
    # and the rivals seen in the window: pool -> [price, volume, last seen]
    c_rivals: dict[str, list[float]] = field(default_factory=dict)
    # and what the book showed of each rival's restocks (caps_restock_intervals;
    # strategies/robust_restock.py)
    c_restock: dict[str, list[float]] = field(default_factory=dict)
    # item 93 (anchor_pay_factor; strategies/robust_payoff.py): the last decision after a perch
    # or trial quote (its hour's sales are not the anchor's level's)
    y_perched_at: float = 0.0
    # item 41 (perch_read_rungs; strategies/robust_read.py): the out-of-stock count the book
    # alone shows (p_out without the demand reading's lift), the prices a trial the reading
    # opened has left to sell at (0: not such a trial), and the reading stopped for the offer
    p_book: float = 0.0
    p_left: int = 0
    d_off: bool = False
    p_read_at: float = 0.0  # when the read trial opened (perch_read_seconds)
    # guard 1's re-measures (follow_hold_max; strategies/robust_posture.py): the posture the
    # running round re-measures ("" for a first round), and re-measures in a row that kept it
    u_prev: str = ""
    u_kept: int = 0
    # each rival pool's cheapest price, when it last changed (0: not seen to), last seen
    # (war_mover_seconds; strategies/robust_undercut.py track_moves)
    u_moves: dict[str, list[float]] = field(default_factory=dict)
    # item 49 (follow_gas; strategies/robust_posture.py): our listed price at the last decision
    # (0: none), the gas each posture was charged in the running round (posture -> nRLC), and
    # each posture's record over its last committed stretch: posture -> [nRLC sold, gas, seconds]
    u_listed: int = 0
    u_gas: dict[str, float] = field(default_factory=dict)
    u_stretch: dict[str, list[float]] = field(default_factory=dict)
    # the trial level our buyers' caps vouched for (trial_caps_tasks; strategies/robust_vouch.py;
    # 0: none): paced as a known perch while the trial is at it
    v_price: int = 0
    # item 51 (tier_open_multiple; strategies/robust_tieropen.py): the running trial was opened
    # by our buyers' top tier; such a trial was lost (the rule does not open again)
    t_open: bool = False
    t_lost: bool = False
    # item 71 (tier_undercut_share; strategies/robust_stepunder.py): the rivals' reprices and
    # those that stepped under our price, decayed ([reprices, steps, when]; empty: none), and
    # whether the running tier trial was opened on a market that was not steady
    s_steps: list[float] = field(default_factory=list)
    t_moving: bool = False
    # item 67 (tier_settled_tasks; strategies/robust_hold.py): the running trial's level waited
    # past its market-led pace for the tier of our buyers who stated it (item 66's hold)
    h_held: bool = False
    # item 61 (tier_open_unsold; strategies/robust_measured.py): the lowest price a lost trial
    # of the offer listed unsold (0: none)
    t_unsold: int = 0
    # item 55 (vouch_climb; strategies/robust_vouch.py climbs_to): our listed price the rails
    # capped under the vouched level at the last decision (0: none), to see them still climbing
    v_listed: int = 0
    # item 77 (surge_wait_seconds; strategies/robust_surgewait.py): the last time item 53's
    # surge reading held (0: never)
    g_at: float = 0.0
    # and the last price a trial sold at or a perch held (0: none), and whether a surge's start
    # made the next trial due (its start is that price)
    g_sold: int = 0
    g_due: bool = False
    # item 83 (surge_lost_free): guard 5's next trial time item 77's cut replaced, kept on the
    # trial it opened (0: none)
    g_was: float = 0.0
    # item 78 (hold_taken_tasks; strategies/robust_warfloor.py): the seconds we held our price
    # above a rival and the tasks the rivals under it sold meanwhile, decayed ([seconds, tasks,
    # when]); the rival pools under our price at the last decision if it held (pool -> [price,
    # remaining])
    w_stock: list[float] = field(default_factory=list)
    # item 94 (gas_stop_seconds; strategies/robust_gasstop.py): decayed re-sign gas and sales,
    # when, the stop's end, our listed price at the last decision and the book's first decision
    # ([gas, sold, at, until, listed, since]; empty: off or not started)
    x_book: list[float] = field(default_factory=list)
    w_under: dict[str, list[float]] = field(default_factory=dict)
    # item 78 (follow_floor_share): the committed floor posture's price at its first decision
    # (0: no committed floor running; -1: one not checked); whether item 76's trigger opened
    # guard 1's running or last round (not main's share)
    w_floor: int = 0
    w_opened: bool = False
    # item 88 (follow_quiet_back): the follower's lowest listed price in this floor stretch (0:
    # none); a raise stands since the quiet spell began; raises undone by a pool back under us
    q_low: int = 0
    q_up: bool = False
    q_n: int = 0
    # item 92 (follow_passed_share; strategies/robust_passed.py): the share of decisions at which
    # the base passed over a small rival order under our listed price; whether guard 1's running
    # or last round opened while it stood at the key (judged net of gas)
    o_passed: float = 0.0
    o_opened: bool = False
    o_war: int = 0  # our listed price in war when the round opened (item 92's floor check)
    o_tasks: float = 0.0  # our tasks sold, decayed over memory_seconds (item 92's probe gate)

    def to_json(self) -> dict[str, object]:
        raw = state_dict(self, skip=_FLAT)
        # the buyers' rows, flat ([at, cap, tasks, named, at, ...]): two thirds of the state's
        # bytes, which the fence copies and from_json reads back every tick, as one number list
        raw["c_buyers"] = list(itertools.chain.from_iterable(self.c_buyers))
        return raw

    @classmethod
    def from_json(cls, raw: object) -> OfferMemory:
        """Read a stored memory back; anything malformed starts that offer afresh."""
        if not isinstance(raw, Mapping):
            return cls()
        try:
            posture = str(raw.get("posture", "war"))
            p_mode = str(raw.get("p_mode", "market"))
            return cls(
                last_at=_opt_float(raw.get("last_at")),
                lost=float(cast(float, raw.get("lost", 0.0))),
                under=_floats(raw.get("under")),
                low=_opt_int(raw.get("low")),
                low_at=float(cast(float, raw.get("low_at", 0.0))),
                follower=str(raw.get("follower", "")),
                aimed=bool(raw.get("aimed", False)),
                posture=posture if posture in POSTURES else "war",
                posture_since=float(cast(float, raw.get("posture_since", 0.0))),
                probing=bool(raw.get("probing", False)),
                committed_at=float(cast(float, raw.get("committed_at", 0.0))),
                earned=_floats(raw.get("earned")),
                seconds=_floats(raw.get("seconds")),
                log_m=float(cast(float, raw.get("log_m", 0.0))),
                u_avg=_opt_float(raw.get("u_avg")),
                markup_at=_opt_float(raw.get("markup_at")),
                rivals_out=float(cast(float, raw.get("rivals_out", 0.0))),
                m_trial=bool(raw.get("m_trial", False)),
                m_base_rate=float(cast(float, raw.get("m_base_rate", 0.0))),
                m_cooldown_until=float(cast(float, raw.get("m_cooldown_until", 0.0))),
                m_backoff=float(cast(float, raw.get("m_backoff", 0.0))),
                m_earned=float(cast(float, raw.get("m_earned", 0.0))),
                m_seconds=float(cast(float, raw.get("m_seconds", 0.0))),
                captive=[str(x) for x in cast(list[object], raw.get("captive", []))],
                captive_seen_at=_opt_float(raw.get("captive_seen_at")),
                captive_price=_opt_int(raw.get("captive_price")),
                captive_at=_opt_float(raw.get("captive_at")),
                p_mode=p_mode if p_mode in PERCH_MODES else "market",
                p_since=_opt_float(raw.get("p_since")),
                p_next=_opt_float(raw.get("p_next")),
                p_wait=float(cast(float, raw.get("p_wait", 0.0))),
                p_price=int(cast(int, raw.get("p_price", 0))),
                p_settled=bool(raw.get("p_settled", False)),
                perched=bool(raw.get("perched", False)),
                perch_ev=_evidence(raw.get("perch_ev")),
                market_ev=_evidence(raw.get("market_ev")),
                p_out=float(cast(float, raw.get("p_out", 0.0))),
                p_hold=float(cast(float, raw.get("p_hold", 0.0))),
                perch_known=int(cast(int, raw.get("perch_known", 0))),
                perch_known_at=float(cast(float, raw.get("perch_known_at", 0.0))),
                d_stock=_floats(raw.get("d_stock")),
                d_deals=float(cast(float, raw.get("d_deals", 0.0))),
                d_restock=float(cast(float, raw.get("d_restock", 0.0))),
                a_pools=_anchor_pools(raw.get("a_pools")),
                shift_base=int(cast(int, raw.get("shift_base", 0))),
                r_lo=int(cast(int, raw.get("r_lo", 0))),
                r_hi=int(cast(int, raw.get("r_hi", 0))),
                r_at=float(cast(float, raw.get("r_at", 0.0))),
                u_step_at=float(cast(float, raw.get("u_step_at", 0.0))),
                u_waited=float(cast(float, raw.get("u_waited", 0.0))),
                q_passed_at=_opt_float(raw.get("q_passed_at")),
                q_next=_opt_float(raw.get("q_next")),
                q_wait=float(cast(float, raw.get("q_wait", 0.0))),
                q_probe=bool(raw.get("q_probe", False)),
                q_count=int(cast(int, raw.get("q_count", 0))),
                r_w=float(cast(float, raw.get("r_w", 0.0))),
                r_off=float(cast(float, raw.get("r_off", 0.0))),
                b_log=float(cast(float, raw.get("b_log", 0.0))),
                s_low=int(cast(int, raw.get("s_low", 0))),
                s_since=_opt_float(raw.get("s_since")),
                s_rate=float(cast(float, raw.get("s_rate", 0.0))),
                s_bound=int(cast(int, raw.get("s_bound", 0))),
                s_bound_at=float(cast(float, raw.get("s_bound_at", 0.0))),
                s_capped=bool(raw.get("s_capped", False)),
                l_pools=_float_lists(raw.get("l_pools"), 3),
                l_gone=[str(x) for x in cast(list[object], raw.get("l_gone", []))],
                l_until=float(cast(float, raw.get("l_until", 0.0))),
                l_probe=bool(raw.get("l_probe", False)),
                l_next=float(cast(float, raw.get("l_next", 0.0))),
                l_wait=float(cast(float, raw.get("l_wait", 0.0))),
                l_out=float(cast(float, raw.get("l_out", 0.0))),
                l_secs=float(cast(float, raw.get("l_secs", 0.0))),
                p_rung=int(cast(int, raw.get("p_rung", 0))),
                p_usual=float(cast(float, raw.get("p_usual", 0.0))),
                c_buyers=_flat_rows(raw.get("c_buyers"), 4),
                c_next=float(cast(float, raw.get("c_next", 0.0))),
                c_rivals=_float_lists(raw.get("c_rivals"), 3),
                c_restock=_float_lists(raw.get("c_restock"), RESTOCK_ROW),
                y_perched_at=float(cast(float, raw.get("y_perched_at", 0.0))),
                p_book=float(cast(float, raw.get("p_book", 0.0))),
                p_left=int(cast(int, raw.get("p_left", 0))),
                d_off=bool(raw.get("d_off", False)),
                p_read_at=float(cast(float, raw.get("p_read_at", 0.0))),
                u_prev=str(raw.get("u_prev", "")),
                u_kept=int(cast(int, raw.get("u_kept", 0))),
                u_listed=int(cast(int, raw.get("u_listed", 0))),
                u_gas=_floats(raw.get("u_gas")),
                u_stretch=_float_lists(raw.get("u_stretch"), 3),
                u_moves=_float_lists(raw.get("u_moves"), 3),
                v_price=int(cast(int, raw.get("v_price", 0))),
                t_open=bool(raw.get("t_open", False)),
                t_lost=bool(raw.get("t_lost", False)),
                # item 71's decayed counts ([reprices, steps under us, when]); [] if malformed
                s_steps=_float_list(raw.get("s_steps"), 3) or [],
                t_moving=bool(raw.get("t_moving", False)),
                h_held=bool(raw.get("h_held", False)),
                t_unsold=int(cast(int, raw.get("t_unsold", 0))),
                v_listed=int(cast(int, raw.get("v_listed", 0))),
                g_at=float(cast(float, raw.get("g_at", 0.0))),
                g_sold=int(cast(int, raw.get("g_sold", 0))),
                g_due=bool(raw.get("g_due", False)),
                g_was=float(cast(float, raw.get("g_was", 0.0))),
                w_stock=_float_list(raw.get("w_stock"), 3) or [],
                x_book=_float_list(raw.get("x_book"), BOOK) or [],
                w_under=_float_lists(raw.get("w_under"), 2),
                w_floor=int(cast(int, raw.get("w_floor", 0))),
                w_opened=bool(raw.get("w_opened", False)),
                q_low=int(cast(int, raw.get("q_low", 0))),
                q_up=bool(raw.get("q_up", False)),
                q_n=int(cast(int, raw.get("q_n", 0))),
                o_passed=float(cast(float, raw.get("o_passed", 0.0))),
                o_opened=bool(raw.get("o_opened", False)),
                o_war=int(cast(int, raw.get("o_war", 0))),
                o_tasks=float(cast(float, raw.get("o_tasks", 0.0))),
            )
        except (TypeError, ValueError):
            return cls()


def _opt_float(v: object) -> float | None:
    return None if v is None else float(cast(float, v))


def _opt_int(v: object) -> int | None:
    return None if v is None else int(cast(int, v))


def _floats(v: object) -> dict[str, float]:
    if not isinstance(v, Mapping):
        return {}
    return {str(k): float(x) for k, x in v.items()}


def _watch(v: object) -> dict[str, int]:
    """The stored watch list of robust_book.tally (request hash -> category); {} if malformed."""
    if not isinstance(v, Mapping):
        return {}
    try:
        return {str(k): int(cast(int, c)) for k, c in v.items()}
    except (TypeError, ValueError):
        return {}


def _counts(v: object) -> dict[int, tuple[int, int]]:
    """The stored per-category (bought, waited) counts of robust_book.tally; {} if malformed."""
    if not isinstance(v, Mapping):
        return {}
    try:
        out: dict[int, tuple[int, int]] = {}
        for k, n in v.items():
            b, w = cast(list[int], n)
            out[int(k)] = (int(b), int(w))
        return out
    except (TypeError, ValueError):
        return {}


_MARKUP_FIELDS = tuple(
    f.name
    for f in fields(OfferMemory)
    if f.name.startswith("m_") or f.name in ("log_m", "markup_at", "u_avg")
)


def _markup_of(source: OfferMemory, mem: OfferMemory) -> OfferMemory:
    """``mem`` with the scarcity markup's state of ``source``."""
    return replace(mem, **{k: getattr(source, k) for k in _MARKUP_FIELDS})


def _float_list(v: object, n: int) -> list[float] | None:
    """A stored list of ``n`` numbers, or None when it is not one."""
    if not isinstance(v, list) or len(v) != n:
        return None
    return list(map(float, v))


def _float_rows(v: object, n: int) -> list[list[float]]:
    """A stored list of lists of ``n`` numbers; malformed rows are dropped."""
    if not isinstance(v, list):
        return []
    rows = [_float_list(x, n) for x in v]
    return [x for x in rows if x is not None]


def _flat_rows(v: object, n: int) -> list[list[float]]:
    """Rows of ``n`` numbers stored as one flat list (``OfferMemory.to_json``); a list of rows,
    the form before, is read too. A flat list that is not whole rows reads as none."""
    if not isinstance(v, list):
        return []
    if v and isinstance(v[0], list):
        return _float_rows(v, n)
    if len(v) % n:
        return []
    numbers = iter(map(float, v))
    # n numbers at a time (whole rows: checked above, so strict holds)
    return [list(row) for row in zip(*[numbers] * n, strict=True)]


def _evidence(v: object) -> list[float]:
    return _float_list(v, 3) or [0.0, 0.0, 0.0]


def _anchor_pools(v: object) -> dict[str, list[float]]:
    return _float_lists(v, 4)


def _float_lists(v: object, n: int) -> dict[str, list[float]]:
    """A stored mapping of lists of ``n`` numbers; malformed entries are dropped."""
    if not isinstance(v, Mapping):
        return {}
    lists = {str(k): _float_list(x, n) for k, x in v.items()}
    return {k: x for k, x in lists.items() if x is not None}


def _run_seconds(snapshot: MarketSnapshot, offer: Offer) -> float:
    """A task's learned run time in the offer's category, the offer's own figure until learned:
    what a slot-time floor (cost, slot yield, a perch's slots) charges a task for."""
    return (
        snapshot.tasks.run_seconds(offer.category, offer.task_seconds)
        if snapshot.tasks is not None
        else offer.task_seconds
    )


def _trial_top(p: RobustParams, price: int) -> int:
    """Where guard 5's trial descends from: ``perch_multiple`` x the market-led price, within
    the protocol's MAX_PRICE (item 104's first trial reads the same top)."""
    return min(MAX_PRICE, round(price * p.perch_multiple))


def _slot_count(snapshot: MarketSnapshot, offer: Offer) -> int:
    """The pool's registered slots of the offer's resource (0: no reading)."""
    util = snapshot.utilization
    return util.slots_and_busy(offer.gpu)[0] if util is not None else 0


def _lowest_rung(low: float, price: int) -> int:
    """The perch's lowest rung over the market-led ``price``: where a trial's descent is lost,
    and the captive and unmasking probes' price (``low``: ``perch_low`` x the base)."""
    return min(MAX_PRICE, math.ceil(max(low, 2 * price)))


def _buyers(snapshot: MarketSnapshot, offer: Offer, since: float = 0.0) -> tuple[Buyer, ...]:
    """Our buyers in ``offer``'s slot among the snapshot's deals after ``since`` (0: the whole
    window), with their stated caps (strategies/robust_caps.py): what items 43, 48, 52 and 56
    read."""
    return buyers_of(snapshot.deals, snapshot.workerpool, offer.category, offer.tag, since)


def _caps_kept(p: RobustParams, read: bool) -> float:
    """How long our buyers' caps (or the rivals they are replayed against) are remembered, 0:
    not at all: item 40's window, at least the perch's half-life where ``read`` (items 50 and
    51 read the buyers, item 51's replay the rivals, over that half-life)."""
    return max(p.caps_window_seconds, p.perch_half_life_seconds if read else 0.0)


def _tier_periods(p: RobustParams) -> bool:
    """Item 51's replay reads each rival's own restock period (item 54)."""
    return p.tier_open_multiple > 0 and p.tier_open_replay and p.tier_replay_intervals > 0


def _rival_periods(mem: OfferMemory, p: RobustParams, least: int) -> dict[str, float | None]:
    """Each remembered rival's restock period as item 44's watch saw it, once ``least``
    intervals were seen (else by ``caps_restock_unseen``): the one reading items 40/44 and
    item 51's replay (item 54) both hand to their replay."""
    return restock_periods(
        mem.c_restock,
        mem.c_rivals,
        least=least,
        unseen=p.caps_restock_unseen,
        assumed=p.caps_period_seconds,
        wait=p.caps_restock_wait,
    )


def _restock_kept(p: RobustParams) -> float:
    """How long the rivals' restocks are watched (item 44's watch), 0: not at all: item 40's
    window where item 44 reads it, at least the perch's half-life where item 51's replay reads
    it (item 54)."""
    item44 = p.caps_window_seconds if p.caps_restock_intervals > 0 else 0.0
    return max(item44, _caps_kept(p, True) if _tier_periods(p) else 0.0)


def _at_vouched(mem: OfferMemory) -> bool:
    """A trial at the level our buyers' caps vouched for (item 48): paced as a known perch,
    outside a read trial's budget."""
    return mem.v_price > 0 and mem.p_price == mem.v_price


def _trial_step(mem: OfferMemory, now: float, price: int) -> OfferMemory:
    """Guard 5 enters a trial level at ``price``: a descent's top, or a probe's rung (the
    captive and unmasking probes are trial steps, judged by the trial's own evidence)."""
    return replace(
        mem,
        p_mode="trial",
        p_since=now,
        p_price=price,
        p_settled=False,
        p_left=0,
        t_open=False,
        t_moving=False,
        v_listed=0,
        h_held=False,
    )


def _new_level(mem: OfferMemory, now: float, price: int, **changes: object) -> OfferMemory:
    """A running trial moves to another level: its clock restarts there, and item 66's hold of
    the level it leaves (``h_held``, which item 67 reads) does not carry over."""
    return replace(mem, p_price=price, p_since=now, h_held=False, **changes)


def _unmask_start(mem: OfferMemory, now: float, rung: int, wait: float) -> OfferMemory:
    """The unmasking probe starts (``Robust._unmask``): a trial step at the perch's lowest
    ``rung``; ``wait`` is the back-off a failed probe doubles (0: twice its length)."""
    return replace(
        _trial_step(mem, now, rung),
        l_probe=True,
        l_out=0.0,
        l_secs=0.0,
        l_wait=wait,
    )


def _lift_out(mem: OfferMemory, share: float) -> OfferMemory:
    """The perch's count of rivals out of stock raised to ``share`` (never lowered): what other
    evidence (buyers passing a rival over, a queue, unserved demand, the unmasking probe) shows
    of rivals that are out for buyers while the book lists them. The book's own count
    (``p_book``, item 41) takes the same lifts: only the demand reading's is kept out of it."""
    if share > mem.p_book:
        mem = replace(mem, p_book=share)
    return replace(mem, p_out=share) if share > mem.p_out else mem


def _key(offer: Offer) -> str:
    return f"{offer.category}:{offer.tag}:{offer.trust}"


def _under_held(rivals: Sequence[BookEntry], price: int) -> dict[str, list[float]]:
    """The rival pools listed under our held ``price`` (item 78): pool -> [price, remaining]."""
    return {k: [float(v[0]), float(v[1])] for k, v in pool_stock(rivals).items() if v[0] < price}


def _leave_posture(mem: OfferMemory, now: float, *, keep_gas: bool) -> OfferMemory:
    """Item 78 (strategies/robust_warfloor.py): guard 1 leaves its posture. A probe of the floor
    moves on to the hold posture with the floor's record dropped (it is not chosen on a price
    it may not run at); a committed posture goes back to war as a committed choice (item 76
    does not re-open a round inside it), a new stretch of war begun."""
    if mem.probing and mem.posture == "floor":
        drop = {k: v for k, v in mem.earned.items() if k != "floor"}
        secs = {k: v for k, v in mem.seconds.items() if k != "floor"}
        gas = {k: v for k, v in mem.u_gas.items() if k != "floor"}
        stretch = {k: v for k, v in mem.u_stretch.items() if k != "floor"}
        return replace(
            mem,
            posture="hold",
            posture_since=now,
            earned=drop,
            seconds=secs,
            u_gas=gas,
            u_stretch=stretch,
        )
    if mem.probing:
        return mem
    stretch = {**mem.u_stretch, "war": [0.0, 0.0, 0.0]} if keep_gas else mem.u_stretch
    return replace(mem, posture="war", posture_since=now, committed_at=now, u_stretch=stretch)


def _rate(mem: OfferMemory, posture: str) -> float | None:
    secs = mem.seconds.get(posture, 0.0)
    if secs <= 0:
        return None
    return mem.earned.get(posture, 0.0) / secs


class RobustStrategy(Strategy[RobustParams]):
    name = "robust"
    Params = RobustParams

    def __init__(self, params: RobustParams | None = None) -> None:
        super().__init__(params)
        p = self.params
        self._base = PortfolioStrategy(
            PortfolioParams(
                step=p.step,
                floor=p.floor,
                outlier_ratio=p.outlier_ratio,
            )
        )
        self._rivals = CompetitiveParams(outlier_ratio=p.outlier_ratio)
        # the last decision's memories, not re-read when handed back unchanged (robust_kept)
        self._kept: Kept[OfferMemory] = Kept()

    def initial_state(self) -> State:
        return {"base": self._base.initial_state(), "offers": {}, "inert": []}

    def decide(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        state: State,
        rng: random.Random,
    ) -> Decision:
        raw_base = state.get("base")
        base_state: State = (
            cast(State, raw_base) if isinstance(raw_base, dict) else self._base.initial_state()
        )
        raw_inert = state.get("inert")
        known = (
            {str(h) for h in cast(list[object], raw_inert)}
            if isinstance(raw_inert, list)
            else set()
        )
        inert = self._inert(snapshot, offers, known)
        # whether the book's requests buy, per category (strategies/robust_book.py)
        watch, counts = tally(
            _watch(state.get("watch")),
            self._fitting(snapshot, offers),
            {r.order_hash for r in snapshot.requests},
            inert,
            known,
            _counts(state.get("tally")),
        )
        # and the tasks buyers took from our posted orders since the last decision
        last = state.get("tally_at")
        since = float(last) if isinstance(last, (int, float)) else snapshot.at
        ours = snapshot.own_deals(since)
        counts = sold_to(counts, ours)
        if inert:
            snapshot = snapshot.without_requests(inert)
        base = self._base.decide(snapshot, offers, base_state, rng)
        modes = cast(Mapping[str, str], base.state.get("modes", {}))
        raw_offers = state.get("offers")
        stored = cast(Mapping[str, object], raw_offers) if isinstance(raw_offers, dict) else {}
        memories: dict[str, object] = {}
        recall, read = self._kept.recall, OfferMemory.from_json
        before = {_key(o): recall(_key(o), stored.get(_key(o)), read) for o in offers}
        # each offer's earnings per second, for item 62's comparison (robust_held.floor_pays)
        rates = (
            {k: earned_rate(m.perch_ev, m.market_ev) for k, m in before.items()}
            if self.params.follow_still and self.params.follow_still_yield
            else {}
        )
        quotes = []
        # requesters name our pool on this market (any category): robust_captive's probe
        named = state.get("named") is True or names_pool(
            snapshot.workerpool,
            snapshot.requests,
            ours if self.params.captive_deals else (),
        )
        busy = 0.0  # the pool's smoothed utilization (the markup's reading), for _slot_yield
        mems = []
        for offer, got in zip(offers, base.quotes, strict=True):
            key = _key(offer)
            mem = before[key]
            waits = book_waits(
                counts.get(offer.category, (0, 0)),
                self.params.book_wait_share,
                self.params.book_wait_least,
            )
            others = sum(r for k, r in rates.items() if k != key)
            quote, mem = self._price(
                snapshot,
                offer,
                got,
                modes.get(key, ""),
                mem,
                named=named,
                waits=waits,
                others=others,
            )
            quotes.append(quote)
            mems.append(mem)
            memories[key] = mem.to_json()
            busy = max(busy, mem.u_avg or 0.0)
        self._kept.keep(memories, {_key(o): m for o, m in zip(offers, mems, strict=True)})
        new_state: State = {
            "base": base.state,
            "offers": memories,
            "inert": sorted(inert),
            "named": named,
            "watch": watch,
            "tally": {str(c): list(n) for c, n in sorted(counts.items())},
            "tally_at": snapshot.at,
        }
        quotes = list(self._slot_yield(snapshot, offers, quotes, busy))
        quotes = list(self._perch_slots(snapshot, offers, quotes, mems))
        if self.params.reserve_share > 0:  # item 45 (strategies/robust_reserve.py)
            shut = self._shut(snapshot, offers, state.get("shut"))
            new_state["shut"] = shut
            quotes = list(self._reserve(snapshot, offers, quotes, shut))
        return Decision(tuple(quotes), new_state)

    def _shut(
        self, snapshot: MarketSnapshot, offers: Sequence[Offer], raw: object
    ) -> dict[str, list[float]]:
        """Per offer, ``[share, at, until]``: the decayed share of time the pool had no room for
        it (halving every ``perch_out_seconds``), and until when it counts as turned away (set
        ``perch_half_life_seconds`` ahead whenever the share reaches ``reserve_shut``)."""
        p = self.params
        stored = cast(Mapping[str, object], raw) if isinstance(raw, dict) else {}
        now = snapshot.at
        out = {}
        for o in offers:
            key = _key(o)
            row = _float_list(stored.get(key), 3) or [0.0, now, 0.0]
            full = offer_capacity(snapshot.utilization, o, snapshot.tasks) == 0
            share = shut_share(row[0], now - row[1], full, p.perch_out_seconds)
            until = now + p.perch_half_life_seconds if share >= p.reserve_shut else row[2]
            out[key] = [share, now, until]
        return out

    def _reserve(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        quotes: Sequence[Quote],
        shut: Mapping[str, list[float]],
    ) -> tuple[Quote, ...]:
        """Volumes of a long category that earns less per slot-second than a shorter one that
        sells, cut so its tasks never queue (``reserve_share``; strategies/robust_reserve.py)."""
        p = self.params
        util = snapshot.utilization
        if len(offers) < 2 or util is None:
            return tuple(quotes)
        since = snapshot.at - p.perch_half_life_seconds
        runs = [max(1.0, _run_seconds(snapshot, o)) for o in offers]
        # a category whose buyers the pool turned away: it sold, and often had no room
        selling = [
            sum(d.volume for d in snapshot.own_deals(since, o.category)) >= p.perch_step_tasks
            and snapshot.at < shut[_key(o)][2]
            for o in offers
        ]
        board = snapshot.tasks.open_tasks if snapshot.tasks is not None else ()
        held = [sum(t.category == o.category for t in board) for o in offers]
        slots = min(util.slots_and_busy(o.gpu)[0] for o in offers)
        volumes = reserve_volumes(
            [q.volume for q in quotes],
            [q.price / run for q, run in zip(quotes, runs, strict=True)],
            runs,
            selling,
            held,
            slots,
            p.reserve_share,
            p.reserve_slots,
        )
        return tuple(
            q
            if v == q.volume
            else replace(q, volume=v, reason=f"{q.reason}; {v} kept off the queue")
            for q, v in zip(quotes, volumes, strict=True)
        )

    def _perch_slots(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        quotes: Sequence[Quote],
        mems: Sequence[OfferMemory],
    ) -> tuple[Quote, ...]:
        """Market-led quotes raised to what a slot earns at another category's committed perch,
        while the pool is saturated (``perch_slot_share``; strategies/robust_surge.py). The raise
        is a jump (one re-signed order); the rails step the way back down.

        The pool's smoothed utilization is read from the offers whose markup runs: a perched
        offer's is frozen at the perch's start (guard 5), and read so it held a floor for 6 h
        after the queue had gone (train ``surge`` 1048)."""
        p = self.params
        if p.perch_slot_share <= 0 or len(offers) < 2:
            return tuple(quotes)
        live = [m.u_avg for m in mems if not m.perched and m.u_avg is not None]
        if max(live, default=0.0) < p.perch_slot_busy:
            return tuple(quotes)
        runs = [_run_seconds(snapshot, o) for o in offers]
        perches = [
            (i, m.perch_ev[0] / m.perch_ev[2])
            for i, m in enumerate(mems)
            if m.perch_ev[2] > 0 and (m.p_mode == "perch" or (m.p_mode == "trial" and m.p_settled))
        ]
        if p.slot_vouched_share > 0:
            # a vouched level not sold yet holds the slots at its tier's pace (item 69,
            # strategies/robust_slotvouch.py)
            since = snapshot.at - p.perch_half_life_seconds
            share = p.slot_vouched_share
            perches += [
                (i, vouched_rate(kept_buyers(m.c_buyers, since), m.p_price, snapshot.at, share))
                for i, m in enumerate(mems)
                if m.p_mode == "trial" and not m.p_settled and _at_vouched(m)
            ]
        queue = None
        if p.perch_slot_drain:
            queue = snapshot.utilization.ratio if snapshot.utilization is not None else 0.0
        out = []
        for i, (o, q, m, run) in enumerate(zip(offers, quotes, mems, runs, strict=True)):
            floor = perch_slot_floor(
                perches=perches, own=i, run=run, share=p.perch_slot_share, queue=queue
            )
            if m.p_mode == "market" and floor > q.price:
                why = f"{q.reason}; the pool is full: a slot earns {floor} at a perch"
                q = quote_for(o, floor, q.volume, why, jump=True)
            out.append(q)
        return tuple(out)

    def _slot_yield(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        quotes: Sequence[Quote],
        busy: float,
    ) -> tuple[Quote, ...]:
        """Quotes raised to what a slot of the pool earns in its other categories.

        The pool's slots serve every category: a task of a long category holds a slot as long as
        many short ones. In a surge, a long category sold at the rivals' level filled the pool
        for hours while the short one, perched far above the rivals, had to turn its buyers away.
        So while the pool runs busy (its smoothed utilization, ``busy``, at least
        ``slot_yield_busy``: a long task then displaces others' sales; on an idle pool it costs
        nothing), no offer sells a slot-second for less than the pool's other categories earned
        per slot-second of the whole pool in the last hour, x ``slot_yield_share``; a category
        counts once it sold ``perch_step_tasks`` tasks in that hour (one large sale of a long
        category is not a rate to hold the others to). A raise only; the rails cap it.
        """
        p = self.params
        util = snapshot.utilization
        if (
            p.slot_yield_share <= 0
            or busy < p.slot_yield_busy
            or util is None
            or util.registered_cpu <= 0
            or len(offers) < 2
        ):
            return tuple(quotes)
        since = snapshot.at - 3600.0
        earned = []
        for o in offers:
            deals = snapshot.own_deals(since, o.category)
            # one big sale is not a rate: a category counts once it sold a few tasks
            enough = sum(d.volume for d in deals) >= p.perch_step_tasks
            earned.append(float(sum(d.price * d.volume for d in deals)) if enough else 0.0)
        total = sum(earned)
        out = []
        for o, q, own in zip(offers, quotes, earned, strict=True):
            rate = (total - own) / (util.registered_cpu * 3600.0)
            run = _run_seconds(snapshot, o)
            floor = min(MAX_PRICE, math.ceil(p.slot_yield_share * rate * run))
            if floor > q.price:
                why = f"{q.reason}; a slot earns {rate:.0f} nRLC/s in the other categories"
                q = quote_for(o, floor, q.volume, why, jump=q.jump)
            out.append(q)
        return tuple(out)

    def _inert(
        self, snapshot: MarketSnapshot, offers: Sequence[Offer], known: set[str]
    ) -> set[str]:
        """Requests in the book that do not buy: still there although our listed order fits them.

        A request our published order could match (its max price at or above our price, and
        compatible with the offer) that is older than ``inert_after_seconds`` is not demand for a
        posted price: a requester that posts and waits for a pool to match it (``iexec app
        request-execution``). Pricing for it would raise the price for nothing. Only requests
        still in the book are remembered.
        """
        p = self.params
        now = snapshot.at
        present = {r.order_hash for r in snapshot.requests}
        inert = known & present
        for offer in offers:
            listed = snapshot.current_price(offer.slot)
            if listed is None:
                continue
            for r in snapshot.demand_for(offer):
                if r.workerpoolmaxprice >= listed and now - r.published_at >= p.inert_after_seconds:
                    inert.add(r.order_hash)
        for offer in offers:
            if p.inert_rival_fits == 2 or (
                p.inert_rival_fits == 1 and snapshot.current_price(offer.slot) is None
            ):
                # a request a rival's order fits that stays waits for a pool (item 100)
                inert |= rival_fitted(
                    snapshot.demand_for(offer),
                    snapshot.competitors_for(offer),
                    now,
                    p.inert_rival_seconds or p.inert_after_seconds,
                )
        return inert

    def _fitting(self, snapshot: MarketSnapshot, offers: Sequence[Offer]) -> dict[str, int]:
        """The book's requests our listed order fits now (hash -> category), of any age."""
        out: dict[str, int] = {}
        for offer in offers:
            listed = snapshot.current_price(offer.slot)
            if listed is None:
                continue
            for r in snapshot.demand_for(offer):
                if r.workerpoolmaxprice >= listed:
                    out[r.order_hash] = offer.category
        return out

    # -- one offer ------------------------------------------------------------------------------

    def _price(
        self,
        snapshot: MarketSnapshot,
        offer: Offer,
        got: Quote,
        mode: str,
        mem: OfferMemory,
        *,
        named: bool = False,
        waits: bool = True,
        others: float = 0.0,
    ) -> tuple[Quote, OfferMemory]:
        p = self.params
        now = snapshot.at
        base = got.price  # the base's own quote (item 92 reads what it passed over)
        since = now - p.captive_interval_seconds if mem.last_at is None else mem.last_at
        dt = 0.0 if mem.last_at is None else max(0.0, now - mem.last_at)
        deals = snapshot.own_deals(since, offer.category)
        earned = float(sum(d.price * d.volume for d in deals))
        sold = float(sum(d.volume for d in deals))
        window = _caps_kept(
            p,
            p.perch_tier_tasks > 0 or p.tier_open_multiple > 0 or p.tier_hold_tasks > 0,
        )
        if window > 0:
            # our buyers' caps (strategies/robust_caps.py; items 50, 51 and 66 read them too)
            rows = remember(
                mem.c_buyers,
                deals,
                snapshot.workerpool,
                offer.category,
                offer.tag,
                now,
                window,
            )
            mem = replace(mem, c_buyers=rows)
        # what a perch earned is its own evidence, not the guards' (they price the market)
        perched = mem.perched
        mem = self._perch_account(mem, earned, sold, dt)
        before = mem  # the markup's state, restored after a perch (step 5)
        if perched:
            earned, dt = 0.0, 0.0
        rivals, _ = relevant_competitors(snapshot.competitors_for(offer), self._rivals)
        mem = self._leaves(now, rivals, mem)
        window = _caps_kept(p, p.tier_open_multiple > 0 and p.tier_open_replay)
        if window > 0:
            kept = remember_rivals(mem.c_rivals, rivals, now, window)
            mem = replace(mem, c_rivals=kept)
        watched = _restock_kept(p)
        if watched > 0:
            # each rival's period (strategies/robust_restock.py), read by item 40's replay and
            # item 51's (item 54)
            mem = replace(mem, c_restock=watch_restocks(mem.c_restock, rivals, now, watched))
        listed = snapshot.current_price(offer.slot)
        price, why = got.price, got.reason
        # buyers who pass a rival over, on a market where requests named our pool (robust_captive)
        named = named and p.captive_probe_seconds > 0
        passed = passed_over(deals, rivals) if named else 0
        if passed:  # for the perch (strategies/robust_captive.py)
            mem = replace(mem, q_passed_at=now, q_count=mem.q_count + passed)
        if (
            (p.tier_undercut_share > 0 and p.tier_moving_extend_seconds > 0)
            or p.cut_gas_factor > 0
            or p.follow_cut_factor > 0
        ):
            # the rivals' reprices since the last decision, and those that stepped under us
            # (item 71, strategies/robust_stepunder.py; guard 7's pools hold their last prices;
            # items 73 and 76 read them too)
            last = {k: v[0] for k, v in mem.a_pools.items()}
            moves, steps = count_steps(last, cheapest_by_pool(rivals), listed)
            counts = decayed_steps(mem.s_steps, moves, steps, now, p.anchor_steady_seconds)
            mem = replace(mem, s_steps=counts)
        # 6. the steady-market anchor (module doc): the base's market-led price, held fixed
        got, mem = self._anchor(now, rivals, got, mode, mem, listed, snapshot)
        if p.war_mover_seconds > 0 or p.follow_passed_share > 0:
            # a small order the base's war rule passed over, of a pool that reprices (item 46;
            # item 92 reads the moves too)
            mem = replace(mem, u_moves=track_moves(mem.u_moves, rivals, now, p.memory_seconds))
        if p.war_mover_seconds > 0:
            low = mover_under(mem.u_moves, rivals, got.price, now, p.war_mover_seconds)
            if mode == "contested" and low is not None:
                moved = under(low, p.step, p.floor)
                why = f"{p.step} nRLC under {low}, a repricing rival's whole order ({got.reason})"
                got = replace(got, price=moved, reason=why)
        price, why = got.price, got.reason

        # 1. the follower guard (contested offers only)
        # item 76 (strategies/robust_floorprobe.py): on a market of undercutters a cut that does
        # not pay its cancels opens the probe and the postures are judged net of gas (the gas
        # book is kept whenever the key is on, so a market that turns into one has it counted)
        undercutters = p.follow_cut_factor > 0 and steps_under_us(
            mem.s_steps,
            p.tier_undercut_share if p.tier_undercut_share > 0 else UNDERCUT_SHARE,
        )
        gas = gas_judged(p.follow_gas, p.follow_cut_factor, undercutters)
        if p.hold_taken_tasks > 0:  # item 78: what the rivals under our held price sold
            pools = pool_stock(rivals)
            held = dt if mem.w_under else 0.0
            taken = taken_under(mem.w_under, pools)
            stock = stock_watch(mem.w_stock, held, taken, now, p.anchor_steady_seconds)
            mem = replace(mem, w_stock=stock, w_under={})
        starved = hold_starved(mem.w_stock, p.hold_taken_tasks)
        keep_gas = p.follow_gas or p.follow_cut_factor > 0 or p.follow_passed_share > 0
        if keep_gas:  # item 49: a re-sign's gas is charged to the posture that ran
            charge = resign_charge(mem.u_listed, listed, p.cancel_cost)
            mem = replace(mem, u_listed=listed or 0)
        else:
            charge = 0.0
        # a book price the base held under the cheapest rival is the rivals' (item 58)
        led = mode == "contested" or (
            p.follow_book_held and mode == "book" and held_under(got.price, rivals, p.step, p.floor)
        )
        if led:
            mem = self._account(mem, earned, dt)
            if keep_gas and mem.probing:  # the round's probe
                spent = {**mem.u_gas, mem.posture: mem.u_gas.get(mem.posture, 0.0) + charge}
                mem = replace(mem, u_gas=spent)
            elif keep_gas:  # the committed posture's whole stretch
                mem = replace(
                    mem, u_stretch=stretch_add(mem.u_stretch, mem.posture, earned, charge, dt)
                )
            still = True
            if p.follow_still and p.follow_still_yield and mem.posture == "floor":
                # item 62: its tasks take slots the other offers earn more in
                slots = _slot_count(snapshot, offer)
                still = floor_pays(got.price, _run_seconds(snapshot, offer), others, slots)
            unpaid = (
                p.follow_cut_factor > 0
                and undercutters
                and mem.p_mode == "market"  # not a perch's price or trial (guard 5's)
                and not mem.perched
                and listed is not None
                and got.price < listed
                and steps_seen(
                    step_interval(mem.s_steps, p.anchor_steady_seconds, p.raise_horizon_seconds),
                    p.probe_seconds,
                )
                and self._cut_unpaid(
                    snapshot, offer, rivals, listed, got.price, got.volume, mem, p.follow_cut_factor
                )
                is not None
            )
            if p.follow_passed_share > 0:  # item 92 (strategies/robust_passed.py)
                mem = self._passed(now, rivals, listed, min(base, got.price), mem, sold, dt)
                unpaid = unpaid or (mem.o_opened and mem.posture == "war" and not mem.probing)
                gas = gas or mem.o_opened
            price, why, mem = self._follower(
                now,
                rivals,
                listed,
                got,
                mem,
                still=still,
                gas=gas,
                keep_gas=keep_gas,
                unpaid=unpaid,
                dragged=(p.follow_cut_factor > 0 and p.follow_floor_share > 0)
                or p.follow_passed_share > 0,
                starved=undercutters and starved,
            )
            if p.hold_taken_tasks > 0 and mem.posture == "hold":
                mem = replace(mem, w_under=_under_held(rivals, price))
        elif not (p.follow_keep_book and mode == "book" and rivals):
            # no longer contested: the follower record is forgotten (but see follow_keep_book)
            mem = replace(
                mem,
                lost=0.0,
                under={},
                posture="war",
                probing=False,
                earned={},
                seconds={},
                u_gas={},
                u_stretch={},
            )

        # 2. scarcity markup on the market-led price (not on the learner's own experiments)
        out = 0.0 if rivals else 1.0
        mem = replace(
            mem, rivals_out=(1 - p.util_smoothing) * mem.rivals_out + p.util_smoothing * out
        )
        booked = p.markup_on_book and mode == "book"
        mem = self._markup(
            snapshot,
            mem,
            earned,
            dt,
            market_short=mem.rivals_out >= p.rivals_out_share,
            # item 74: a category where the markup multiplies the book's smoothed price
            # (book_base_seconds, a book that waits), in the book mode or not at this decision
            smoothed=p.markup_on_book and waits and p.book_base_seconds > 0,
        )
        if p.book_base_seconds > 0:
            # only where the book's requests wait rather than buy (book_wait_share)
            b_log = (
                smoothed_log(mem.b_log, price, now - (mem.last_at or now), p.book_base_seconds)
                if booked and waits
                else 0.0
            )
            mem = replace(mem, b_log=b_log)
        if (mode == "contested" or booked) and mem.log_m > 0:
            m = math.exp(mem.log_m)
            if booked and mem.b_log > 0:
                # the markup over a steady book price (strategies/robust_book.py)
                price = round(math.exp(mem.b_log))
            price = round(price * m)
            why += f"; scarcity markup x{m:.2f}"
        if p.unsold_sales > 0:
            price, why, mem = self._unsold(
                mem,
                now,
                dt,
                listed,
                deals,
                perched,
                price,
                why,
                base=got.price,
                led=mode == "contested" or booked,
            )

        # 3. captive demand
        mem = self._captive(snapshot, offer, listed if listed is not None else price, mem, deals)
        if mem.captive_price is not None and mem.captive_price > price:
            price = mem.captive_price
            why = f"captive demand naming our pool: {price} (over {why})"
        harvest = self._harvest(snapshot, offer, price)
        if harvest is not None:
            price, n = harvest
            why = f"{n} waiting captive requests sold down to {price} (under {why})"

        # 5. the perch (module doc)
        if perched:
            # the markup prices the market the rivals make: a perch's hours are not a trial of
            # it (its timer would judge an interval with no market-led sales as a failed raise)
            clock = mem.markup_at
            mem = _markup_of(before, mem)
            if markup_clock_runs(mem.p_left, p.perch_read_markup):
                mem = replace(mem, markup_at=clock)  # through a read trial (item 42)
        was = mem
        mem = self._perch(
            snapshot,
            offer,
            mode,
            price,
            mem,
            in_stock=bool(rivals),
            base=got.price,
            named=named,
            waits=waits,
        )
        mem = self._rejoin(now, was, mem)
        if p.perch_tier_tasks > 0 and mem.p_mode == "trial" and not mem.p_settled:
            # no level above the top tier our buyers stated (item 50, robust_tierstart)
            level = tier_level(
                mem.c_buyers,
                mem.p_price,
                _lowest_rung(p.perch_low * got.price, price),
                tier=p.perch_tier_tasks,
                start=now - p.perch_half_life_seconds,
            )
            mem = replace(mem, p_price=level)
        mem = self._perch_caps(snapshot, offer, mem, waits=waits)
        mem = self._vouch_bound(snapshot, offer, mem)
        mem = self._refine(snapshot, offer, was, mem, waits=waits)
        if mem.p_rung and (mem.p_mode != "trial" or mem.p_settled):
            mem = replace(mem, p_rung=0)  # the descent is over
        # the base's book logic reads the perch's own deals: above the perch, its price is ours
        guarded = harvest is not None or (mem.captive_price or 0) >= price
        over = p.perch_hold_quote and not guarded
        # captive requests waiting under the quote are sold at their caps first (the harvest;
        # strategies/robust_captive.py: since buyers who pass a rival over open the perch)
        yields = harvest is not None and p.captive_probe_seconds > 0
        at_perch = mem.p_mode in ("trial", "perch") and not yields and (mem.p_price > price or over)
        # a perch, and the way back from one, are deliberate jumps (the rails' max_jump): one
        # re-signed order each way instead of one (and a cancel going up) per max_step
        jump = at_perch or mem.perched
        if at_perch:
            price = mem.p_price
            why = f"no rival in stock: perch {price} ({mem.p_mode}; market-led {got.price}, {why})"
        mem = replace(mem, perched=at_perch)
        based = price == got.price
        if based:  # the base's own raise (the guards' raises pay by trial)
            price, why = self._hold(snapshot, offer, price, why)

        # a cut across the cheapest rival that the planner's deadband would swallow
        if p.cross_band > 0 and rivals and listed is not None:
            crossed = cross_band(price, listed, rivals[0].price, p.cross_band, p.floor)
            if crossed != price:
                price, why = crossed, f"{why}; out of the deadband under {rivals[0].price}"
        if (
            p.cut_gas_factor > 0
            and based
            and not jump
            and listed is not None
            and price < listed
            and not starved  # item 78: the undercutter restocks under a hold
        ):
            # a cut that does not pay the cancels of our dearer orders is held (item 73,
            # robust_cutgas)
            reckoned = self._cut_unpaid(
                snapshot, offer, rivals, listed, price, got.volume, mem, p.cut_gas_factor
            )
            if reckoned is not None:
                gain, cancels, seconds = reckoned
                if p.hold_taken_tasks > 0:
                    mem = replace(mem, w_under=_under_held(rivals, listed))
                price, why = (
                    listed,
                    (
                        f"{why}; cut to {price} held at {listed}: {gain:.0f} nRLC won in"
                        f" {seconds:.0f}s < {p.cut_gas_factor:g} x {cancels} cancels"
                    ),
                )

        if p.gas_stop_seconds > 0:  # item 94 (strategies/robust_gasstop.py)
            price, why, mem = self._gas_stop(now, listed, earned, price, why, mem)

        # then the cost floor (the rails gate the raise by its cancel gas)
        if p.cost_per_slot_hour > 0:
            run = _run_seconds(snapshot, offer)
            cost = math.ceil(p.cost_per_slot_hour * run / 3600.0)
            if price < cost:
                price, why = cost, f"{why}; raised to the cost floor {cost}"
        aimed = bool(rivals) and price < rivals[0].price
        mem = replace(mem, last_at=now, aimed=aimed)
        volume = (
            got.volume
            if price == got.price
            else offer_capacity(snapshot.utilization, offer, snapshot.tasks)
        )
        return quote_for(offer, price, volume, why, jump=jump), mem

    def _gas_stop(
        self,
        now: float,
        listed: int | None,
        earned: float,
        price: int,
        why: str,
        mem: OfferMemory,
    ) -> tuple[int, str, OfferMemory]:
        """Item 94: the offer's re-sign gas and sales are booked; while the stop runs a listed
        price is held as it is (strategies/robust_gasstop.py)."""
        p = self.params
        before = mem.x_book[4] if len(mem.x_book) == BOOK else 0.0
        gas = resign_gas(before, listed, p.cancel_cost)
        book = book_add(mem.x_book, now, gas, earned, listed, p.gas_stop_seconds, p.cancel_cost)
        mem = replace(mem, x_book=book)
        if listed is not None and price != listed and stopped(book, now):
            g, s = book[0], book[1]
            price, why = listed, f"{why}; held at {listed}: re-sign gas {g:.0f} > sales {s:.0f}"
        return price, why, mem

    def _anchor(
        self,
        now: float,
        rivals: Sequence[BookEntry],
        got: Quote,
        mode: str,
        mem: OfferMemory,
        ours: int | None,
        snapshot: MarketSnapshot,
    ) -> tuple[Quote, OfferMemory]:
        """On a steady market, the base's market-led price held at one fixed price (guard 7).

        Rivals that post fixed prices sell out and restock; the base follows whichever is in
        stock, so each time the cheapest sells out it jumps to under the next one (or, with no
        rival in stock, down to the book's stray caps), and back at the restock: a cancel per
        round trip, and buyers lost in between. The best fixed price in hindsight on such a
        market is mostly one nRLC under the cheapest rival, held through its stock-outs, if
        that rival is in stock most of the time (``anchor_in_share``; one that sells its last
        task within minutes of each restock sets no price: the next one does). So once every
        rival pool seen in ``anchor_memory_seconds`` has kept its price for
        ``anchor_steady_seconds``, the markup is off (it tries its raises on the base: a lower
        base under it is a lower price on a short market) and the pool is not busy
        (``anchor_busy``: the buyers a lower price wins could not be served), a contested or
        book-led price other than that anchor is replaced by it (the book's price only where it
        is under the anchor, or at the rival in stock: requests waiting above it are real
        demand). Any repricing rival (an undercutter, a random walk) at or under the anchor's
        rival turns it off until the market is steady again; one repricing above it takes no
        buyer from us (``anchor_moving_above``, strategies/robust_undercut.py). The other guards
        (markup, captive, perch) still price above it.
        """
        p = self.params
        if p.anchor_steady_seconds <= 0:
            return got, mem
        pools = self._seen_pools(mem, now)
        listed = cheapest_by_pool(rivals)
        # a perch's own hours are not the book the anchor prices (item 59, robust_anchor.py)
        a = in_share_weight(
            now - (mem.last_at or now),
            p.anchor_in_seconds,
            perched=mem.perched,
            held=p.anchor_perch_held,
        )
        for pool, v in pools.items():
            if pool not in listed:
                pools[pool] = [v[0], v[1], v[2], (1 - a) * v[3]]
        for pool, price in listed.items():
            old = pools.get(pool)
            since = old[1] if old is not None and old[0] == price else now
            share = (1 - a) * old[3] + a if old is not None else 1.0
            pools[pool] = [float(price), since, now, share]
        mem = replace(mem, a_pools=pools)
        if p.anchor_pay_factor > 0 and mem.perched:  # item 93: a perch's hour is not a reading
            mem = replace(mem, y_perched_at=now)
        busy = mem.u_avg is not None and mem.u_avg >= p.anchor_busy
        if mode not in ("contested", "book") or not pools or mem.log_m > 0 or busy:
            # not a market-led price, or a short market (the markup's) or a busy pool
            return got, mem
        steady, moving = steady_pools(pools, now, p.anchor_steady_seconds)
        if moving and not p.anchor_moving_above:
            return got, mem
        setters = [int(v[0]) for v in steady.values() if v[3] >= p.anchor_in_share]
        if setters and p.anchor_near_ratio > 0:  # item 90 (strategies/robust_near.py)
            near = near_setters(
                (int(v[0]) for v in steady.values()), min(setters), p.anchor_near_ratio
            )
            setters += near
        if setters and p.anchor_pay_factor > 0:
            setters += self._pay_setters(steady, min(setters), mem, ours, snapshot, got)
        if not setters or any(int(v[0]) <= min(setters) for v in moving.values()):
            return got, mem
        low = min(setters)
        anchor = under(low, p.step, p.floor)
        in_stock = under(min(listed.values()), p.step, p.floor) if listed else None
        if got.price == anchor or (mode == "book" and anchor < got.price != in_stock):
            # the book priced above the anchor for requests waiting there: real demand
            return got, mem
        why = f"steady market: {anchor}, {p.step} nRLC under the lowest rival {low} ({got.reason})"
        return replace(got, price=anchor, reason=why), mem

    def _pay_setters(
        self,
        steady: Mapping[str, Sequence[float]],
        setter: int,
        mem: OfferMemory,
        ours: int | None,
        snapshot: MarketSnapshot,
        got: Quote,
    ) -> list[int]:
        """Item 93 (strategies/robust_payoff.py): the steady pools under the anchor's ``setter``
        whose restocks (item 44's periods, item 40's volumes) pay for the margin given up on
        what our order sold in the last hour at the setter's level."""
        p = self.params
        under_it = {k: int(v[0]) for k, v in steady.items() if int(v[0]) < setter}
        if not under_it or snapshot.at - mem.y_perched_at < 3600.0:
            return []  # none, or a perch in the last hour: its sales are not the level's
        deals = snapshot.own_deals(snapshot.at - 3600.0, got.category)
        sold = hour_sold(((d.price, d.volume) for d in deals), setter)
        if sold is None:
            return []
        # each pool's period as item 44's watch saw it (none seen: no reading)
        periods = restock_periods(
            mem.c_restock, under_it, least=2, unseen="stocked", assumed=p.caps_period_seconds
        )
        last = restocked_at(mem.c_restock)
        pools: list[tuple[int, float, float]] = []
        for pool, price in under_it.items():
            kept = mem.c_rivals.get(pool)  # item 40's [price, volume, seen]
            since = snapshot.at - last.get(pool, 0.0)
            rate = restock_rate(kept[1] if kept else 0.0, periods.get(pool), since)
            if rate is None:
                continue
            reading = level_reading(sold, ours, price, setter, rate, steady[pool][3])
            if reading is not None:
                pools.append((price, *reading))
        return pay_setters(pools, setter, p.step, p.anchor_pay_factor)

    def _seen_pools(self, mem: OfferMemory, now: float) -> dict[str, list[float]]:
        """Guard 7's rival pools still remembered: seen within ``anchor_memory_seconds`` (a pool
        out of stock still counts that long)."""
        horizon = self.params.anchor_memory_seconds
        return {k: v for k, v in mem.a_pools.items() if now - v[2] <= horizon}

    def _steady(self, mem: OfferMemory, now: float) -> bool:
        """Guard 7's reading: rival pools seen (``anchor_memory_seconds``), none of which
        repriced in ``anchor_steady_seconds`` (false while guard 7 is off)."""
        p = self.params
        pools = self._seen_pools(mem, now)
        if p.anchor_steady_seconds <= 0 or not pools:
            return False
        return not steady_pools(pools, now, p.anchor_steady_seconds)[1]

    def _tier_market(self, mem: OfferMemory, now: float) -> bool:
        """Item 51's market: guard 7's steady one, or with ``tier_moving_extend_seconds`` any
        with a rival pool seen (strategies/robust_moving.py, item 63); with
        ``tier_undercut_share``, one whose rivals' reprices are mostly steps under our price
        (strategies/robust_stepunder.py, item 71)."""
        p = self.params
        extend = p.tier_moving_extend_seconds
        seen = extend > 0 and p.anchor_steady_seconds > 0 and bool(self._seen_pools(mem, now))
        if seen and p.tier_undercut_share > 0:
            seen = steps_under_us(mem.s_steps, p.tier_undercut_share)
        return tier_gate_open(steady=self._steady(mem, now), seen=seen, extend=extend)

    def _hold(
        self, snapshot: MarketSnapshot, offer: Offer, price: int, why: str
    ) -> tuple[int, str]:
        """Hold a raise that will not sell enough before it is undone to pay for its cancel.

        Following a rival up when it sells out, and back down when it restocks, costs a cancel
        per round trip; on a market that buys a few tasks an hour the raise sells little or
        nothing in between. Expected gain: (new - listed) x the tasks our cheaper orders still
        hold, at most the tasks we sold in the last ``raise_horizon_seconds`` (what the next
        such span may sell; the snapshot's deals reach back ``deals_window_seconds``, 1 h by
        default, so a longer horizon counts no more). Below one cancel's gas, the listed price
        stays.
        """
        p = self.params
        if p.raise_horizon_seconds <= 0:
            return price, why
        cheaper = [
            o
            for o in snapshot.own_by_slot.get(offer.slot, ())
            if o.price < price and o.remaining > 0 and o.published
        ]
        if not cheaper:
            return price, why
        sold = self._horizon_sold(snapshot, offer)
        held = max(cheaper, key=lambda o: (o.published_at, o.order_hash)).price
        gain = (price - held) * min(sum(o.remaining for o in cheaper), sold)
        if gain >= p.cancel_cost * len(cheaper):
            return price, why
        return held, (
            f"{why}; raise to {price} held at {held}: {sold} sold in the last"
            f" {p.raise_horizon_seconds:.0f}s would not pay its cancel"
        )

    def _horizon_sold(self, snapshot: MarketSnapshot, offer: Offer) -> int:
        """The tasks of ``offer``'s category we sold in the last ``raise_horizon_seconds`` (the
        snapshot's deals are our pool's): what the next such span may sell, for the churn hold
        and item 73's cut gate alike."""
        since = snapshot.at - self.params.raise_horizon_seconds
        return sum(d.volume for d in snapshot.own_deals(since, offer.category))

    def _cut_unpaid(
        self,
        snapshot: MarketSnapshot,
        offer: Offer,
        rivals: Sequence[BookEntry],
        listed: int,
        price: int,
        volume: int,
        mem: OfferMemory,
        factor: float,
    ) -> tuple[float, int, float] | None:
        """Item 73's reckoning of a cut from ``listed`` to ``price`` (strategies/robust_cutgas.py):
        ``(gain, cancels, seconds)`` where it wins less than ``factor`` x the gas of the cancels
        it causes, on a market whose rivals' reprices are mostly steps under our price (item
        71's share, ``tier_undercut_share``; 0.75 if that is off); None where it pays or is not
        judged. What it wins lasts until a rival steps under us again (item 71's counts), and is
        at most the stock the rivals hold under our listed price, sold to the buyers of that
        time (our own rate of the last ``raise_horizon_seconds``; none sold: no evidence, the
        cut is made). Item 73 holds such a cut; item 76 opens guard 1's probe on it
        (strategies/robust_floorprobe.py)."""
        p = self.params
        share = p.tier_undercut_share if p.tier_undercut_share > 0 else UNDERCUT_SHARE
        if not steps_under_us(mem.s_steps, share):
            return None  # the rivals do not step under us: a cut's sales last
        orders = [
            (o.price, o.remaining) for o in snapshot.own_by_slot.get(offer.slot, ()) if o.published
        ]
        cancels = cut_cancels(orders, price, volume, p.cancel_cost)
        if cancels <= 0:
            return None
        horizon = p.raise_horizon_seconds
        if horizon <= 0:
            return None
        ours = self._horizon_sold(snapshot, offer)  # none sold: no evidence
        if ours <= 0:
            return None
        stock = sum(r.remaining for r in rivals if price < r.price < listed)
        seconds = step_interval(mem.s_steps, p.anchor_steady_seconds, horizon)
        gain = cut_gain(listed, price, stock, ours / horizon, seconds)
        if cut_pays(gain, cancels, p.cancel_cost, factor):
            return None
        return gain, cancels, seconds

    @staticmethod
    def _paid(mem: OfferMemory) -> int:
        """The market-led mode's mean price per task sold (its decayed evidence), 0: none sold:
        what our buyers paid us (item 54's replay baseline)."""
        m_earned, m_tasks, _ = mem.market_ev
        return round(m_earned / m_tasks) if m_tasks > 0 else 0

    def _perch_account(
        self, mem: OfferMemory, earned: float, sold: float, dt: float
    ) -> OfferMemory:
        """Credit what sold since the last decision to the mode quoted meanwhile (decayed)."""
        if dt <= 0:
            return mem
        keep = 0.5 ** (dt / self.params.perch_half_life_seconds)
        add = [earned, sold, dt]
        perch = [v * keep for v in mem.perch_ev]
        market = [v * keep for v in mem.market_ev]
        if mem.perched:
            perch = [a + b for a, b in zip(perch, add, strict=True)]
        else:
            market = [a + b for a, b in zip(market, add, strict=True)]
        return replace(mem, perch_ev=perch, market_ev=market, r_off=mem.r_off * keep)

    def _perch(
        self,
        snapshot: MarketSnapshot,
        offer: Offer,
        mode: str,
        price: int,
        mem: OfferMemory,
        *,
        in_stock: bool,
        base: int,
        named: bool = False,
        waits: bool = False,
    ) -> OfferMemory:
        """Explore-then-commit between the market-led price and a perch far above it (module
        doc, guard 5). Modes: ``market``; ``trial`` (descending until a price sells, then held);
        ``perch`` (committed, held ``p_hold``); ``check`` (the market-led price measured afresh
        against the committed perch). Only the perch and the trial quote the perch price.
        """
        p = self.params
        now = snapshot.at
        if p.perch_trial_seconds <= 0 or mode not in ("contested", "book"):
            if mem.p_mode == "market":
                return mem
            if held_alone(
                on=p.perch_alone,
                mode=mode,
                p_mode=mem.p_mode,
                settled=mem.p_settled,
                pays=p.perch_alone and self._perch_pays(mem),
            ):
                return mem  # a perch that sold, held while the base prices alone (item 47)
            # no rival-led price to perch over (portfolio prices alone): a trial or perch ends,
            # and the next waits as after a change (not at once, should the mode flicker)
            return replace(mem, p_mode="market", p_next=now + p.perch_wait_seconds, q_probe=False)
        # the markup's count reacts within minutes (a restock); a perch follows regimes. Rivals
        # that buyers pass over are not in stock for them (strategies/robust_captive.py)
        a = 1.0 - math.exp(-max(0.0, now - (mem.last_at or now)) / p.perch_out_seconds)
        passing = (
            p.captive_probe_seconds > 0
            and mem.q_passed_at is not None
            and now - mem.q_passed_at < p.perch_out_seconds
        )
        out = 0.0 if in_stock and not passing else 1.0
        mem = replace(mem, p_out=(1 - a) * mem.p_out + a * out)
        if p.perch_read_rungs > 0 and mem.p_left == 0:
            # a read trial's own hours are not the book main reads: held (item 41)
            mem = replace(mem, p_book=(1 - a) * mem.p_book + a * out)
        if passing:
            mem = _lift_out(mem, p.perch_out_share)
        mem = self._unserved(snapshot, offer, mem)
        if mem.p_mode == "market" and queued(u_avg=mem.u_avg, threshold=p.perch_busy_open):
            # a queue of buyers is demand the rivals did not serve (strategies/robust_surge.py)
            mem = _lift_out(mem, p.perch_out_share)
        # item 53's surge reading: read in the market mode, and in every mode for item 77's
        # record of it (its inputs are left as they are by item 77's step)
        surging = (
            (mem.p_mode == "market" or p.surge_wait_seconds > 0)
            and surged(
                rivals_out=mem.rivals_out,
                u_avg=mem.u_avg,
                share=p.perch_surge_out,
                busy=p.perch_surge_busy,
            )
            and not self._campaign(snapshot, offer)
        )
        if p.surge_wait_seconds > 0:
            mem = self._surge_wait(mem, now, reading=surging)
        if mem.p_mode == "market" and surging:
            # every slot busy and the rivals sold out now: a surge (item 53, robust_surge.py),
            # unless one campaign's buyers are most of the window's (item 56)
            mem = _lift_out(mem, p.perch_out_share)
        if (
            p.surge_sold_tasks > 0
            and mem.p_mode == "market"
            and self._burst(snapshot, offer, mem)
            and not self._campaign(snapshot, offer)
        ):
            # a burst of our own sales on a pool with free slots: a surge (item 72,
            # robust_burst.py), unless one campaign's (item 56)
            mem = _lift_out(mem, p.perch_out_share)
            if p.surge_sold_due and mem.p_next is not None and mem.p_next > now:
                # the wait after a trial lost in the old regime is not evidence about this one
                mem = replace(mem, p_next=now)
        if p.open_vouched_tasks > 0 and mem.p_mode == "market" and price < p.perch_low * base:
            mem = self._opening(snapshot, offer, mem, now, base, price)  # item 104
        if mem.p_next is None:
            first = p.perch_first_wait_seconds or p.perch_wait_seconds
            # p_wait 0: an early first trial still on probation (item 28; a lost trial's next
            # wait is max(p_wait, 2 x perch_wait_seconds) either way)
            early = p.perch_first_strict and p.perch_first_wait_seconds > 0
            usual = now + p.perch_wait_seconds if p.early_lost_free else 0.0
            return replace(
                mem,
                p_next=now + first,
                p_wait=0.0 if early else p.perch_wait_seconds,
                p_usual=usual,
            )
        if (
            waits
            and mem.p_since is None
            and waits_first(
                mem.p_next,
                mem.last_at,
                now,
                share=mem.p_out,
                gate=p.perch_out_share,
                first=p.perch_first_wait_seconds or p.perch_wait_seconds,
                early=p.waits_first_seconds,
            )
        ):
            # where the book waits, the first trial is due now if the gate is open (item 33)
            return replace(mem, p_next=now)
        if mem.p_wait == 0 and mem.p_since is None and p.perch_first_strict:
            late = strict_first(
                mem.p_next,
                now,
                share=mem.p_out,
                gate=p.perch_out_share,
                first=p.perch_first_wait_seconds,
                wait=p.perch_wait_seconds,
            )
            if late is not None:
                return replace(mem, p_next=late, p_wait=p.perch_wait_seconds)
        since = mem.p_since if mem.p_since is not None else now
        top = _trial_top(p, price)
        if mem.q_probe:
            return self._probe(mem, now, since, top)
        if mem.l_probe:
            return self._unmask(mem, now, top, in_stock=in_stock)
        if mem.p_mode == "market":
            low = p.perch_low * base
            if now >= mem.p_next and mem.p_out >= p.perch_out_share and price < low:
                # opened by the demand reading alone: judged by how it ends (item 41)
                left = read_opened(p.perch_read_rungs, mem.p_book, p.perch_out_share)
                # where our buyers' caps vouch for a price, the trial starts there (item 48)
                vouched = self._vouched(snapshot, offer, round(low), top, mem, waits=waits)
                start = vouched or top
                if mem.g_due:
                    # a surge's trial starts at the last level a trial sold at (item 77)
                    start = surge_start(start, mem.g_sold, price)
                return replace(
                    _trial_step(mem, now, start),
                    p_left=left,
                    p_read_at=now,
                    v_price=vouched,
                    g_due=False,
                    g_was=mem.g_was if mem.g_due else 0.0,
                )
            if (
                p.leaves_probe_seconds > 0
                and mem.l_until > now >= mem.l_next
                and in_stock
                and price < low
            ):
                # the big supplier left and we undercut the rest: do they sell out above us?
                return _unmask_start(mem, now, _lowest_rung(low, price), mem.l_wait)
            if named and in_stock and price < low:
                if mem.q_next is None:
                    wait = p.captive_probe_seconds
                    return replace(mem, q_next=now + wait, q_wait=wait)
                if now >= mem.q_next:
                    rung = _lowest_rung(low, price)
                    return replace(_trial_step(mem, now, rung), q_probe=True, q_count=0)
            if (
                p.caps_window_seconds > 0
                and mem.p_next is not None
                and now >= max(mem.p_next, mem.c_next)
                and price < low
                and self._steady(mem, now)
            ):
                # our own undercut keeps the rivals in stock: would our buyers' caps have paid
                # more above them? (item 40, strategies/robust_caps.py)
                mem = replace(mem, c_next=now + READ_EVERY_S)
                own = None
                if p.caps_restock_intervals > 0:  # each rival's own period (item 44)
                    own = _rival_periods(mem, p, p.caps_restock_intervals)
                cap = caps_trial(
                    mem.c_buyers,
                    mem.c_rivals,
                    price,
                    start=now - p.caps_window_seconds,
                    period_s=p.caps_period_seconds,
                    margin=p.caps_margin,
                    tier=p.caps_tier_tasks,
                    periods=own,
                )
                if cap is not None:
                    return _trial_step(_lift_out(mem, p.perch_out_share), now, top)
            if (
                p.tier_open_multiple > 0
                and not mem.t_lost
                and mem.p_next is not None
                and now >= max(mem.p_next + p.perch_wait_seconds, mem.c_next)
                and price < low
                and self._tier_market(mem, now)
            ):
                # our undercut keeps the rivals in stock, and a tier of our own buyers stated
                # caps far above it: a trial at their cap, once (item 51)
                mem = replace(mem, c_next=now + READ_EVERY_S)
                since = now - p.perch_half_life_seconds
                buyers = kept_buyers(mem.c_buyers, since)
                level = tier_opens(
                    buyers, price, round(low), top, p.tier_open_multiple, p.tier_open_tasks
                )
                if level and p.tier_open_unsold and measured(mem.t_unsold, level):
                    level = 0  # a lost trial listed a price under it unsold (item 61)
                if level and p.tier_open_replay:
                    own = None
                    if _tier_periods(p):  # each rival's own restock period (item 54)
                        own = _rival_periods(mem, p, p.tier_replay_intervals)
                    pays = replay_pays(
                        buyers,
                        mem.c_rivals,
                        price,
                        level,
                        since,
                        p.caps_period_seconds,
                        periods=own,
                        paid=self._paid(mem) if p.tier_replay_sold else 0,
                        least=p.tier_replay_tasks,
                    )
                    level = level if pays else 0
                if level:
                    moving = not self._steady(mem, now)  # item 71: the extension's market
                    mem = _trial_step(_lift_out(mem, p.perch_out_share), now, level)
                    return replace(
                        mem,
                        v_price=level,
                        t_open=True,
                        t_moving=moving,
                    )
            return mem
        if mem.p_out < p.perch_out_share / 2:
            # rivals are back in stock: the perch's buyers have a cheaper seller again (a trial
            # that had not sold yet is lost; a committed perch had paid, so no back-off)
            if p.surge_lost_free and surge_sold_ends(
                trial=mem.p_mode == "trial", settled=mem.p_settled, was=mem.g_was
            ):
                # item 83: a surge's trial that sold, ended by the surge's end, leaves the
                # schedule its cut found
                return replace(mem, p_mode="market", p_next=max(mem.g_was, now), g_was=0.0)
            if mem.p_mode == "trial" and not mem.p_settled:
                if not self._tier_held(mem, since, now):
                    return self._perch_lost(mem, now)
                else:
                    # a level a tier of our buyers stated waits for the tier's pace: its buyers
                    # come when the rivals are out, whenever that is (item 66)
                    mem = replace(mem, h_held=True)
            elif check_runs_on(on=p.check_return_held, p_mode=mem.p_mode, waits=waits):
                # a check where the book waits: our market-led price keeps the rivals in stock,
                # so the return is the check's own doing; it is judged by its test (item 85,
                # strategies/robust_checkreturn.py)
                pass
            elif mem.p_mode == "trial" and self._settled_held(mem, since, now):
                # a level item 66 held for its tier, and sold: kept while the tier's next sale is
                # not due at the tier's rate; once due, ended as before (it sold: no back-off;
                # item 67, strategies/robust_hold.py)
                pass
            elif checked_hold(
                on=p.perch_return_checked,
                p_mode=mem.p_mode,
                p_hold=mem.p_hold,
                trial_seconds=p.perch_trial_seconds,
                pays=p.perch_return_checked
                and return_pays(self._own_ev(mem), mem.market_ev, p.perch_return_z),
            ):
                # a perch a check confirmed against the market-led price as it is now, held
                # while it pays: after a collapse the rivals stay in stock longer because fewer
                # buyers empty them, not because a cheaper seller came back (item 80,
                # strategies/robust_checkheld.py)
                pass
            else:
                return replace(mem, p_mode="market", p_next=now + p.perch_wait_seconds)
        if mem.p_mode == "trial" and not mem.p_settled:
            rung = _lowest_rung(p.perch_low * base, price)
            if p.trial_floor_lowest:
                # the floor the descent has seen at its lowest (strategies/robust_gate.py)
                rung = trial_floor(mem.p_rung, rung)
                mem = replace(mem, p_rung=rung)
            sold = [d for d in snapshot.own_deals(since, offer.category) if d.price >= mem.p_price]
            if sold:
                # the perch's evidence starts here: this price's time and sales, less the
                # round trip's two cancels
                ev = [
                    sum(d.price * d.volume for d in sold) - 2.0 * p.cancel_cost,
                    float(sum(d.volume for d in sold)),
                    now - since,
                ]
                return replace(mem, p_settled=True, p_since=now, perch_ev=ev, r_off=0.0, p_left=0)
            listed = snapshot.current_price(offer.slot)
            known = p.trial_pace_unknown or p.trial_listed_all or mem.p_price == mem.perch_known
            if listed is None and p.trial_listed_clock and known and mem.last_at is not None:
                # nothing of ours on the book (the pool had no free slot): no buyer could have
                # bought at this price, so the time is no evidence that it is too high. Only for
                # a price that paid before, as the pace (_paced): a level no perch has paid at is
                # likely far above every buyer, and its descent in the dark costs nothing
                since += now - mem.last_at
                # a read trial's time budget runs on the same listed clock (item 41)
                mem = replace(mem, p_since=since, p_read_at=mem.p_read_at + now - mem.last_at)
            if (
                p.vouch_climb
                and listed is not None
                and price < listed
                and _at_vouched(mem)
                and climbs_to(listed, mem.p_price, mem.v_listed)
            ):
                # a vouched level the rails capped under it, and they still move our price up:
                # the next jump reaches it (item 55, strategies/robust_vouch.py)
                mem = replace(mem, v_listed=listed)
            elif listed is not None and price < listed < mem.p_price:
                # the rails capped the climb (their ceiling, or one max_jump): start from there
                vouched = mem.t_open and _at_vouched(mem)
                mem = replace(mem, p_price=listed)
                if vouched:
                    # under the cap of the tier that opened it: that tier's buyers pay it too
                    # (item 51)
                    mem = replace(mem, v_price=listed)
            if _at_vouched(mem):
                # the vouched level waits its pace, not the read budget (item 48), which
                # starts at the level under it
                mem = replace(mem, p_read_at=now)
            if mem.p_left > 0 and 0 < p.perch_read_seconds <= now - mem.p_read_at:
                # a read trial out of time (item 41)
                return self._read_lost(self._lost_unsold(mem))
            if now - since < self._step_seconds(mem):
                return mem
            if self._tier_held(mem, since, now):
                # a tier of our buyers stated this level: it waits for the tier's own pace, not
                # the market-led price's (item 66, strategies/robust_hold.py)
                return replace(mem, h_held=True)
            if (
                p.tier_open_ends > 0
                and mem.t_open
                and _at_vouched(mem)
                and tier_ends(
                    self._recent_buyers(mem, now),
                    mem.p_price,
                    since,
                    now,
                    p.tier_open_ends,
                )
            ):
                # the tier's level unsold while its buyers came: they bought from the rivals, no
                # descent under the tier (item 57)
                return self._perch_lost(self._lost_unsold(mem), now)
            left, ends = read_unsold(mem.p_left)
            if ends:
                return self._read_lost(self._lost_unsold(mem))
            mem = replace(mem, p_left=left)
            lower = int(mem.p_price * p.perch_step_down)
            if lower < rung:
                return self._perch_lost(self._lost_unsold(mem), now)
            return _new_level(mem, now, lower)
        if mem.p_mode == "perch":
            if now - since < mem.p_hold:
                return mem
            if not check_due(
                leads=self._perch_pays(mem, p.check_margin),
                base=base,
                base_at_commit=mem.shift_base,
                margin=p.check_margin,
            ):
                # nothing shifted: held on, no check (strategies/robust_shift.py)
                return replace(mem, p_since=now)
            # the market-led mode's evidence is as old as the commit: measure it afresh
            return replace(mem, p_mode="check", p_since=now, market_ev=[0.0, 0.0, 0.0])
        if (
            mem.p_mode == "check"
            and p.check_queue_ends
            and queued(u_avg=mem.u_avg, threshold=p.perch_busy_open)
        ):
            # the market-led price queues the pool: its buyers pay more (item 33)
            return replace(mem, p_mode="perch", p_since=now)
        if (
            mem.p_mode == "check"
            and 0 < p.check_early_seconds <= now - since
            and check_decided(self._own_ev(mem), mem.market_ev, price, p.perch_confidence)
        ):
            # decided before the check's end: the rest of it would be lost perch revenue
            return replace(mem, p_mode="perch", p_since=now, p_hold=2 * mem.p_hold)
        if now - since < p.perch_trial_seconds:
            return mem
        z = p.perch_confidence
        if mem.p_mode == "check":
            # item 79: a check asks again what the commit asked (robust_checkz)
            z = check_z(
                perch_z=z, check=p.check_confidence, waits=waits, scoped=p.check_confidence_waits
            )
        if self._perch_pays(mem, z=z):
            # committed: held twice as long after each check that confirms it
            hold = 2 * mem.p_hold if mem.p_mode == "check" else 2 * p.perch_trial_seconds
            return replace(mem, p_mode="perch", p_since=now, p_hold=hold, shift_base=base)
        if mem.p_mode == "check":
            return replace(mem, p_mode="market", p_next=now + p.perch_wait_seconds)
        if trial_runs_on(
            mem.perch_ev,
            mem.market_ev,
            elapsed=now - since,
            trial=p.perch_trial_seconds,
            extend=tier_extend(
                # item 71: with tier_undercut_share, only a trial opened where not steady
                tier_opened=mem.t_open and (p.tier_undercut_share <= 0 or mem.t_moving),
                extend=p.tier_moving_extend_seconds,
                usual=p.trial_extend_seconds,
            ),
        ):
            return mem  # inconclusive: more evidence (robust_gate.py)
        return self._perch_lost(mem, now)

    def _surge_wait(self, mem: OfferMemory, now: float, *, reading: bool) -> OfferMemory:
        """Item 77 (``surge_wait_seconds``, strategies/robust_surgewait.py): item 53's surge
        ``reading`` kept (``g_at``); at a surge's start, in the market mode, guard 5's next trial
        is due now."""
        p = self.params
        if mem.p_mode == "perch" or (mem.p_mode == "trial" and mem.p_settled):
            mem = replace(mem, g_sold=mem.p_price)
        if not reading:
            return mem
        starts = surge_starts(reading=True, last=mem.g_at, now=now, gap=p.surge_wait_seconds)
        mem = replace(mem, g_at=now)
        if starts and mem.p_mode == "market":
            was = (mem.p_next or 0.0) if p.surge_lost_free else 0.0
            mem = replace(mem, p_next=wait_cut(mem.p_next, now), g_due=True, g_was=was)
        return mem

    def _campaign(self, snapshot: MarketSnapshot, offer: Offer) -> bool:
        """Our buyers of the snapshot's window are mostly one campaign's (``perch_surge_campaign``,
        item 56, strategies/robust_surge.py): a burst item 53 must not read as a surge."""
        share = self.params.perch_surge_campaign
        if share <= 0:
            return False
        return campaign(_buyers(snapshot, offer), share, self.params.perch_surge_campaign_tasks)

    def _burst(self, snapshot: MarketSnapshot, offer: Offer, mem: OfferMemory) -> bool:
        """Our sales of the last ``surge_sold_seconds`` are a burst over our earlier buyers'
        pace (item 72, strategies/robust_burst.py)."""
        p = self.params
        start = snapshot.at - p.surge_sold_seconds
        recent = sum(b.volume for b in _buyers(snapshot, offer, start))
        if recent < p.surge_sold_tasks:
            return False
        base = pace(self._recent_buyers(mem, snapshot.at), start)
        return burst(
            recent=recent,
            window=p.surge_sold_seconds,
            base=base,
            tasks=p.surge_sold_tasks,
            multiple=p.surge_sold_multiple,
        )

    def _opening(
        self,
        snapshot: MarketSnapshot,
        offer: Offer,
        mem: OfferMemory,
        now: float,
        base: int,
        price: int,
    ) -> OfferMemory:
        """An offer with no trial yet whose first buyers named a tier (``open_vouched_tasks``,
        item 104, strategies/robust_opening.py): its first trial is due now, its gate open."""
        p = self.params
        floor = round(p.perch_low * base)
        top = _trial_top(p, price)
        first = (
            mem.p_next is not None
            and mem.p_wait <= p.perch_wait_seconds
            and mem.perch_known == 0
            and mem.perch_ev[2] == 0
            and not mem.d_off
        )
        listed = snapshot.current_price(offer.slot)
        reach = round(listed * p.max_jump) if listed is not None else 0
        level = opening_level(
            self._recent_buyers(mem, now),
            floor,
            top,
            p.open_vouched_tasks,
            first=first,
            reach=reach,
        )
        if not level:
            return mem
        return replace(_lift_out(mem, p.perch_out_share), p_next=min(now, mem.p_next or now))

    def _vouched(
        self,
        snapshot: MarketSnapshot,
        offer: Offer,
        floor: int,
        top: int,
        mem: OfferMemory,
        *,
        waits: bool,
    ) -> int:
        """The price our own buyers' caps vouch for, where a trial opening now starts
        (``trial_caps_tasks``; item 48, strategies/robust_vouch.py), or 0: the rails' top;
        with ``trial_caps_kept`` where the book waits, read from the buyers of the perch's
        half-life (item 82, strategies/robust_keptvouch.py)."""
        p = self.params
        k = p.trial_caps_tasks
        if k <= 0:
            return 0
        buyers = self._caps_buyers(snapshot, offer, mem, on=p.trial_caps_kept, waits=waits)
        return vouched_price(buyers, floor, top, k)

    def _caps_buyers(
        self,
        snapshot: MarketSnapshot,
        offer: Offer,
        mem: OfferMemory,
        *,
        on: bool,
        waits: bool,
        since: float = 0.0,
    ) -> Sequence[Buyer]:
        """The buyers items 48 and 43 read caps from (strategies/robust_keptvouch.py): the kept
        buyers of the perch's half-life where the book ``waits`` and the item's key is ``on``
        (items 82 and 105), else the snapshot's deals after ``since``; the kept rows are read
        only when they can be used."""
        kept = self._recent_buyers(mem, snapshot.at) if on and waits else []
        return waiting_buyers(_buyers(snapshot, offer, since), kept, on=on, waits=waits)

    def _recent_buyers(self, mem: OfferMemory, now: float) -> list[Buyer]:
        """Our buyers of the last ``perch_half_life_seconds`` (from the kept rows): the
        evidence the tier rules judge a level by (items 57, 66, 67, 72, 104; 82 and 105 where
        the book waits)."""
        return kept_buyers(mem.c_buyers, now - self.params.perch_half_life_seconds)

    def _tier_held(self, mem: OfferMemory, since: float, now: float) -> bool:
        """A trial level unsold since ``since`` waits for the pace of the tier of our buyers who
        stated it, through the rivals' return too (``tier_hold_tasks``, item 66,
        strategies/robust_hold.py); not item 51's trial, which item 57 judges at its level."""
        p = self.params
        return (
            p.tier_hold_tasks > 0
            and not mem.t_open
            and tier_holds(
                self._recent_buyers(mem, now),
                mem.p_price,
                since,
                now,
                p.tier_hold_tasks,
            )
        )

    def _settled_held(self, mem: OfferMemory, settled: float, now: float) -> bool:
        """A trial settled since ``settled`` at a level item 66 held for its tier is kept
        through the rivals' return while the tier of our buyers who stated the level is not due
        to have bought again (``tier_settled_tasks``, item 67, strategies/robust_hold.py). A
        level that sold within its market-led pace is not the tier's: ended as before (train
        ``undercut_slow`` 1005's 1,070 M trial kept so: x 0.78)."""
        p = self.params
        return (
            p.tier_settled_tasks > 0
            and mem.h_held
            and settled_holds(
                self._recent_buyers(mem, now),
                mem.r_lo or mem.p_price,  # a refine probe's price that sold, not the probe
                settled,
                now,
                p.tier_settled_tasks,
            )
        )

    def _step_seconds(self, mem: OfferMemory) -> float:
        """How long a trial's price waits unsold: as long as the market-led price took to sell
        ``perch_step_tasks`` tasks (paced, ``_paced``), within 15 min and a quarter of a trial."""
        p = self.params
        _, m_tasks, m_secs = mem.market_ev
        step = p.perch_step_tasks * m_secs / m_tasks if m_tasks > 0 else p.perch_trial_seconds
        # a finer step is tried for less long (the descent covers an octave in the same time),
        # but never under 15 min
        octave = math.log(p.perch_step_down) / math.log(0.5)
        return max(min(self._paced(mem, step), p.perch_trial_seconds / 4) * octave, 900.0)

    def _probe(self, mem: OfferMemory, now: float, since: float, top: int) -> OfferMemory:
        """A trial step at the perch's lowest rung, rivals in stock (robust_captive's doc): two tasks
        sold to buyers who passed a rival over start the perch's trial from ``top`` at once;
        fewer, and the next probe waits twice as long."""
        if mem.q_count >= _PROBE_TASKS:
            wait = self.params.captive_probe_seconds
            return _new_level(mem, now, top, q_probe=False, q_next=now + wait, q_wait=wait)
        if now - since < self._step_seconds(mem):
            return mem
        wait = 2 * mem.q_wait
        return replace(mem, q_probe=False, p_mode="market", q_next=now + wait, q_wait=wait)

    def _unmask(self, mem: OfferMemory, now: float, top: int, *, in_stock: bool) -> OfferMemory:
        """The unmasking probe after a big supplier left (strategies/robust_leaves.py): at the
        perch's lowest rung, the book shows whether the remaining rivals sell out once we are
        not under them. Out at least ``perch_out_share`` of the probe: the perch's count is raised
        to that and a trial starts from ``top`` at once; otherwise back to the market-led price,
        and the next probe waits twice as long."""
        p = self.params
        dt = max(0.0, now - (mem.last_at or now))
        out, secs, verdict = probe_step(
            mem.l_out,
            mem.l_secs,
            dt,
            in_stock=in_stock,
            length=p.leaves_probe_seconds,
            share=p.perch_out_share,
        )
        mem = replace(mem, l_out=out, l_secs=secs)
        if verdict is None:
            return mem
        wait = mem.l_wait or 2 * p.leaves_probe_seconds
        if verdict:
            mem = _lift_out(mem, out / secs)
            return _new_level(mem, now, top, l_probe=False, l_next=now + wait, l_wait=wait)
        return replace(mem, l_probe=False, p_mode="market", l_next=now + 2 * wait, l_wait=2 * wait)

    def _rejoin(self, now: float, was: OfferMemory, mem: OfferMemory) -> OfferMemory:
        """Churning rivals: go back to the perch that paid as soon as they are out again.

        What buyers above the market pay does not change when a rival comes and goes: a perch
        committed (it beat the market-led mode) while rivals were out of stock is still the
        price to quote the next time they are. Without a memory, each return of a rival costs
        a wait (``perch_wait_seconds``) and a whole descent from the rails' top again (train
        churn 1007: 6 h + 7 h of market-led prices and unsold trial prices per return). So the
        price of a committed perch is remembered for ``perch_rejoin_seconds`` after it was last
        held; while remembered, rivals out of stock again (the perch's own slow count) start a
        trial at once, from that price instead of the top (it still has to sell at the break-even
        pace, and descends from there). A trial that loses or a check the perch does not pass
        with rivals still out (the perch stopped paying: demand fell) forgets it.
        """
        p = self.params
        if p.perch_rejoin_seconds <= 0 or p.perch_trial_seconds <= 0:
            return mem
        if mem.p_mode == "perch":
            return replace(mem, perch_known=mem.p_price, perch_known_at=now)
        known = mem.perch_known
        if not known:
            return mem
        rivals_back = mem.p_out < p.perch_out_share / 2
        lost = mem.p_mode == "market" and was.p_mode in ("trial", "check")
        if (lost and not rivals_back) or now - mem.perch_known_at > p.perch_rejoin_seconds:
            return replace(mem, perch_known=0)
        if mem.p_mode == "trial" and not mem.p_settled and mem.p_price > known:
            return replace(mem, p_price=known)
        if mem.p_mode == "market" and mem.p_out >= p.perch_out_share and (mem.p_next or 0) > now:
            return replace(mem, p_next=now)
        return mem

    def _refine(
        self,
        snapshot: MarketSnapshot,
        offer: Offer,
        was: OfferMemory,
        mem: OfferMemory,
        *,
        waits: bool = True,
    ) -> OfferMemory:
        """Probe upward above a perch that sells (``perch_refine``; robust_ladder's module doc).

        A trial's descent remembers its last unsold level (a rails cap is not one: only a
        halving restarts the level's clock); once the trial's price sold and the perch has
        ``perch_refine_tasks`` sales of evidence, ``robust_ladder.probe_step`` bisects between
        the two. A probe running when the perch ends (a check, rivals back) falls back to the
        price that sold.
        """
        p = self.params
        if p.perch_refine <= 1:
            return mem
        now = snapshot.at
        if mem.p_mode == "trial" and not mem.p_settled:
            if was.p_mode != "trial":
                return replace(mem, r_lo=0, r_hi=0, r_w=0.0)
            if 0 < mem.p_price < was.p_price and mem.p_since == now:
                return replace(mem, r_hi=was.p_price, r_w=now - (was.p_since or now))
            return mem
        if mem.p_mode not in ("trial", "perch"):
            return replace(mem, p_price=mem.r_lo, r_lo=0) if mem.r_lo else mem
        if p.perch_capped_bound and mem.p_mode == "trial" and not was.p_settled:
            mem = replace(mem, r_hi=capped_bound(mem.r_hi, mem.p_price, p.perch_step_down))
        _, tasks, secs = mem.perch_ev
        if not mem.r_lo and tasks < p.perch_refine_tasks:
            return mem
        wait = p.perch_refine_tasks * secs / tasks if tasks > 0 else p.perch_trial_seconds
        wait = min(max(wait, 900.0), p.perch_trial_seconds / 4)
        sold = mem.r_lo > 0 and any(
            d.price >= mem.p_price for d in snapshot.own_deals(mem.r_at, offer.category)
        )
        rate = tasks / secs if secs > 0 else 0.0
        # a probe inside the planner's deadband is never listed (strategies/robust_band.py)
        band = p.cross_band if p.refine_band else 0.0
        probe, unsold = bound_step(
            Probe(mem.p_price, mem.r_lo, mem.r_hi, mem.r_at),
            mem.r_w,
            now=now,
            sold_at_price=sold,
            wait=wait,
            ratio=band_ratio(
                tier_ratio(
                    p.perch_refine,
                    rate=rate,
                    horizon=p.tier_horizon_seconds
                    if mem.p_mode == "perch" and not weak_bound(mem.r_w, rate, p.perch_bound_sales)
                    else 0.0,
                    cost=p.perch_refine_tasks
                    + 2.0 * p.cancel_cost / max(1, mem.r_lo or mem.p_price),
                ),
                band,
            ),
            rate=bound_rate(
                tasks, secs, p.perch_bound_z if waits or not p.perch_bound_waits else 0.0
            ),
            sales=p.perch_bound_sales,
            step_down=p.perch_step_down,
            committed=mem.p_mode == "perch",
            fresh=was.p_mode != "perch"
            or (
                p.perch_bound_renew
                and mem.p_mode == "perch"
                and hold_renewed(was.p_since, mem.p_since, now)
            ),
        )
        probe = band_probe(probe, band)
        off = mem.r_off
        if mem.r_lo and not probe.lo and probe.price == mem.r_lo:
            # the probe went unsold: back at the price that sold, its time was not that price's
            off += probe_seconds(now - mem.r_at, p.perch_half_life_seconds)
        return replace(
            mem,
            p_price=probe.price,
            r_lo=probe.lo,
            r_hi=probe.hi,
            r_at=probe.at,
            r_w=unsold,
            r_off=off,
        )

    def _perch_caps(
        self, snapshot: MarketSnapshot, offer: Offer, mem: OfferMemory, *, waits: bool
    ) -> OfferMemory:
        """A perch that sells, moved to where its buyers' caps put it (``perch_caps_tasks``;
        item 43, ``strategies/robust_caps.py``'s ``perch_at_caps``).

        Only between the refine's probes (a probe's own sale or unsold time decides it) and once
        the trial's price sold; before the refine, which then probes from where the caps put
        the perch, or not at all under a bound one nRLC above it. A bound the caps set carries
        the perch's whole evidence as its unsold time, renewed at each decision: no buyer of it
        stated more (item 12's test then calls it strong, and the bound one nRLC over the perch
        is not re-probed).
        """
        k = self.params.perch_caps_tasks
        settled = mem.p_mode == "perch" or (mem.p_mode == "trial" and mem.p_settled)
        if k <= 0 or not settled or mem.r_lo or mem.p_price <= 0:
            return mem
        buyers = self._caps_buyers(  # item 105 where the book waits
            snapshot,
            offer,
            mem,
            on=self.params.perch_caps_kept,
            waits=waits,
            since=snapshot.at - self.params.perch_half_life_seconds,
        )
        price, hi = perch_at_caps(buyers, mem.p_price, mem.r_hi, k)
        unsold = mem.r_w if hi == mem.r_hi else 0.0
        if hi and hi == price + 1:
            unsold = max(unsold, mem.perch_ev[2])
        if (price, hi, unsold) == (mem.p_price, mem.r_hi, mem.r_w):
            return mem
        return replace(mem, p_price=price, r_hi=hi, r_w=unsold)

    def _vouch_bound(self, snapshot: MarketSnapshot, offer: Offer, mem: OfferMemory) -> OfferMemory:
        """A perch at its vouched level, bounded one nRLC above it (``vouch_bound``; item 52,
        ``strategies/robust_vouch.py``'s ``vouched_bound``): between the refine's probes, once
        the trial's price sold. The bound carries the perch's whole evidence as its unsold time,
        renewed at each decision, as item 43's does (``_perch_caps``). A trial item 51's tier
        opened (``t_open``) takes the same bound at its level, even where the rails capped the
        level under the tier (its own key gates it; merged with item 52 in session 15)."""
        settled = mem.p_mode == "perch" or (mem.p_mode == "trial" and mem.p_settled)
        if not settled or mem.r_lo or mem.v_price <= 0:
            return mem
        if mem.t_open and mem.p_price == mem.v_price:
            # item 51's trial: its level is the window's top tier, or the rails' cap under it
            hi = mem.v_price + 1
        elif self.params.vouch_bound:
            buyers = _buyers(snapshot, offer, snapshot.at - self.params.perch_half_life_seconds)
            hi = vouched_bound(buyers, mem.p_price, mem.v_price, mem.r_hi)
        else:
            return mem
        unsold = mem.r_w if hi == mem.r_hi else 0.0
        if hi and hi == mem.p_price + 1:
            unsold = max(unsold, mem.perch_ev[2])
        if (hi, unsold) == (mem.r_hi, mem.r_w):
            return mem
        return replace(mem, r_hi=hi, r_w=unsold)

    def _paced(self, mem: OfferMemory, step: float) -> float:
        """How long a trial's price waits unsold before it is halved: until the market-led mode
        would have earned ``trial_pace_sales`` sales of it (``step`` when off or unmeasured).

        A perch at ``q`` beats the market-led mode (``r`` nRLC/s) only if it sells at least one
        task per ``q / r`` seconds; waiting that long, a perch that just breaks even goes unsold
        with probability ``exp(-trial_pace_sales)``, whatever ``q`` is. A fixed count of the
        market-led price's own sales (the off rule) is the same wait at every price: at a price
        40x the market's, a break-even perch shows no sale in it ~93 % of the time, so the trial
        left a paying perch within minutes (train rival_leaves 1011: the ceiling, where the
        best fixed price sits once the cheap rival left, was abandoned after 15 minutes). By
        default only a rejoined perch's price is paced (``trial_pace_unknown``): it paid before,
        while a level no perch has paid at is more likely far above every buyer, and pacing
        those too cost more on busy train markets than it found (docs/strategies.md, robust 6).
        """
        pace = self.params.trial_pace_sales
        earned, _, secs = mem.market_ev
        if pace <= 0 or earned <= 0 or secs <= 0:
            return step
        left = mem.l_until > (mem.last_at or 0.0)  # strategies/robust_leaves.py
        if (
            not self.params.trial_pace_unknown
            and mem.p_price != mem.perch_known
            and not left
            and not _at_vouched(mem)  # item 48
        ):
            return step
        return pace * mem.p_price * secs / earned

    def _unserved(self, snapshot: MarketSnapshot, offer: Offer, mem: OfferMemory) -> OfferMemory:
        """The perch's count of rivals out of stock, raised to the share of time they would be
        out were we not undercutting them.

        While our price is the cheapest, the buyers take our orders first and the rivals keep
        their stock: the book shows them in stock even when the demand is far above what they
        can sell (a surge, or small rivals on a busy market), so the count the perch opens on
        stays low, and the perch opens late or never. What the market bought is visible anyway:
        the category's deals (every pool's, ours included) against what the rivals could have
        sold in the same time (their restocks, the increases of their orders' remaining, plus the
        stock they hold now). Decayed with ``perch_demand_seconds``; once the deals reach
        ``perch_step_tasks``, the rivals would be out at least ``1 - supply / deals`` of the
        time, and the count is raised to that. Only the market-led mode reads it: at a perch the
        book itself shows whether the rivals sell out.
        """
        p = self.params
        now = snapshot.at
        # stopped for the offer after a read trial sold nothing (item 41, strategies/robust_read.py)
        tau = 0.0 if mem.d_off else p.perch_demand_seconds
        if tau <= 0 and mem.l_until > now:
            tau = p.leaves_demand_seconds  # after a big supplier left (strategies/robust_leaves.py)
        if tau <= 0 or mem.p_mode != "market":
            return mem
        since = now if mem.last_at is None else mem.last_at
        keep = math.exp(-(now - since) / tau)
        bought = sum(
            d.volume
            for d in snapshot.deals
            if d.category == offer.category
            and d.tag == offer.tag
            and d.price > 0
            and since < d.at <= now
        )
        rivals, _ = relevant_competitors(snapshot.competitors_for(offer), self._rivals)
        stock = {r.order_hash: float(r.remaining) for r in rivals}
        restocked = sum(max(0.0, v - mem.d_stock.get(h, 0.0)) for h, v in stock.items())
        deals = keep * mem.d_deals + bought
        restock = keep * mem.d_restock + restocked
        mem = replace(mem, d_stock=stock, d_deals=deals, d_restock=restock)
        if deals < p.perch_step_tasks:
            return mem
        out = 1.0 - (restock + sum(stock.values())) / deals
        if mem.l_until > now:
            return _lift_out(mem, out)  # item 24's reading: the book's own count takes it too
        return replace(mem, p_out=out) if out > mem.p_out else mem

    def _leaves(self, now: float, rivals: Sequence[BookEntry], mem: OfferMemory) -> OfferMemory:
        """Follow each rival pool's presence and stock; the market's big steady supplier gone
        opens the window after it, and its return closes it (strategies/robust_leaves.py)."""
        p = self.params
        if p.leaves_window_seconds <= 0:
            return mem
        dt = 0.0 if mem.last_at is None else now - mem.last_at
        listed: dict[str, int] = {}
        for r in rivals:
            listed[r.workerpool] = listed.get(r.workerpool, 0) + r.remaining
        ex = track_exits(
            mem.l_pools,
            mem.l_gone,
            listed,
            now,
            dt,
            share=p.leaves_share,
            stock_share=p.leaves_stock_share,
            after=p.leaves_gone_seconds,
        )
        mem = replace(mem, l_pools=ex.pools, l_gone=ex.gone)
        if ex.left:  # the window opens, its first probe at once
            mem = replace(mem, l_until=now + p.leaves_window_seconds, l_next=now, l_wait=0.0)
        return replace(mem, l_until=0.0) if ex.back else mem

    def _lost_unsold(self, mem: OfferMemory) -> OfferMemory:
        """A trial ends for want of a sale at its level: that level is remembered for item 61's
        test (``tier_open_unsold``; strategies/robust_measured.py); off, the memory as it was."""
        if not self.params.tier_open_unsold:
            return mem
        return replace(mem, t_unsold=unsold_level(mem.t_unsold, mem.p_price))

    def _read_lost(self, mem: OfferMemory) -> OfferMemory:
        """A trial the demand reading opened sold at none of its prices (item 41,
        strategies/robust_read.py): back to the market-led price with the schedule as it was (no
        back-off; the trial was due), the reading stopped for this offer and the count back to
        what the book alone shows, so the next trial opens where it would have without it."""
        return replace(mem, p_mode="market", p_left=0, p_out=mem.p_book, d_off=True)

    def _perch_lost(self, mem: OfferMemory, now: float) -> OfferMemory:
        if mem.t_open:  # a trial our buyers' top tier opened is lost: not again (item 51)
            mem = replace(mem, t_open=False, t_lost=True)
        if mem.p_left > 0:
            return self._read_lost(mem)  # rivals back before a read trial sold (item 41)
        usual = early_lost_due(mem.p_usual, now)
        if usual is not None:
            # an early first trial lost before the usual first trial's time: that trial still
            # falls due, as if the early one had not run (strategies/robust_tier.py, item 35)
            return replace(mem, p_mode="market", p_next=usual, p_usual=0.0)
        wait = max(mem.p_wait, 2 * self.params.perch_wait_seconds)
        return replace(mem, p_mode="market", p_next=now + wait, p_wait=2 * wait)

    def _own_ev(self, mem: OfferMemory) -> list[float]:
        """The perch's evidence its commit and checks are judged on (``perch_probe_apart``)."""
        return (
            own_price_ev(mem.perch_ev, mem.r_off) if self.params.perch_probe_apart else mem.perch_ev
        )

    def _perch_pays(self, mem: OfferMemory, margin: float = 1.0, z: float | None = None) -> bool:
        """The perch's lower revenue bound per second (``z`` deviations, ``perch_confidence``
        unless given) beats ``margin`` x the market-led mode's mean (``check_margin``: by how
        much a perch must lead to skip its check)."""
        lower = lower_rate(self._own_ev(mem), self.params.perch_confidence if z is None else z)
        if lower is None:
            return False
        m_earned, _, m_secs = mem.market_ev
        return lower > (margin * m_earned / m_secs if m_secs > 0 else 0.0)

    @staticmethod
    def _account(mem: OfferMemory, earned: float, dt: float) -> OfferMemory:
        e = dict(mem.earned)
        s = dict(mem.seconds)
        e[mem.posture] = e.get(mem.posture, 0.0) + earned
        s[mem.posture] = s.get(mem.posture, 0.0) + dt
        return replace(mem, earned=e, seconds=s)

    def _passed(
        self,
        now: float,
        rivals: Sequence[BookEntry],
        listed: int | None,
        quote: int,
        mem: OfferMemory,
        sold: float,
        dt: float,
    ) -> OfferMemory:
        """Item 92: the share of led decisions whose quote passes over a small undercutter under
        our listed price; in war outside a round, whether one opened now would be this
        trigger's (kept through the round and the posture it commits to)."""
        p = self.params
        moved = [
            r.workerpool in mem.u_moves
            and moved_within(mem.u_moves[r.workerpool], now, p.memory_seconds)
            for r in rivals[:1]
        ]
        small = [(r.price, r.remaining, m) for r, m in zip(rivals, moved, strict=False)]
        seen = passes_small(small, listed, quote)
        share = passed_share(mem.o_passed, seen, p.follow_smoothing)
        idle = mem.posture == "war" and not mem.probing  # a round opened now is this trigger's
        tasks = decayed_tasks(mem.o_tasks, sold, dt, p.memory_seconds)
        mine = (
            share >= p.follow_passed_share
            and mem.lost < p.follow_share  # not main's trigger
            and probe_sells(tasks, p.memory_seconds, p.probe_seconds)
        )
        opened = mine if idle else mem.o_opened
        war = (listed or 0) if idle else mem.o_war
        return replace(mem, o_passed=share, o_opened=opened, o_war=war, o_tasks=tasks)

    def _follower(
        self,
        now: float,
        rivals: Sequence[BookEntry],
        listed: int | None,
        got: Quote,
        mem: OfferMemory,
        *,
        still: bool = True,
        gas: bool | None = None,
        keep_gas: bool | None = None,
        unpaid: bool = False,
        dragged: bool = False,
        starved: bool = False,
    ) -> tuple[int, str, OfferMemory]:
        """Guard 1: the follower's share, the posture, its price. ``still``: whether
        ``follow_still`` may put a round off (item 62: not where the floor's tasks earn a
        slot-second less than the pool's other offers). ``gas``: whether postures are judged net
        of gas, ``keep_gas``: whether the gas book is kept (None: ``follow_gas``, main's);
        ``unpaid``: the base's cut does not pay its cancels, which opens the probe too (item 76),
        except while a war the last round committed to is kept (``commit_seconds``). ``dragged``
        (item 78's key with item 76's): a floor posture committed by a round item 76's trigger
        opened goes back to war once it falls under ``follow_floor_share`` x its first price;
        ``starved`` (item 78): a hold leaves a restocking undercutter the buyers, so a committed
        hold posture goes back to war."""
        p = self.params
        gas = p.follow_gas if gas is None else gas
        keep_gas = p.follow_gas if keep_gas is None else keep_gas
        drag = p.follow_floor_share
        if drag <= 0 and p.follow_passed_share > 0:  # item 92: its own floors' drag checked
            drag = PASSED_DRAG
        if rivals:
            cheapest = rivals[0]
            if mem.low is None or cheapest.price <= mem.low or now - mem.low_at > p.memory_seconds:
                mem = replace(mem, low=cheapest.price, low_at=now)
            if listed is not None and mem.aimed:
                # per rival pool: one fast follower is under us almost always; several slower
                # undercutters each only part of the time (a price war, not a follower)
                below = {r.workerpool for r in rivals if r.price < listed}
                a = p.follow_smoothing
                shares = {
                    pool: passed_share(mem.under.get(pool, 0.0), pool in below, a)
                    for pool in set(mem.under) | below
                }
                shares = {k: v for k, v in shares.items() if v >= 0.01}
                top = max(sorted(shares), key=lambda k: shares[k], default="")
                mem = replace(
                    mem,
                    under=shares,
                    lost=shares.get(top, 0.0),
                    follower=top or mem.follower,
                )
        if mem.probing:
            if now - mem.posture_since >= p.probe_seconds:
                # next posture to probe, or commit to the best measured one
                nxt = {"war": "floor", "floor": "hold", "hold": ""}[mem.posture]
                if nxt:
                    mem = replace(mem, posture=cast(Posture, nxt), posture_since=now)
                else:
                    rates = {q: _rate(mem, q) for q in POSTURES}
                    best = max(POSTURES, key=lambda q: (rates[q] or 0.0, q == "war"))
                    if gas:  # item 49: each posture's probe and last stretch, net of gas
                        chosen = net_best(
                            mem.earned, mem.seconds, mem.u_gas, mem.u_stretch, POSTURES
                        )
                        best = cast(Posture, chosen) if chosen else best
                    mem = replace(
                        mem, posture=best, posture_since=now, probing=False, committed_at=now
                    )
                    if keep_gas:  # a new stretch of the committed posture begins
                        mem = replace(mem, u_stretch={**mem.u_stretch, best: [0.0, 0.0, 0.0]})
                    if p.follow_hold_max > 0:  # item 46 (strategies/robust_posture.py)
                        kept = kept_in_a_row(mem.u_kept, mem.u_prev, best)
                        mem = replace(mem, u_kept=kept, u_prev="")
        elif (
            p.follow_still
            and still
            and not mem.probing
            and (
                still_floor(mem.posture, got.price, mem.low, p.floor)
                or (p.follow_still_quiet and quiet_floor(mem.posture, mem.lost))
            )
            and now - mem.committed_at
            >= posture_hold(p.commit_seconds, mem.u_kept, p.follow_hold_max)
        ):
            # war would quote what floor does: no round to learn from (item 58)
            mem = replace(mem, committed_at=now)
        elif mem.posture != "war" and now - mem.committed_at >= posture_hold(
            p.commit_seconds, mem.u_kept, p.follow_hold_max
        ):
            # revisit the choice: measure all three again from war
            mem = replace(
                mem,
                posture="war",
                posture_since=now,
                probing=True,
                earned={},
                seconds={},
                u_gas={},
                u_prev=mem.posture if p.follow_hold_max > 0 else "",
            )
        elif mem.posture == "war" and (
            mem.lost >= p.follow_share
            or (
                unpaid
                and now - mem.committed_at
                >= posture_hold(p.commit_seconds, mem.u_kept, p.follow_hold_max)
            )
        ):
            # (item 76: an unpaid cut opens the probe, but not inside a war a round chose)
            # out-followed: measure war as it was, then the two other postures
            if dragged:  # item 78: which trigger opened the round
                mem = replace(mem, w_opened=mem.lost < p.follow_share)
            secs = mem.seconds.get("war", 0.0)
            keep = min(1.0, p.probe_seconds / secs) if secs > 0 else 1.0
            mem = replace(
                mem,
                posture="floor",
                posture_since=now,
                probing=True,
                earned={"war": mem.earned.get("war", 0.0) * keep},
                seconds={"war": min(secs, p.probe_seconds)},
            )
            if gas:  # item 49: war's evidence is its whole stretch (u_stretch)
                mem = replace(mem, earned={}, seconds={}, u_gas={})
            elif keep_gas:  # item 76: the gas book of this round only
                mem = replace(mem, u_gas={})
        elif mem.posture == "war" and not mem.probing:
            # keep only the recent war record (what a probe compares against)
            secs = mem.seconds.get("war", 0.0)
            if secs > p.probe_seconds:
                scale = p.probe_seconds / secs
                mem = replace(
                    mem,
                    earned={"war": mem.earned.get("war", 0.0) * scale},
                    seconds={"war": p.probe_seconds},
                )
        if starved and mem.posture == "hold" and not mem.probing:
            mem = _leave_posture(mem, now, keep_gas=keep_gas)
        # the floor posture's price (one nRLC under the lowest rival seen, strided down), when
        # it last stepped and the follower's longest answer: item 78 checks it before the
        # posture is kept, and it is listed below if the posture stays
        quote: tuple[int, float, float] | None = None
        if p.follow_still_quiet and p.follow_quiet_back and (mem.probing or mem.posture == "floor"):
            # item 88: the follower's lowest price over the round and the floor it committed
            kept = follower_low(
                mem.q_low, [r.price for r in rivals if r.workerpool == mem.follower]
            )
            mem = replace(mem, q_low=kept)
        if mem.posture == "floor" and mem.low is not None:
            quote = (floor_price(mem.low, p.floor), mem.u_step_at, mem.u_waited)
            if p.follow_stride > 0 and listed is not None:
                quote = stride_under(
                    rivals,
                    mem.follower,
                    listed,
                    quote[0],
                    mem.u_step_at,
                    mem.u_waited,
                    p.follow_stride,
                    p.floor,
                    now,
                )
            if p.follow_still_quiet and p.follow_quiet_back:  # item 88
                quiet = not mem.probing and quiet_floor(mem.posture, mem.lost)
                if mem.q_up and not quiet:  # a pool came back under the raised price
                    mem = replace(mem, q_up=False, q_n=mem.q_n + 1)
                raised = quiet_back(
                    quote[0],
                    mem.q_low if quiet and mem.q_n < QUIET_BACK_TRIES else 0,
                    min(
                        [r.price for r in rivals[:1]] + ([mem.low] if mem.low else []), default=None
                    ),
                    p.floor,
                )
                mem = replace(mem, q_up=mem.q_up or raised > quote[0])
                quote = (raised, quote[1], quote[2])
            price = quote[0]
            if mem.probing:
                pass
            elif mem.w_floor > 0 and not floor_near(price, mem.w_floor, drag):
                # item 78: a committed floor that fell under its first price drags the
                # undercutters down: back to war
                mem = _leave_posture(mem, now, keep_gas=keep_gas)
            elif mem.w_floor == 0 and dragged:
                # the stretch's first decision: checked only if item 76's trigger opened the
                # round (-1: not checked)
                first = price
                if p.follow_passed_share > 0 and mem.o_opened and mem.o_war > 0:
                    first = mem.o_war  # item 92: against war's listed price at the round's start
                mem = replace(mem, w_floor=first if mem.w_opened else -1)
        if mem.w_floor != 0 and (mem.posture != "floor" or mem.probing):
            mem = replace(mem, w_floor=0)
        if (mem.q_low != 0 or mem.q_up or mem.q_n) and not (mem.probing or mem.posture == "floor"):
            mem = replace(mem, q_low=0, q_up=False, q_n=0)  # item 88: a new stretch
        if quote is not None and mem.posture == "floor":
            # (leaving the posture changed it; item 78's w_floor leaves the quote's inputs be)
            price, at, waited = quote
            if (at, waited) != (mem.u_step_at, mem.u_waited):
                mem = replace(mem, u_step_at=at, u_waited=waited)
            return (
                price,
                f"out-followed: posture floor, 1 nRLC under the lowest rival {mem.low}",
                mem,
            )
        if mem.posture == "hold":
            others = [r for r in rivals if r.workerpool != mem.follower]
            if others:
                price = under(others[0].price, p.step, p.floor)
                return (
                    price,
                    f"out-followed: posture hold, under {others[0].price} (not the follower)",
                    mem,
                )
            return got.price, "out-followed: posture hold, no other rival: base price", mem
        tag = " (probing)" if mem.probing else ""
        return got.price, f"{got.reason}; posture war{tag}", mem

    def _markup(
        self,
        snapshot: MarketSnapshot,
        mem: OfferMemory,
        earned: float,
        dt: float,
        *,
        market_short: bool,
        smoothed: bool = False,
    ) -> OfferMemory:
        """One step of the scarcity markup: a raise is a trial, kept only if it paid."""
        p = self.params
        util = snapshot.utilization
        if util is None:
            return mem
        u = util.ratio
        u_avg = (
            u if mem.u_avg is None else p.util_smoothing * u + (1 - p.util_smoothing) * mem.u_avg
        )
        mem = replace(
            mem, u_avg=u_avg, m_earned=mem.m_earned + earned, m_seconds=mem.m_seconds + dt
        )
        now = snapshot.at
        if mem.markup_at is not None and now - mem.markup_at < p.markup_interval_seconds:
            return mem
        rate = mem.m_earned / mem.m_seconds if mem.m_seconds > 0 else 0.0
        up = math.log1p(p.markup_up)
        log_m, trial, base_rate = mem.log_m, False, mem.m_base_rate
        cooldown_until, backoff = mem.m_cooldown_until, mem.m_backoff or p.markup_interval_seconds
        tried = mem.m_trial
        if tried and (rate <= 0 or rate < base_rate * (1 - p.markup_tolerance)):
            # the raise lost more volume than it gained in price: back, and wait before the next
            log_m -= up
            cooldown_until = now + backoff
            backoff = min(2 * backoff, p.memory_seconds * 4)
        else:
            if tried:
                backoff = p.markup_interval_seconds
            if (
                u_avg >= p.scarce_utilization
                and market_short
                and rate > 0
                and now >= cooldown_until
                and not mem.s_capped  # a raise an unsold bound swallows is no trial
                and trial_pays(  # item 74: its best case pays its cancel's gas
                    rate,
                    p.markup_interval_seconds,
                    up,
                    p.cancel_cost,
                    p.markup_gas_cancels,
                    smoothed=smoothed,
                )
            ):
                log_m, trial, base_rate = log_m + up, True, rate
            elif u_avg < p.idle_utilization or not market_short:
                log_m += math.log1p(-p.markup_down)
        log_m = min(max(log_m, 0.0), math.log(p.max_markup))
        if log_m == mem.log_m:
            trial = False
        return replace(
            mem,
            log_m=log_m,
            markup_at=now,
            m_trial=trial,
            m_base_rate=base_rate,
            m_cooldown_until=cooldown_until,
            m_backoff=backoff,
            m_earned=0.0,
            m_seconds=0.0,
        )

    def _unsold(
        self,
        mem: OfferMemory,
        now: float,
        dt: float,
        listed: int | None,
        deals: Sequence[Deal],
        perched: bool,
        price: int,
        why: str,
        *,
        base: int,
        led: bool,
    ) -> tuple[int, str, OfferMemory]:
        """A marked-up market-led price is held under the lowest price we listed that nobody
        bought for a window (``unsold_sales``; strategies/robust_scarce.py). A perch's listings
        are guard 5's evidence: the window restarts after one."""
        p = self.params
        was = Unsold(mem.s_low, mem.s_since, mem.s_rate, mem.s_bound, mem.s_bound_at)
        if perched:
            was = replace(was, low=0, since=None)
        u = unsold_step(
            was,
            now=now,
            dt=dt,
            listed=None if perched else listed,
            sold=float(sum(d.volume for d in deals)),
            top_sold=max((d.price for d in deals), default=0),
            sales=p.unsold_sales,
            least=p.unsold_least_seconds,
            forget=p.unsold_seconds,
            smoothing=p.unsold_seconds,
        )
        cap = round(u.bound * (1 - p.markup_down)) if u.bound else 0
        capped = bool(cap) and led and mem.log_m > 0 and price > max(cap, base)
        if capped:
            price = max(cap, base)
            why += f"; held under {u.bound}, listed unsold"
        mem = replace(
            mem,
            s_low=u.low,
            s_since=u.since,
            s_rate=u.rate,
            s_bound=u.bound,
            s_bound_at=u.bound_at,
            s_capped=capped,
        )
        return price, why, mem

    def _harvest(
        self, snapshot: MarketSnapshot, offer: Offer, price: int
    ) -> tuple[int, int] | None:
        """A price under ``price`` that sells the captive requests waiting in the book, or None.

        Requests naming our pool wait (up to their patience) with their max prices in the book:
        each is revealed demand that no rival can take. Above their caps they are lost; a price
        at the single best one for all would sell the rest at far less than the market-led price
        earns from everyone else. So they are sold *down*: once those waiting under ``price``
        would, at the best common floor (the most of ``cap x`` the tasks taking at or above it,
        within our free capacity), pay ``captive_harvest_cancels`` cancels, the quote comes down
        to that floor; the rails' step takes it there a step per tick, each step selling the
        ones whose cap it passes at about their cap (a descending auction). The next decision
        recomputes from what still waits; when nothing worth it waits, the market-led price is
        back.
        """
        p = self.params
        if p.captive_harvest_cancels <= 0:
            return None
        waiting = sorted(
            (
                (r.workerpoolmaxprice, r.remaining)
                for r in snapshot.demand_for(offer)
                if r.workerpool == snapshot.workerpool and 0 < r.workerpoolmaxprice < price
            ),
            reverse=True,
        )
        if not waiting:
            return None
        capacity = offer_capacity(snapshot.utilization, offer, snapshot.tasks)
        best, best_n, best_rev, n = 0, 0, 0, 0
        for cap, remaining in waiting:
            n += remaining
            rev = cap * min(n, capacity)
            if rev > best_rev:
                best, best_n, best_rev = cap, min(n, capacity), rev
        if best_rev < p.captive_harvest_cancels * p.cancel_cost:
            return None
        return best, best_n

    def _captive(
        self,
        snapshot: MarketSnapshot,
        offer: Offer,
        current: int,
        mem: OfferMemory,
        deals: Sequence[Deal],
    ) -> OfferMemory:
        """``deals``: the offer's deals since its last decision (``_price`` reads them once)."""
        p = self.params
        now = snapshot.at
        addressed = [r for r in snapshot.demand_for(offer) if r.workerpool == snapshot.workerpool]
        # and buyers whose deals with us since the last decision named our pool (item 34)
        ours = deals if p.captive_deal_buyers else ()
        buyers = [r.requester for r in addressed]
        buyers += [d.requester for d in naming(snapshot.workerpool, ours)]
        if buyers:
            known = list(mem.captive)
            for b in buyers:
                if b not in known:
                    known.append(b)
            mem = replace(mem, captive=known[-_MAX_CAPTIVE_REQUESTERS:], captive_seen_at=now)
        if mem.captive_seen_at is None or now - mem.captive_seen_at > p.memory_seconds:
            return replace(mem, captive_price=None, captive_at=None)
        if mem.captive_at is not None and now - mem.captive_at < p.captive_interval_seconds:
            return mem
        start = now - p.captive_interval_seconds if mem.captive_at is None else mem.captive_at
        mine = set(mem.captive)
        sold = sum(
            d.volume for d in snapshot.own_deals(start, offer.category) if d.requester in mine
        )
        capacity = offer_capacity(snapshot.utilization, offer, snapshot.tasks)
        base = mem.captive_price if mem.captive_price is not None else current
        waiting = sorted(((r.workerpoolmaxprice, r.remaining) for r in addressed), reverse=True)
        best_price, best_rev = base, base * min(sold, max(capacity, sold))
        above = sold
        for cap, remaining in waiting:
            if cap >= base or cap <= 0:
                continue
            above += remaining
            rev = cap * min(above, max(capacity + sold, 1))
            if rev > best_rev:
                best_price, best_rev = cap, rev
        if best_price == base and sold > 0:
            new = min(MAX_PRICE, math.ceil(base * (1 + p.captive_step)))
        else:
            new = best_price
        return replace(mem, captive_price=new, captive_at=now)

"""``robust``'s demand reading re-armed after a read trial that sold nothing (``read_rearm_seconds``;
issue #14, robust item 91).

Guard 5 opens a perch trial once the rivals were out of stock ``perch_out_share`` of the time. Where
our one-nRLC undercut sells first, the rivals keep their small stocks and the book never shows them
out; item 41's demand reading (``perch_demand_seconds``) counts instead the out-of-stock spells a
price above them *would* cause: the category's deals against what the rivals restock and hold.
A trial only the reading opened that sells at none of its first ``perch_read_rungs`` prices within
``perch_read_seconds`` ends, and the reading stops for that offer **for good** (item 41,
``strategies/robust_read.py``): one half-hour decides the rest of the run.

On train ``undercut_slow`` 1512 (item 89's worst traced loser) that half-hour threw the reading
away. One category: an undercutter that
steps ~104 k down every 35 minutes from 10.2 M and restocks 3 tasks, a fixed 6.56 M pool; the best
fixed price in hindsight is 103 M, 16 x the war, and sells 94 tasks in 72 h, about 1.3 an hour,
only while both rivals are out (43-69 % of its hours). The reading says so at 4.9 h (28.6 decayed
deals against 10.0 restocked and held: out 0.65), the trial opens, lists 1,317 M, then 103 M for 14
minutes and 51.5 M for 15 minutes, unsold (14 minutes at a level that sells about 1.3 an hour
sell nothing about three times in four), and the reading stops. From then the count is the book's own: 0.00-0.09 for 45 hours while
our undercut keeps both rivals stocked; the book's trial at 54.75 h lists 103 M and sells there 14
minutes later.

So with ``read_rearm_seconds`` on, a read trial that sold nothing stops the reading for that long
(doubling after each such trial: the pause is a back-off, as a lost trial's wait is), and the reading
then starts afresh (its decayed counts from zero, as at the run's start). A reading that is wrong
pays a half-hour unsold each pause, fewer as the pauses double; a reading that is right gets its
trial again. A read trial that sells is an ordinary trial (item 41), and the pause's length is not
reset by it (the back-off is the offer's). But a trial a *resumed* reading opened that sells and is
then lost (on its commit test, or at the rivals' return) leaves guard 5's schedule as it was, as
an unsold read trial does: it is the rule's extra trial, and with the doubled back-off of a lost
trial it put off the book's own next trial (train ``undercut_slow`` 1330, category 0: the resumed
reading's trial at 39.2 h sold at 570 M and was lost at 45.6 h, the next trial put off to 69.6 h,
where main's own trial at 44.0 h had committed a perch held from 51.3 h to the run's end: x 0.87).
And a trial only the resumed reading would open needs it halfway from ``perch_out_share`` to 1
(0.75 at 0.5): a reading that was wrong once must read the rivals out more often (train 1395,
category 1: resumed readings of 0.50 opened two trials, both unsold, x 0.93 without this).

Measured (docs/strategies.md, robust item 91): 1512 x 1.23 and the class flat, but the design
block x 0.9995 and seven old-validation ``stationary`` markets x 0.96-0.99 (each resumed read trial
unsold is half an hour off the market-led price and a jump each way; on ``undercut_fast`` 1017 the
reading counts our own sales to a waiting book): opt-in, not recommended.

Item 98 (``read_rearm_out``, off: item 91 as above): a read trial's half-hour also tests the
reading's own claim. The reading says the rivals would be out of stock most of the time were we not
under them; while the trial lists far above them, the book shows whether they are. On 1512 it
was: both rivals out 63 % and 70 % of the time of its two unsold read trials (4.92 h, 11.57 h; the
trial at 103 M sold when it came back at 50.68 h). On the design and validation markets item 91
lost on, it was not: train ``undercut_fast`` 1017 (category 0, four rivals at 49.7-125 M holding
3-5 tasks) 0 % in all three unsold read trials (4.72, 26.18, 50.48 h), ``collapse`` 1010 23 % and
3 %, ``stationary`` 1183 3 %, 23 % and 0 %: the buyers the reading counted did not go to the rivals
when we left them; they waited in the request book (1017: 4 -> 8 waiting). And each such trial
costs more than its half-hour: on 1017 the fast undercutter climbs to 88 M under our trial's 774 M
and the war walks back down from there (51-53 h: 12 tasks sold where main sold 35). So with
``read_rearm_out`` a read trial that sold nothing pauses the reading only if the book showed the
rivals out at least that share of the trial's time (its decisions, time-weighted, by guard 5's own
count); a claim the trial did not bear out stops the reading for good, as item 41. Measured at
0.5 (docs/strategies.md, robust item 98): the design block's item-91 losers back to main (42 of 43
byte-identical), 1512 x 1.23 kept, ``stationary`` 1820 x 1.52 (1512's shape); but read trials the
book bore out (rivals out 80-100 %) that still sold nothing at their two rungs remain losers (old
validation ``capacity_drop`` 1064 x 0.992, ``stationary`` extra 1924 x 0.945, ``undercut_slow``
1551 x 0.922): opt-in, not recommended.

Pure: times in, times out; robust.py owns the state (``d_off``, ``d_back``, ``d_wait``, and item
98's ``d_out``, ``d_secs``). Figures and what was tried: docs/strategies.md, robust items 91, 98.
"""

from __future__ import annotations

__all__ = ["read_borne", "read_pause", "read_resumes", "rearmed_gate", "rearmed_trial"]


def read_pause(now: float, wait: float, rearm: float) -> tuple[float, float]:
    """A read trial sold nothing at ``now``: when the reading resumes and the pause after the
    next such trial. ``wait`` is the offer's pause kept so far (0: none yet), ``rearm``
    ``read_rearm_seconds``. Off (``rearm`` 0): (0, 0), the reading stops for good (item 41)."""
    if rearm <= 0:
        return 0.0, 0.0
    pause = max(wait, rearm)
    return now + pause, 2 * pause


def read_borne(out: float, secs: float, share: float) -> bool:
    """Whether a read trial that sold nothing bore out the reading (item 98): the book showed the
    rivals out ``out`` of the trial's ``secs`` seconds, at least ``share`` (``read_rearm_out``) of
    them. Off (``share`` 0): always, item 91's pause after every unsold read trial. A trial with no
    time seen (ended at its first decision) bore out nothing."""
    if share <= 0:
        return True
    return secs > 0 and out >= share * secs


def read_resumes(off: bool, back: float, now: float) -> bool:
    """Whether a reading stopped (``off``) resumes at ``now``: it was paused (``back`` > 0, the
    time :func:`read_pause` gave) and the pause is over. A reading stopped for good (``back``
    0) never resumes."""
    return off and back > 0 and now >= back


def rearmed_trial(left: int, wait: float) -> bool:
    """Whether a trial opening now is one a resumed reading opened: a read trial (``left`` > 0
    prices to sell at, ``robust_read.read_opened``) on an offer whose reading was paused before
    (``wait`` > 0: :func:`read_pause` ran; never with the key off). Lost after it sold, such a
    trial leaves guard 5's schedule as it was (module doc)."""
    return left > 0 and wait > 0


def rearmed_gate(gate: float, wait: float, book: float) -> float:
    """The out-of-stock share guard 5's trial opens at: ``gate`` (``perch_out_share``), or
    halfway from it to 1 where only a resumed reading would open it (the reading was paused
    before, ``wait`` > 0, and the book's own count ``book`` is under ``gate``): a reading that
    was wrong once must read the rivals out more often to be trusted again (module doc)."""
    if wait > 0 and book < gate:
        return (1.0 + gate) / 2
    return gate

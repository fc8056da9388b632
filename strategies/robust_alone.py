"""``robust``'s perch when the rivals vanish for hours: held, not handed to a cold learner.

Guard 5 (strategies/robust.py) perches an offer above the rivals while they are out of stock.
When no rival is seen for ``rival_memory_seconds`` (6 h), the portfolio's base prices the offer
*alone*: Thompson sampling over its price grid (the ``bandit`` logic), whose arms know nothing of
the perch's sales. Main ended every trial and perch there, since there is no rival-led price to
perch over. On a market whose only rival lists a task every half hour (train ``surge`` 1308,
4 workers), that ended a trial at the rails' ceiling (957 M, the yardstick's price) selling 30-43
tasks an hour at 6 h; the learner then tried 25 M, 50 M and 100 M for six hours (5-13 RLC an
hour against 37 at the perch), 500 M for six more, and 500 M again inside the surge at 30 h (95
RLC an hour against about 190 at the ceiling): about 590 RLC, the whole gap to the yardstick
(4,131 against 4,713 RLC).

So with ``perch_alone`` on, a perch whose price sold (a committed perch, or a trial whose price
sold) is kept while the offer is priced alone, as long as its lower revenue bound (guard 5's
decayed sales at the perch) still beats the market-led mode's mean, the test a trial is
committed on. It is quoted as before (when above the learner's arm), its sales are credited to
it and the refine runs as usual; its hold and check wait until a rival is seen again, when guard
5 resumes from the same state. A trial still descending (nothing sold), a check and a perch that
stopped selling end as before: their price is no evidence of buyers now.

Pure: robust.py owns the state and calls it. Figures and what was tried: docs/strategies.md,
robust item 47.
"""

from __future__ import annotations

__all__ = ["held_alone"]


def held_alone(*, on: bool, mode: str, p_mode: str, settled: bool, pays: bool) -> bool:
    """Whether guard 5's perch is held as it is at a decision where the base prices ``mode``.

    ``on``: ``perch_alone`` (false: never, main's behaviour: every perch ends when alone);
    ``mode``: the base's mode for the offer (only ``alone`` holds); ``p_mode``: guard 5's mode
    (``perch`` holds; ``trial`` only once its price sold, ``settled``); ``pays``: the perch's
    lower revenue bound still beats the market-led mode's mean (the commit's own test): a perch
    that stopped selling while alone (its decayed sales fall) ends as in main.
    """
    if not on or mode != "alone" or not pays:
        return False
    return p_mode == "perch" or (p_mode == "trial" and settled)

"""``robust``'s committed perch: when it is measured against the market-led price again.

Guard 5 (strategies/robust.py) holds a committed perch for ``p_hold`` (12 h, doubling after each
check it passes), then quotes the market-led price for a whole trial's length (a *check*, 6 h)
and compares the two modes again. The check is there to notice a market-led mode that now earns
more than the perch (rivals repriced upward; the markup, frozen while perched, climbs during a
check). Where nothing shifted it only costs a trial's length of market-led prices: train
``collapse`` 1023 (checks at 24 h and 54 h, the perch earning 2.4 x the market-led mode) and
``churn`` 1007 (at 56.6 h, 6 x; the check's own undercut then kept the rivals in stock, which
read as "rivals back" and ended the perch for good). So a perch whose hold ran out is held on
without a check while nothing points to a shift: its own evidence's lower revenue bound (the
decayed sales at the perch, guard 5's bound) still beats ``check_margin`` x the market-led
mode's last measured rate, and the market-led price has not risen by that factor since the
commit. Either sign, and the check runs as before. Within the margin a check still runs: it is
where the markup finds a price above a perch that settled low (train ``stationary`` 1027: the
perch at 270 M, the markup at 785 M after two checks; x 0.89 without them).

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what
was tried and not kept: docs/strategies.md, robust item 8.
"""

from __future__ import annotations

__all__ = ["check_due"]


def check_due(*, leads: bool, base: int, base_at_commit: int, margin: float) -> bool:
    """A committed perch whose hold ran out is measured against the market-led mode again.

    ``leads``: the perch's lower revenue bound still beats ``margin`` x the market-led mode's
    last measured rate. ``base`` / ``base_at_commit``: the market-led price now and when the
    perch was committed (0: unknown). ``margin`` 0: off (every hold ends in a check).
    """
    if margin <= 0 or not leads or base_at_commit <= 0:
        return True
    return base > margin * base_at_commit

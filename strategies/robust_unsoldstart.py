"""Item 87: where guard 5's trial starts when nothing of the category has sold yet.

Guard 5's trial starts at the market-led price x ``perch_multiple`` (1000 by default, the rails
cap it), unless our buyers' caps vouch for a level (item 48) or a surge's trial starts at the
level a trial sold at before (item 77). In a category where neither exists, the descent from the
top halves unsold for hours before it reaches a level that sells (TRAIN `surge` 1659: 51,000 M
to 994 M in 1.5 h of a 7 h surge; `scarcity` 1471 and 1887, docs items 81, 83, 86), and the trial
is often lost on the way. ``trial_unsold_multiple`` (0: off) starts such a trial at the
market-led price x that multiple instead, under the top; a trial with evidence (a vouched cap, a
sold level) starts as before.
"""

from __future__ import annotations

__all__ = ["unsold_start"]


def unsold_start(start: int, *, vouched: int, sold: int, price: int, multiple: float) -> int:
    """Where a guard-5 trial opening now starts: ``start`` (the top, a vouched level or item
    77's sold level) unless ``multiple`` > 0 and neither a cap vouched (``vouched``, 0: none) nor
    a level of the offer sold (``sold``, 0: none); then the market-led ``price`` x ``multiple``,
    if that is under ``start`` (never over it: the rails' top still caps)."""
    if multiple <= 0 or vouched > 0 or sold > 0 or price <= 0:
        return start
    return min(start, max(1, round(price * multiple)))

"""How much volume the pool can honestly sell, from its utilization.

A task matched now must be contributed before the deal start + 7 x workClockTimeRef (the
contribution window), or it times out and the owner's stake for it is seized
(core-and-sdk.md A9.4-A9.5). One slot can run ``floor(window / task_seconds)`` tasks of an offer
back to back inside that window (``starts_per_slot``).

Free slots are ``registered - computing - backlog`` (backlog = tasks received or initialized but
not computing yet). The window capacity of an offer, in tasks, is::

    registered x starts_per_slot - computing - backlog

i.e. every free slot can take ``starts_per_slot`` tasks, and a busy slot can take all but one of
them (its current task is assumed to end within one ``task_seconds``). With nothing busy this is
``free_slots x starts_per_slot``. Charging a busy slot a whole window instead would make every
sale shrink the capacity by ``starts_per_slot`` while our remaining volume shrinks by one, so each
match would force an on-chain cancel of the rest; this model keeps capacity and remaining volume
moving together. GPU offers (tag bit 8) use the GPU counts; the scheduler does not say which kind
the backlog is, so it is charged to both (conservative).

Several offers share the same slots. Their volumes are made commensurable by the *load* of an
order: ``remaining / window_capacity(offer)``, the share of the pool's window it would use; the sum of
loads over our valid orders must stay <= 1.
"""

from __future__ import annotations

from bot.model import PoolUtilization
from bot.snapshot import Offer

__all__ = [
    "LOAD_EPSILON",
    "free_slots",
    "load",
    "offer_capacity",
    "starts_per_slot",
    "window_capacity",
]

LOAD_EPSILON = 1e-9


def starts_per_slot(offer: Offer) -> int:
    """Tasks of ``offer`` one slot can finish inside the contribution window (0 if none)."""
    return offer.starts_per_slot


def free_slots(util: PoolUtilization | None, gpu: bool = False) -> int:
    """Slots neither computing nor promised to the backlog; 0 when utilization is unknown."""
    if util is None:
        return 0
    if gpu:
        return max(0, util.registered_gpu - util.computing_gpu - util.backlog)
    return max(0, util.registered_cpu - util.computing_cpu - util.backlog)


def offer_capacity(util: PoolUtilization | None, offer: Offer) -> int:
    """What a strategy may offer: the window capacity capped by the offer's ``max_volume``."""
    return min(offer.max_volume, window_capacity(util, offer))


def window_capacity(util: PoolUtilization | None, offer: Offer) -> int:
    """Tasks of ``offer`` the pool can still take on within the window (see module doc).

    0 when utilization is unknown (stale): never sell blind.
    """
    if util is None:
        return 0
    k = offer.starts_per_slot
    if k <= 0:
        return 0
    if offer.gpu:
        registered, busy = util.registered_gpu, util.computing_gpu + util.backlog
    else:
        registered, busy = util.registered_cpu, util.computing_cpu + util.backlog
    return max(0, registered * k - busy)


def load(volume: int, capacity: int) -> float:
    """Share of the pool's window ``volume`` tasks would use (inf when there is no capacity)."""
    if volume <= 0:
        return 0.0
    if capacity <= 0:
        return float("inf")
    return volume / capacity

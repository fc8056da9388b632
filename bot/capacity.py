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

With a task board (the snapshot's ``tasks``: our pool's open tasks and learned run times), the
window capacity of a CPU offer is instead what the EDF test in slot time admits for it alone on
top of the running and queued work (bot.admission): a queued one-hour task then weighs an hour of
slot time at its own deadline, not one task of the offer being sized, and a slot running a long
task gives the XS window nothing. The rails also test all offers together (mixed task lengths).

Several offers share the same slots. Their volumes are made commensurable by the *load* of an
order: ``remaining / window_capacity(offer)``, the share of the pool's window it would use; the sum of
loads over our valid orders must stay <= 1.
"""

from __future__ import annotations

from bot.admission import Committed, admissible_volume, committed_work
from bot.model import PoolUtilization
from bot.runtimes import TaskBoard
from bot.snapshot import Offer

__all__ = [
    "LOAD_EPSILON",
    "admitted_alone",
    "committed_of",
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


def offer_capacity(
    util: PoolUtilization | None, offer: Offer, board: TaskBoard | None = None
) -> int:
    """What a strategy may offer: the window capacity capped by the offer's ``max_volume``."""
    return min(offer.max_volume, window_capacity(util, offer, board))


def window_capacity(
    util: PoolUtilization | None, offer: Offer, board: TaskBoard | None = None
) -> int:
    """Tasks of ``offer`` the pool can still take on within the window (see module doc).

    0 when utilization is unknown (stale): never sell blind.
    """
    if util is None:
        return 0
    if board is not None and not offer.gpu:
        return admitted_alone(util, offer, board)
    k = offer.starts_per_slot
    if k <= 0:
        return 0
    if offer.gpu:
        registered, busy = util.registered_gpu, util.computing_gpu + util.backlog
    else:
        registered, busy = util.registered_cpu, util.computing_cpu + util.backlog
    return max(0, registered * k - busy)


def committed_of(util: PoolUtilization, board: TaskBoard) -> Committed:
    """The board's open tasks as committed work (bot.admission), computed once per board."""
    key = ("committed", util.computing_cpu)
    got = board.memo.get(key)
    if isinstance(got, Committed):
        return got
    runs = {
        t.category: board.run_seconds(t.category, (t.contribution_deadline - t.deal_start) / 7.0)
        for t in board.open_tasks
    }
    committed = committed_work(board.at, board.open_tasks, runs, util.computing_cpu)
    board.memo[key] = committed
    return committed


def admitted_alone(util: PoolUtilization, offer: Offer, board: TaskBoard) -> int:
    """The EDF test's volume for ``offer`` alone on top of the board's committed work."""
    run = board.run_seconds(offer.category, offer.task_seconds)
    key = ("alone", util.registered_cpu, util.computing_cpu, offer.contribution_window, run)
    got = board.memo.get(key)
    if isinstance(got, int):
        return got
    window = float(offer.contribution_window)
    value = admissible_volume(util.registered_cpu, committed_of(util, board), [], window, run)
    board.memo[key] = value
    return value


def load(volume: int, capacity: int) -> float:
    """Share of the pool's window ``volume`` tasks would use (inf when there is no capacity)."""
    if volume <= 0:
        return 0.0
    if capacity <= 0:
        return float("inf")
    return volume / capacity

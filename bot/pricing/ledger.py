"""The ledger: our capacity and stake, kept as one account by one pure module.

Every stage that sells or guards capacity asks the same questions: which of our orders still
count, how much of the pool each one claims, how much stake each locks, and whether a set of
orders (ours, plus what a plan would add) fits. The rails size quotes with it, the planner orders
and cuts its actions with it, the executor re-checks it between steps and reconcile judges stray
orders with it. Nothing else in the bot computes these numbers, so they cannot drift apart; the
simulator and the sandbox keep their own model of PoCo's stake lock on purpose (they play the
chain) and a test checks the two agree.

**Slots.** Everything is keyed by :class:`bot.domain.model.Slot` (category, tag, trust, restrictions):
two offers a trust apart are two entries with their own capacity.

**Capacity.** A task matched now must be contributed before the deal start + 7 x workClockTimeRef
(the contribution window), or it times out and the owner's stake for it is seized
(core-and-sdk.md A9.4-A9.5). One slot can run ``floor(window / task_seconds)`` tasks of an offer
back to back inside that window (``starts_per_slot``). The window capacity of an offer, in tasks::

    registered x starts_per_slot - computing - backlog

i.e. every free slot can take ``starts_per_slot`` tasks, and a busy slot all but one of them (its
current task is assumed to end within one ``task_seconds``). Charging a busy slot a whole window
instead would make every sale shrink the capacity by ``starts_per_slot`` while our remaining
volume shrinks by one, so each match would force an on-chain cancel of the rest. GPU offers (tag
bit 8) use the GPU counts; the scheduler does not say which kind the backlog is, so it is charged
to both (conservative). Unknown utilization means no capacity: never sell blind.

**Load.** Several offers share the same slots. The *load* of an order, ``remaining /
window_capacity``, is the share of the pool's window it would use; the loads of our counted
orders must sum to <= 1. An order in a slot no offer sells is charged as if each task took a
whole workClockTimeRef (7 per slot), its category's worst case.

**Stake.** PoCo locks ``floor(price x 30 / 100)`` per task matched, and the marketplace refuses
(or marks dead) an order whose owner's free stake does not cover ``floor(price x 30 / 100) x
remaining``; the stake of our counted orders must fit the free stake.

**Which orders count.** A published order counts; an unpublished one stays matchable on chain by
anyone who kept it, so it counts too, except in pragmatic mode (``count_dearer_unpublished =
false``) when it is dearer than what we want now in its slot (or, unquoted, in its category): a
requester would rather take the cheaper listed one.

**Admission.** With a task board (the snapshot's ``tasks``: our pool's open tasks and learned
run times), the window capacity of a CPU offer is instead what the EDF test in slot time admits
for it alone on top of the running and queued work (bot.pricing.admission, issue #13): a queued one-hour
task then weighs an hour of slot time at its own deadline, not one task of the offer being sized,
and a slot running a long task gives the XS window nothing. The rails also test all offers
together (mixed task lengths).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol

from bot.domain.errors import InputError
from bot.domain.model import OwnOrder, PoolUtilization, Quote, Slot
from bot.pricing.admission import Committed, admissible_volume, committed_work
from bot.pricing.runtimes import TaskBoard
from bot.pricing.snapshot import MarketSnapshot, Offer

__all__ = [
    "LOAD_EPSILON",
    "STAKE_RATIO_PERCENT",
    "AccountRules",
    "Ledger",
    "Tally",
    "Wanted",
    "admitted_alone",
    "allocate",
    "committed_of",
    "free_slots",
    "load",
    "offer_capacity",
    "required_stake",
    "starts_per_slot",
    "window_capacity",
]

# PoCo's WORKERPOOL_STAKE_RATIO (poco-contracts.md): the share of the price locked per task.
STAKE_RATIO_PERCENT = 30

_new_tuple = tuple.__new__

# Loads are float shares of the window; sums of a few of them may exceed 1 by rounding alone.
LOAD_EPSILON = 1e-9


def required_stake(price: int, remaining: int) -> int:
    """Stake the marketplace requires for an order: floor(price x 30 / 100) x remaining."""
    return (price * STAKE_RATIO_PERCENT // 100) * remaining


def starts_per_slot(offer: Offer) -> int:
    """Tasks of ``offer`` one slot can finish inside the contribution window (0 if none)."""
    return offer.starts_per_slot


def free_slots(util: PoolUtilization | None, gpu: bool = False) -> int:
    """Slots neither computing nor promised to the backlog; 0 when utilization is unknown."""
    return 0 if util is None else util.free(gpu)


def offer_capacity(
    util: PoolUtilization | None, offer: Offer, board: TaskBoard | None = None
) -> int:
    """What a strategy may offer: the window capacity capped by the offer's ``max_volume``."""
    return min(offer.max_volume, window_capacity(util, offer, board))


def window_capacity(
    util: PoolUtilization | None, offer: Offer, board: TaskBoard | None = None
) -> int:
    """Tasks of ``offer`` the pool can still take on within the window (0 when unknown).

    With a task board, a CPU offer's is what the EDF test admits for it alone (module doc).
    """
    if util is None:
        return 0
    if board is not None and not offer.gpu:
        return admitted_alone(util, offer, board)
    k = offer.starts_per_slot
    if k <= 0:
        return 0
    registered, busy = util.slots_and_busy(offer.gpu)
    return max(0, registered * k - busy)


def committed_of(util: PoolUtilization, board: TaskBoard) -> Committed:
    """The board's open tasks as committed work (bot.pricing.admission), computed once per board."""
    key = ("committed", util.computing_cpu)
    got = board.memo.get(key)
    if isinstance(got, Committed):
        return got
    runs = {
        t.category: board.run_seconds(t.category, (t.contribution_deadline - t.deal_start) / 7.0)
        for t in board.open_tasks
    }
    tails = board.tails
    remainders = {c: tails[c].remainder for c in runs if c in tails} if tails else None
    committed = committed_work(board.at, board.open_tasks, runs, util.computing_cpu, remainders)
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
        return math.inf
    return volume / capacity


def allocate(
    wants: Sequence[int], existing: Sequence[int], weights: Sequence[float], room: float
) -> list[int]:
    """Integer volumes <= ``wants`` with ``sum(weight x volume) <= room``.

    Volume already valid on chain (``existing``, capped by the want) is served first and only
    the *extra* volume is scaled down; existing volume is cut proportionally only when it alone
    does not fit. Without this a rescaling of every slot each cycle would shave one task off some
    slot whenever another sells one, forcing an on-chain cancel per sale.
    """
    need = sum(w * v for w, v in zip(weights, wants, strict=True))
    if need <= room + LOAD_EPSILON:
        return list(wants)
    base = [min(e, v) for e, v in zip(existing, wants, strict=True)]
    base_need = sum(w * b for w, b in zip(weights, base, strict=True))
    if base_need > room + LOAD_EPSILON:
        factor = max(0.0, room) / base_need
        return [math.floor(b * factor + LOAD_EPSILON) for b in base]
    extra_need = need - base_need
    factor = (room - base_need) / extra_need if extra_need > 0 else 0.0
    # floor() may leave room for a few more tasks; never exceed it (weights are not integers)
    return [
        b + math.floor((v - b) * factor + LOAD_EPSILON) for b, v in zip(base, wants, strict=True)
    ]


class AccountRules(Protocol):
    """The owner's limits the account applies (``bot.pricing.rails.RailsConfig`` has them)."""

    @property
    def max_volume(self) -> int: ...

    @property
    def count_dearer_unpublished(self) -> bool: ...


class Wanted(NamedTuple):
    """The prices we want now, by slot, and the cheapest wanted (with volume) per category.

    Deciding whether a dearer unpublished order still counts needs them: against its slot's
    price when the slot is quoted, else against the cheapest quote with volume in its category.
    """

    by_slot: Mapping[Slot, Quote]
    by_category: Mapping[int, int]

    @classmethod
    def of(cls, quotes: Mapping[Slot, Quote]) -> Wanted:
        """From quotes by slot (one per slot, as the rails and the planner keep them)."""
        by_category: dict[int, int] = {}
        for q in quotes.values():
            if q.volume > 0:
                c, price = q.category, q.price
                by_category[c] = min(price, by_category.get(c, price))
        return cls(quotes, by_category)

    def price(self, slot: Slot) -> int | None:
        got = self.by_slot.get(slot)
        return self.by_category.get(slot.category) if got is None else got.price


NOTHING_WANTED = Wanted({}, {})


class Tally(NamedTuple):
    """What a set of orders claims: share of the pool's window, volume, and locked stake.

    (Tuples, like :class:`Ledger`, because several are made every tick; add them with
    :meth:`plus`, never ``+``, which would concatenate.)
    """

    load: float = 0.0
    volume: int = 0
    stake: int = 0

    def plus(self, other: Tally) -> Tally:
        return Tally(self.load + other.load, self.volume + other.volume, self.stake + other.stake)


def _fallback_window(
    util: PoolUtilization | None, slot: Slot, board: TaskBoard | None = None
) -> int | None:
    """Window of a slot no offer sells, charged at 7 tasks per slot (its category's worst case).

    None when the category has no standard workClockTimeRef (nothing to charge it by).
    """
    try:
        probe = Offer(category=slot.category, task_seconds=1.0, max_volume=0)
    except InputError:
        return None
    stand_in = Offer(
        category=slot.category,
        task_seconds=float(probe.work_clock_time_ref),
        max_volume=0,
        tag=slot.tag,
        trust=slot.trust,
    )
    return window_capacity(util, stand_in, board)


class Ledger(NamedTuple):
    """Our capacity and stake account for one tick (or one reconcile pass); see the module doc.

    ``utilization`` None means capacity unknown: nothing can be sold, and no load limit can be
    judged (the executor does not block and reconcile does not cancel on it). ``free_stake`` or
    ``max_volume`` None means no limit from that source. ``wanted`` decides which unpublished
    orders count (see :meth:`counts`).

    An immutable tuple rather than a frozen dataclass: a tick makes up to three (one per stage
    that judges unpublished orders), and a frozen dataclass costs ~3x more to build.
    """

    utilization: PoolUtilization | None
    offers: Mapping[Slot, Offer]
    windows: Mapping[Slot, int]
    free_stake: int | None = None
    max_volume: int | None = None
    count_dearer_unpublished: bool = True
    wanted: Wanted = NOTHING_WANTED
    board: TaskBoard | None = None

    @classmethod
    def build(
        cls,
        *,
        utilization: PoolUtilization | None,
        offers: Iterable[Offer],
        free_stake: int | None,
        rules: AccountRules | None = None,
        board: TaskBoard | None = None,
    ) -> Ledger:
        by_slot: dict[Slot, Offer] = {}
        windows: dict[Slot, int] = {}
        for o in offers:
            slot = o.slot
            by_slot[slot] = o  # two offers for one slot: the last one says (as config order)
            windows[slot] = window_capacity(utilization, o, board)
        return cls(
            utilization,
            by_slot,
            windows,
            free_stake,
            None if rules is None else rules.max_volume,
            True if rules is None else rules.count_dearer_unpublished,
            NOTHING_WANTED,
            board,
        )

    @classmethod
    def of(
        cls, snapshot: MarketSnapshot, offers: Iterable[Offer], rules: AccountRules | None = None
    ) -> Ledger:
        """The account as ``snapshot`` shows it (its utilization and free stake)."""
        stake = snapshot.stake
        return cls.build(
            utilization=snapshot.utilization,
            offers=offers,
            free_stake=None if stake is None else stake.free,
            rules=rules,
            board=snapshot.tasks,
        )

    def wanting(self, quotes: Mapping[Slot, Quote]) -> Ledger:
        """The same account, judging unpublished orders against the prices of ``quotes``."""
        # (tuple.__new__: a copy with the last field replaced, without _replace's overhead)
        return _new_tuple(Ledger, (*self[:-2], Wanted.of(quotes), self.board))

    # -- one order ---------------------------------------------------------------------------

    def counts(self, order: OwnOrder, listed: bool | None = None) -> bool:
        """Whether a valid order counts against capacity and stake (``listed``: as if so)."""
        if order.published if listed is None else listed:
            return True
        if self.count_dearer_unpublished:
            return True
        wanted = self.wanted.price(order.slot)
        return wanted is None or order.price <= wanted

    def window(self, slot: Slot) -> int | None:
        """Tasks the pool can take on in ``slot`` (None: a slot nobody can charge)."""
        got = self.windows.get(slot)
        return _fallback_window(self.utilization, slot, self.board) if got is None else got

    def load(self, slot: Slot, volume: int) -> float:
        """Share of the pool's window ``volume`` tasks in ``slot`` would use."""
        window = self.window(slot)
        return math.inf if window is None else load(volume, window)

    def claim(self, slot: Slot, price: int, volume: int) -> Tally:
        """What one order (or quote) of ``volume`` tasks at ``price`` claims."""
        return Tally(self.load(slot, volume), volume, required_stake(price, volume))

    # -- sets of orders ------------------------------------------------------------------------

    def tally(self, orders: Iterable[OwnOrder]) -> Tally:
        """What the counted ones of ``orders`` claim."""
        total_load, volume, stake = 0.0, 0, 0
        every = self.count_dearer_unpublished  # strict mode: every valid order counts
        windows = self.windows
        for o in orders:
            if not (every or self.counts(o)):
                continue
            slot, remaining = o.slot, o.remaining
            window = windows.get(slot)
            total_load += self.load(slot, remaining) if window is None else load(remaining, window)
            stake += required_stake(o.price, remaining)
            volume += remaining
        return Tally(total_load, volume, stake)

    def tally_unquoted(self, by_slot: Mapping[Slot, Iterable[OwnOrder]]) -> Tally:
        """What our counted orders in the slots ``wanted`` does not quote claim."""
        quoted = self.wanted.by_slot
        total_load, volume, stake = 0.0, 0, 0
        every = self.count_dearer_unpublished
        for slot, orders in by_slot.items():
            if slot in quoted:
                continue
            window = self.window(slot)
            for o in orders:
                if not (every or self.counts(o)):
                    continue
                remaining = o.remaining
                total_load += math.inf if window is None else load(remaining, window)
                stake += required_stake(o.price, remaining)
                volume += remaining
        return Tally(total_load, volume, stake)

    def tally_quotes(self, quotes: Mapping[Slot, Quote]) -> Tally:
        """What ``quotes`` would claim if listed in full.

        A quote in a slot no offer sells claims nothing here: the rails veto such quotes.
        """
        total_load, volume, stake = 0.0, 0, 0
        windows = self.windows
        for slot, q in quotes.items():
            v = q.volume
            if not v:
                continue
            window = windows.get(slot)
            if window is None:
                continue
            total_load += v / window if window > 0 else math.inf
            volume += v
            stake += required_stake(q.price, v)
        return Tally(total_load, volume, stake)

    def held(self, orders: Iterable[OwnOrder]) -> int:
        """Counted remaining volume of ``orders`` (what a slot already holds on chain)."""
        every = self.count_dearer_unpublished
        return sum(o.remaining for o in orders if every or self.counts(o))

    def stake_needed(self, orders: Iterable[OwnOrder], quotes: Iterable[Quote] = ()) -> int:
        """Stake ``orders`` (all of them: the caller chose them) and ``quotes`` lock together."""
        need = 0
        for o in orders:
            need += required_stake(o.price, o.remaining)
        for q in quotes:
            need += required_stake(q.price, q.volume)
        return need

    # -- limits ------------------------------------------------------------------------------

    def load_fits(self, tally: Tally) -> bool:
        """Within the pool's window (always, when utilization is unknown: nothing to judge)."""
        return self.utilization is None or tally.load <= 1.0 + LOAD_EPSILON

    def volume_fits(self, tally: Tally) -> bool:
        return self.max_volume is None or tally.volume <= self.max_volume

    def stake_fits(self, tally: Tally) -> bool:
        return self.free_stake is None or tally.stake <= self.free_stake

    def fits(self, tally: Tally) -> bool:
        """Within every limit of the account: load, total volume and stake (one call: the
        rails ask it every tick)."""
        free, most = self.free_stake, self.max_volume
        return (
            (self.utilization is None or tally.load <= 1.0 + LOAD_EPSILON)
            and (most is None or tally.volume <= most)
            and (free is None or tally.stake <= free)
        )

    def violation(self, orders: Iterable[OwnOrder], adding: Quote) -> str | None:
        """Why listing ``adding`` beside ``orders`` would break the pool's window or the stake.

        The executor's re-check between steps: a failed cancel must not turn into over-selling
        by the publish that was meant to follow it. (The total volume cap is the rails' sizing
        rule; a cancel that failed leaves it as the rails and planner counted it.)
        """
        total = self.tally(orders).plus(self.claim(adding.slot, adding.price, adding.volume))
        if not self.load_fits(total):
            return (
                f"cap: valid orders would use {total.load:.2f} of the pool's window "
                "(an earlier step did not complete?)"
            )
        if not self.stake_fits(total):
            return f"stake: orders would need {total.stake} nRLC > {self.free_stake} free"
        return None

    # -- room, shared out ----------------------------------------------------------------------

    def load_room(self, other: Tally) -> float:
        return max(0.0, 1.0 - other.load)

    def volume_room(self, other: Tally) -> int:
        assert self.max_volume is not None  # sizing needs the rules: the rails give them
        return self.max_volume - other.volume

    def stake_room(self, other: Tally) -> int:
        assert self.free_stake is not None  # sizing needs the stake: a missing one is killed
        return self.free_stake - other.stake

    def share_load(
        self, quotes: Sequence[Quote], existing: Sequence[int], other: Tally
    ) -> list[int]:
        """Volumes of ``quotes`` scaled to the window ``other`` leaves (existing volume first)."""
        caps = [self.windows[q.slot] for q in quotes]
        weights = [0.0 if c <= 0 else 1.0 / c for c in caps]
        wants = [q.volume if c > 0 else 0 for q, c in zip(quotes, caps, strict=True)]
        return allocate(wants, existing, weights, self.load_room(other))

    def share_volume(
        self, quotes: Sequence[Quote], existing: Sequence[int], other: Tally
    ) -> list[int]:
        """Volumes of ``quotes`` within the total volume cap, after ``other``."""
        room = max(0, self.volume_room(other))
        return allocate([q.volume for q in quotes], existing, [1.0] * len(quotes), room)

    def share_stake(
        self, quotes: Sequence[Quote], existing: Sequence[int], other: Tally
    ) -> list[int]:
        """Volumes of ``quotes`` the free stake covers, after ``other`` (exact in integers)."""
        room = max(0, self.stake_room(other))
        weights = [float(required_stake(q.price, 1)) for q in quotes]
        volumes = allocate([q.volume for q in quotes], existing, weights, room)
        # integer safety: drop tasks while the exact integer need exceeds the room
        need = sum(required_stake(q.price, v) for q, v in zip(quotes, volumes, strict=True))
        i = len(volumes) - 1
        while need > room and i >= 0:
            per_unit = required_stake(quotes[i].price, 1)
            if volumes[i] > 0 and per_unit > 0:
                volumes[i] -= 1
                need -= per_unit
            else:
                i -= 1
        return volumes

    def over_window(
        self, quotes: Mapping[Slot, Quote], orders: Sequence[OwnOrder]
    ) -> list[OwnOrder]:
        """Which of ``orders`` to close, cheapest first, until they fit beside ``quotes``."""
        total = self.tally_quotes(quotes).load + sum(self.load(o.slot, o.remaining) for o in orders)
        out = []
        for o in sorted(orders, key=lambda o: o.price):
            if total <= 1.0 + LOAD_EPSILON:
                break
            total -= self.load(o.slot, o.remaining)
            out.append(o)
        return out

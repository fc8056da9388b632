"""Rails: limits applied to every strategy's output, which no strategy can bypass.

:func:`apply_rails` takes the quotes a strategy wants and returns the quotes the bot may act on,
with one note per clamp or veto (``RailNote(key, rule, detail)``), or a kill switch. In order:

1. **kill switch** - utilization, market data, our orders or the stake are stale (older than
   ``stale_after_seconds`` or never read), or the inputs are absurd (negative counts, more
   computing tasks than slots, an order of ours with more remaining than volume, data from the
   future): no quote survives and ``kill`` is ``cfg.kill_action`` ("freeze": keep every order as
   it is; "withdraw": take them off the market).
2. per quote: a quote for a slot no offer sells, or a second quote for the same slot, is vetoed;
   **floor / ceiling**; **max step**: at most ``max_step`` relative change against our current
   price in that slot (the cheapest order of ours published there), then floor / ceiling again
   (they are hard limits, the step is not).
3. **volume cap** per slot: ``min(quote volume, rails.max_volume, the offer's capacity)``
   (bot.capacity). The quote's volume is then the *total* valid volume of ours allowed in that
   slot: the planner subtracts whatever stays valid there.
4. **shared capacity**: orders of ours in slots nobody quotes keep their load; the quoted slots
   share what is left (sum of loads <= 1), scaled down proportionally; then the total valid
   volume of all slots together is kept within ``max_volume``.
5. **stake coverage**: sum of floor(price x 30 / 100) x remaining over our valid orders must fit
   the free stake; quoted volumes are scaled down to fit what unquoted orders leave.
6. **admission** (with a task board in the snapshot; CPU offers): the quoted volumes, with our
   orders in unquoted slots, must pass the EDF test in slot time on top of the pool's running
   and queued tasks at the learned run times (bot.admission): a task sold must be deliverable
   before its contribution deadline. Volume already valid on chain is admitted first, then
   shortest windows first. Without a board the rails size by the window capacity alone.
7. **max open orders**: at most ``max_open_orders`` slots get a quote with volume (the market
   refuses more open orders per wallet); the rest are vetoed, last first. (This veto is applied
   before steps 4-6, so the orders of a vetoed slot are counted as orders of other slots.)

The **deadband** and **max order age** need the existing orders one by one, so they live in the
planner (bot.planner), which also keeps every prefix of its plan within the volume cap and the
stake. Quotes keep the strategy's reason; the notes say what the rails changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

from bot.admission import Batch, admit
from bot.capacity import LOAD_EPSILON, committed_of, load, window_capacity
from bot.errors import InputError
from bot.model import OwnOrder, Quote, required_stake
from bot.snapshot import (
    GPU_TAG_BIT,
    STANDARD_TIME_REFS,
    MarketSnapshot,
    Offer,
    SlotKey,
    slot_key_of,
)

__all__ = [
    "KILL_PARTS",
    "KillAction",
    "RailNote",
    "RailsConfig",
    "RailsResult",
    "allocate",
    "apply_rails",
    "counts",
    "order_load",
]

KillAction = Literal["freeze", "withdraw"]

# Parts of the snapshot the bot cannot act safely without.
KILL_PARTS: tuple[str, ...] = ("book", "requests", "utilization", "own_orders", "stake")

# Clock skew tolerated before a part "from the future" counts as absurd.
FUTURE_TOLERANCE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class RailsConfig:
    """The owner's limits (config section ``[rails]``; same names and defaults as bot.config)."""

    floor: int = 1_000_000  # nRLC (0.001 RLC)
    ceiling: int = 1_000_000_000  # nRLC (1 RLC)
    max_step: float = 0.2  # max relative change of price per cycle
    deadband: float = 0.02  # relative change below which the current order is kept (planner)
    max_order_age_seconds: float = 86_400  # refresh an order older than this (planner)
    max_volume: int = 1000  # max valid volume per slot
    max_open_orders: int = 50  # published orders per wallet (marketplace limit)
    stale_after_seconds: float = 600
    kill_action: KillAction = "freeze"
    count_dearer_unpublished: bool = True  # False: "pragmatic mode" (see bot.planner)

    def __post_init__(self) -> None:
        def bad(name: str, rule: str) -> InputError:
            return InputError(f"rails.{name}", rule, getattr(self, name))

        for name in ("floor", "ceiling", "max_volume", "max_open_orders"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(name, "must be an integer >= 0")
        if self.floor > self.ceiling:
            raise bad("floor", "must be <= rails.ceiling")
        if not 0 < self.max_step <= 1:
            raise bad("max_step", "must be in (0, 1]")
        if not 0 <= self.deadband < 1:
            raise bad("deadband", "must be in [0, 1)")
        if not self.max_order_age_seconds > 0:
            raise bad("max_order_age_seconds", "must be > 0")
        if not self.stale_after_seconds > 0:
            raise bad("stale_after_seconds", "must be > 0")
        if self.max_open_orders < 1:
            raise bad("max_open_orders", "must be >= 1")
        if self.kill_action not in ("freeze", "withdraw"):
            raise bad("kill_action", "must be 'freeze' or 'withdraw'")

    @classmethod
    def from_object(cls, obj: object) -> RailsConfig:
        """Copy the same-named fields of another config object (e.g. bot.config's section)."""
        if isinstance(obj, RailsConfig):
            return obj
        names = cls.__dataclass_fields__
        return cls(**{n: getattr(obj, n) for n in names if hasattr(obj, n)})


class RailNote(NamedTuple):
    """One clamp or veto: which slot (None for the whole decision), which rule, and why."""

    key: SlotKey | None
    rule: str
    detail: str


@dataclass(frozen=True, slots=True)
class RailsResult:
    """The quotes the bot may act on, what was changed and why, and the kill switch."""

    quotes: tuple[Quote, ...]
    notes: tuple[RailNote, ...]
    kill: KillAction | None = None
    volume_cap: int | None = None  # total valid volume of ours the result allows (all slots)


def counts(order: OwnOrder, wanted_price: int | None, cfg: RailsConfig) -> bool:
    """Whether a valid order counts against volume cap and stake.

    Published orders always count; an unpublished one stays matchable on chain by anyone who
    kept it, so it counts too, except in pragmatic mode (``count_dearer_unpublished=False``)
    when it is dearer than what we want now (a requester would rather take the cheaper listed
    one). Cheaper unpublished orders always count.
    """
    if order.published or cfg.count_dearer_unpublished or wanted_price is None:
        return True
    return order.price <= wanted_price


def _fallback_offer(order: OwnOrder) -> Offer | None:
    """An offer-shaped stand-in for an order in a slot no offer sells (conservative: k = 7)."""
    o = order.signed.order
    try:
        probe = Offer(category=o.category, task_seconds=1.0, max_volume=0)
    except InputError:
        return None
    return Offer(
        category=o.category,
        task_seconds=float(probe.work_clock_time_ref),
        max_volume=o.volume,
        tag=o.tag_int,
        trust=o.trust,
    )


def order_load(
    order: OwnOrder,
    offers_by_key: dict[SlotKey, Offer],
    snapshot: MarketSnapshot,
    key: SlotKey | None = None,
) -> float:
    """Share of the pool's window the order's remaining volume would use if matched."""
    offer = offers_by_key.get(key or slot_key_of(order)) or _fallback_offer(order)
    if offer is None:
        return float("inf")
    return load(order.remaining, window_capacity(snapshot.utilization, offer, snapshot.tasks))


def _absurd(snapshot: MarketSnapshot) -> list[str]:
    why = []
    u = snapshot.utilization
    if u is not None:
        numbers = (u.registered_cpu, u.computing_cpu, u.registered_gpu, u.computing_gpu, u.backlog)
        if min(numbers) < 0:
            why.append(f"negative utilization count {numbers}")
        if u.computing_cpu > u.registered_cpu or u.computing_gpu > u.registered_gpu:
            why.append(
                f"more computing than registered slots "
                f"(cpu {u.computing_cpu}/{u.registered_cpu}, gpu {u.computing_gpu}/"
                f"{u.registered_gpu})"
            )
    s = snapshot.stake
    if s is not None and (s.free < 0 or s.locked < 0):
        why.append(f"negative stake {s}")
    for o in snapshot.own_orders:
        if o.remaining > o.signed.order.volume:
            why.append(f"order {o.order_hash[:10]} remaining {o.remaining} > volume")
    for part, age in snapshot.ages.items():
        if age < -FUTURE_TOLERANCE_SECONDS:
            why.append(f"{part} sampled {-age:.0f}s in the future")
    return why


def _kill(snapshot: MarketSnapshot, cfg: RailsConfig) -> list[RailNote]:
    notes = []
    stale = snapshot.stale
    for part in KILL_PARTS if stale else ():
        if part in stale:
            age = snapshot.ages.get(part, math.inf)
            shown = "never read" if math.isinf(age) else f"{age:.0f}s old"
            notes.append(
                RailNote(
                    None,
                    "kill:stale",
                    f"{part} is {shown} (limit {cfg.stale_after_seconds:.0f}s)",
                )
            )
    why = _absurd(snapshot)
    if why:
        notes.extend(RailNote(None, "kill:absurd", w) for w in why)
    return notes


def _step_clamp(price: int, current: int | None, cfg: RailsConfig) -> int:
    if current is None or current <= 0 or current == price:
        return price  # (an unchanged price is within any step: no float work per tick)
    low = math.ceil(current * (1 - cfg.max_step))
    high = math.floor(current * (1 + cfg.max_step))
    return min(max(price, low), high)


def apply_rails(
    quotes: Iterable[Quote],
    snapshot: MarketSnapshot,
    offers: Sequence[Offer],
    cfg: RailsConfig,
) -> RailsResult:
    """Clamp or veto ``quotes``; see the module docstring for the rules and their order."""
    notes: list[RailNote] = []
    kill_notes = _kill(snapshot, cfg)
    if kill_notes:
        return RailsResult((), tuple(kill_notes), cfg.kill_action, None)

    offers_by_key = {o.key: o for o in offers}
    util = snapshot.utilization
    kept: dict[SlotKey, Quote] = {}
    windows: dict[SlotKey, int] = {}
    for q in quotes:
        key = q.key
        offer = offers_by_key.get(key)
        if offer is None:
            notes.append(RailNote(key, "veto:no-offer", "no [[offers]] entry sells this slot"))
            continue
        if key in kept:
            notes.append(RailNote(key, "veto:duplicate", "a second quote for the same slot"))
            continue
        price = q.price
        if price < cfg.floor:
            notes.append(RailNote(key, "floor", f"{price} raised to floor {cfg.floor}"))
            price = cfg.floor
        elif price > cfg.ceiling:
            notes.append(RailNote(key, "ceiling", f"{price} lowered to ceiling {cfg.ceiling}"))
            price = cfg.ceiling
        current = snapshot.current_price(key)
        stepped = _step_clamp(price, current, cfg)
        if stepped != price:
            notes.append(
                RailNote(
                    key,
                    "max-step",
                    f"{price} -> {stepped}: at most {cfg.max_step:.0%} from current {current}",
                )
            )
            price = min(max(stepped, cfg.floor), cfg.ceiling)
        volume = q.volume
        window = window_capacity(util, offer, snapshot.tasks)
        windows[key] = window
        capacity = min(offer.max_volume, window)
        cap = min(cfg.max_volume, capacity)
        if volume > cap:
            notes.append(
                RailNote(
                    key,
                    "volume-cap",
                    f"{volume} -> {cap}: capacity {capacity}, max_volume {cfg.max_volume}",
                )
            )
            volume = cap
        if price != q.price or volume != q.volume:
            q = replace(q, price=price, volume=volume)
        kept[key] = q

    # Orders of ours in slots nobody quotes keep their load and stake (the planner unpublishes
    # them, and cancels some, but cannot be assumed to).
    # Vetoed before sizing: a vetoed slot's orders become "other" orders that keep their load.
    if len(kept) > cfg.max_open_orders:
        kept = {q.key: q for q in _limit_open_orders(list(kept.values()), cfg, notes)}
    min_wanted: dict[int, int] = {}
    for q in kept.values():
        if q.volume > 0:
            min_wanted[q.category] = min(q.price, min_wanted.get(q.category, q.price))
    other_load = 0.0
    other_stake = 0
    other_volume = 0
    for key, orders in snapshot.own_by_slot.items():
        if key in kept:
            continue
        for o in orders:
            if not counts(o, min_wanted.get(o.category), cfg):
                continue
            other_load += order_load(o, offers_by_key, snapshot, key)
            other_stake += required_stake(o.price, o.remaining)
            other_volume += o.remaining

    final = list(kept.values())
    # Fast path (most cycles): everything fits, nothing to share out.
    load_need = 0.0
    volume_need = 0
    stake_need = 0
    blind = False  # volume wanted where the window has no room at all
    for key, q in kept.items():
        v = q.volume
        if v:
            window = windows[key]
            if window > 0:
                load_need += v / window
            else:
                blind = True
            volume_need += v
            stake_need += required_stake(q.price, v)
    fits = (
        not blind
        and other_load + load_need <= 1.0 + LOAD_EPSILON
        and other_volume + volume_need <= cfg.max_volume
        and other_stake + stake_need <= snapshot.stake.free  # type: ignore[union-attr]  # a missing stake is killed above
    )
    if not fits:
        existing = _existing(final, snapshot, cfg)
        final = _share_capacity(kept, windows, other_load, existing, notes)
        final = _total_volume(final, cfg.max_volume - other_volume, existing, notes)
        final = _cover_stake(final, snapshot, other_stake, existing, notes)
    if snapshot.tasks is not None and util is not None:
        final = _admission(final, snapshot, offers_by_key, min_wanted, cfg, notes)
    return RailsResult(
        tuple(final),
        tuple(notes),
        None,
        other_volume + sum(q.volume for q in final),
    )


def _with_volume(q: Quote, volume: int) -> Quote:
    return Quote(
        category=q.category,
        price=q.price,
        volume=volume,
        tag=q.tag,
        trust=q.trust,
        apprestrict=q.apprestrict,
        datasetrestrict=q.datasetrestrict,
        requesterrestrict=q.requesterrestrict,
        reason=q.reason,
    )


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
    out = [
        b + math.floor((v - b) * factor + LOAD_EPSILON) for b, v in zip(base, wants, strict=True)
    ]
    # floor() may leave room for a few more tasks; never exceed it (weights are not integers)
    return out


def _existing(quotes: Sequence[Quote], snapshot: MarketSnapshot, cfg: RailsConfig) -> list[int]:
    return [
        sum(o.remaining for o in snapshot.own_in(q.key) if counts(o, q.price, cfg)) for q in quotes
    ]


def _resize(
    quotes: list[Quote], volumes: list[int], rule: str, detail: str, notes: list[RailNote]
) -> list[Quote]:
    out = []
    for q, v in zip(quotes, volumes, strict=True):
        if v != q.volume:
            notes.append(RailNote(q.key, rule, f"{q.volume} -> {v}: {detail}"))
            q = _with_volume(q, v)
        out.append(q)
    return out


def _share_capacity(
    kept: dict[SlotKey, Quote],
    windows: dict[SlotKey, int],
    other_load: float,
    existing: list[int],
    notes: list[RailNote],
) -> list[Quote]:
    quotes = list(kept.values())
    caps = [windows[q.key] for q in quotes]
    weights = [1.0 / c if c > 0 else math.inf for c in caps]
    wants = [q.volume if c > 0 else 0 for q, c in zip(quotes, caps, strict=True)]
    room = max(0.0, 1.0 - other_load)
    finite = [0.0 if math.isinf(w) else w for w in weights]
    volumes = allocate(wants, existing, finite, room)
    return _resize(
        quotes,
        volumes,
        "shared-capacity",
        f"slots are shared; orders in other slots use {other_load:.0%} of the window",
        notes,
    )


def _total_volume(
    quotes: list[Quote], room: int, existing: list[int], notes: list[RailNote]
) -> list[Quote]:
    """Keep the total valid volume of ours, all slots together, within ``rails.max_volume``."""
    volumes = allocate([q.volume for q in quotes], existing, [1.0] * len(quotes), max(0, room))
    return _resize(
        quotes,
        volumes,
        "max-volume",
        f"rails.max_volume caps our valid volume, all slots together ({room} left after "
        "orders in other slots)",
        notes,
    )


def _cover_stake(
    quotes: list[Quote],
    snapshot: MarketSnapshot,
    other_stake: int,
    existing: list[int],
    notes: list[RailNote],
) -> list[Quote]:
    assert snapshot.stake is not None  # a missing stake is stale: killed above
    room = snapshot.stake.free - other_stake
    weights = [float(required_stake(q.price, 1)) for q in quotes]
    volumes = allocate([q.volume for q in quotes], existing, weights, max(0, room))
    # integer safety: drop tasks while the exact integer need exceeds the room
    need = sum(required_stake(q.price, v) for q, v in zip(quotes, volumes, strict=True))
    i = len(volumes) - 1
    while need > max(0, room) and i >= 0:
        per_unit = required_stake(quotes[i].price, 1)
        if volumes[i] > 0 and per_unit > 0:
            volumes[i] -= 1
            need -= per_unit
        else:
            i -= 1
    return _resize(
        quotes,
        volumes,
        "stake-coverage",
        f"free stake {snapshot.stake.free} nRLC, other orders need {other_stake} "
        "(30% of price per task)",
        notes,
    )


def _admission(
    quotes: list[Quote],
    snapshot: MarketSnapshot,
    offers_by_key: dict[SlotKey, Offer],
    min_wanted: dict[int, int],
    cfg: RailsConfig,
    notes: list[RailNote],
) -> list[Quote]:
    """Cut the quoted CPU volumes to what the EDF test admits (step 6; bot.admission)."""
    board = snapshot.tasks
    util = snapshot.utilization
    assert board is not None and util is not None
    windows: dict[int, float] = {c: 7.0 * r for c, r in STANDARD_TIME_REFS.items()}
    priors: dict[int, float] = {c: float(r) for c, r in STANDARD_TIME_REFS.items()}
    for offer in offers_by_key.values():
        windows[offer.category] = float(offer.contribution_window)
        priors[offer.category] = float(offer.task_seconds)
    for t in board.open_tasks:
        if t.category not in windows:
            windows[t.category] = t.contribution_deadline - t.deal_start
            priors[t.category] = windows[t.category] / 7.0

    def run(category: int) -> float:
        return board.run_seconds(category, priors[category])

    committed = committed_of(util, board)
    quoted = {q.key for q in quotes}
    fixed = [
        Batch(windows[o.category], run(o.category), o.remaining)
        for key, orders in snapshot.own_by_slot.items()
        if key not in quoted
        for o in orders
        if o.category in windows
        and not o.tag >> GPU_TAG_BIT & 1
        and counts(o, min_wanted.get(o.category), cfg)
    ]
    cpu = [i for i, q in enumerate(quotes) if not offers_by_key[q.key].gpu]
    if not cpu:
        return quotes
    wanted = [
        Batch(windows[quotes[i].category], run(quotes[i].category), quotes[i].volume) for i in cpu
    ]
    existing = _existing([quotes[i] for i in cpu], snapshot, cfg)
    got = admit(util.registered_cpu, committed, fixed, wanted, existing)
    volumes = [q.volume for q in quotes]
    for i, v in zip(cpu, got, strict=True):
        volumes[i] = v
    return _resize(
        quotes,
        volumes,
        "admission",
        f"EDF test in slot time: {util.registered_cpu} slots, {len(committed.running)} running "
        f"and {len(committed.queued)} queued tasks, run times at q{board.quantile:g} "
        + ", ".join(f"cat {c} {e.seconds:.0f}s" for c, e in sorted(board.run_times.items())),
        notes,
    )


def _limit_open_orders(quotes: list[Quote], cfg: RailsConfig, notes: list[RailNote]) -> list[Quote]:
    out = []
    live = 0
    for q in quotes:
        if q.volume > 0:
            if live >= cfg.max_open_orders:
                notes.append(
                    RailNote(
                        q.key,
                        "veto:max-open-orders",
                        f"already {cfg.max_open_orders} slots with orders (max_open_orders)",
                    )
                )
                continue
            live += 1
        out.append(q)
    return out

"""Rails: limits applied to every strategy's output, which no strategy can bypass.

:func:`apply_rails` takes the quotes a strategy wants and returns the quotes the bot may act on,
with one note per clamp or veto (``RailNote(slot, rule, detail)``), or a kill switch. In order:

1. **kill switch** - utilization, market data, our orders or the stake are stale (older than
   ``stale_after_seconds`` or never read), or the inputs are absurd (negative counts, more
   computing tasks than slots, an order of ours with more remaining than volume, data from the
   future): no quote survives and ``kill`` is ``cfg.kill_action`` ("freeze": keep every order as
   it is; "withdraw": take them off the market).
2. per quote: a quote for a slot no offer sells, or a second quote for the same slot, is vetoed;
   **raise gate**: a raise must pay for the cancels it causes (:func:`gate_raise`, with the
   strategy's factor and ``cancel_gas_cost``), else the price is held at our listed one;
   **floor / ceiling**; **max step**: at most ``max_step`` relative change against our current
   price in that slot (the cheapest order of ours published there), or, for a quote the strategy
   marks as a deliberate ``jump`` (``Quote.jump``), at most a factor ``max_jump`` up or down,
   then floor / ceiling again (they are hard limits, the step is not).
3. **volume cap** per slot: ``min(quote volume, rails.max_volume, the offer's capacity)``
   (bot.pricing.ledger). The quote's volume is then the *total* valid volume of ours allowed in that
   slot: the planner subtracts whatever stays valid there.
4. **shared capacity**: orders of ours in slots nobody quotes keep their load; the quoted slots
   share what is left (sum of loads <= 1), scaled down proportionally; then the total valid
   volume of all slots together is kept within ``max_volume``.
5. **stake coverage**: sum of floor(price x 30 / 100) x remaining over our valid orders must fit
   the free stake; quoted volumes are scaled down to fit what unquoted orders leave.
6. **admission** (with a task board in the snapshot; CPU offers): the quoted volumes, with our
   orders in unquoted slots, must pass the EDF test in slot time on top of the pool's running
   and queued tasks at the learned run times (bot.pricing.admission): a task sold must be deliverable
   before its contribution deadline. Volume already valid on chain is admitted first, then
   shortest windows first. Without a board the rails size by the window capacity alone.
7. **max open orders**: at most ``max_open_orders`` slots get a quote with volume (the market
   refuses more open orders per wallet); the rest are vetoed, last first. (This veto is applied
   before steps 4-6, so the orders of a vetoed slot are counted as orders of other slots.)
   In pragmatic mode (``count_dearer_unpublished = false``) steps 4-6 run again when they took
   a category's last volume: a dearer unpublished order there counts once nothing cheaper is
   listed in its category.

The **deadband** and **max order age** need the existing orders one by one, so they live in the
planner (bot.pricing.planner), which also keeps every prefix of its plan within the volume cap and the
stake. Quotes keep the strategy's reason; the notes say what the rails changed.

Which orders count, their loads and stakes, and how room is shared out are the ledger's
(bot.pricing.ledger): the rails decide what to clamp or veto and say why.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal, NamedTuple

from bot.domain.errors import InputError
from bot.domain.model import Quote, Slot
from bot.pricing.admission import Batch, Committed, admit
from bot.pricing.fills import FillCandidate, FillIntent, SizedFill
from bot.pricing.ledger import Ledger, Tally, committed_of
from bot.pricing.snapshot import GPU_TAG_BIT, STANDARD_TIME_REFS, MarketSnapshot

__all__ = [
    "DEFAULT_CANCEL_GAS_COST_NRLC",
    "DEFAULT_MAX_JUMP",
    "DEFAULT_RAISE_GAIN_FACTOR",
    "KILL_PARTS",
    "MAX_JUMP",
    "MAX_OPEN_ORDERS",
    "DarkSlot",
    "KillAction",
    "RailNote",
    "RailRule",
    "RailsConfig",
    "RailsResult",
    "RunningCharge",
    "apply_rails",
    "gate_raise",
]

KillAction = Literal["freeze", "withdraw"]
# How admission charges a running task (bot.pricing.runtimes module doc): "floor", the learned run
# time minus its age, at least a quarter of it; "tail", that before the run time and the
# conditional remainder past it; "conditional", the conditional remainder at every age.
RunningCharge = Literal["floor", "tail", "conditional"]
# What the planner does when a cut would leave a slot dark (bot.pricing.planner, ``_plan_slot``):
# "off", nothing (main's); "cancel", cancel the dearer order(s) the cut leaves counted, whatever
# the one-fill gas test says; "cancel_late": "cancel" only for dearer orders already unlisted
# (dark at the last plan too).
DarkSlot = Literal["off", "cancel", "cancel_late"]

# Parts of the snapshot the bot cannot act safely without.
KILL_PARTS: tuple[str, ...] = ("book", "requests", "utilization", "own_orders", "stake")

# Clock skew tolerated before a part "from the future" counts as absurd.
FUTURE_TOLERANCE_SECONDS = 5.0

MAX_OPEN_ORDERS = 50
"""Open orders per wallet the marketplace accepts."""

# manageWorkerpoolOrder(CLOSE) costs about 100k gas; on Arbitrum at ~0.01-0.1 gwei that is
# 1e-6..1e-5 ETH, a few thousandths of an RLC at the time of writing: set it per network.
DEFAULT_CANCEL_GAS_COST_NRLC = 5_000_000
"""What one on-chain cancel costs in gas, in nRLC (``rails.cancel_gas_cost``): the planner weighs
a cancel against it, and so does the raise gate (:func:`gate_raise`)."""

DEFAULT_RAISE_GAIN_FACTOR = 1.0
"""The raise gate's factor for a strategy that declares none (``Strategy.raise_gain_factor``):
a raise must at least pay back the gas of the cancels it causes."""

MAX_RAISE_GAIN_FACTOR = 1000.0

DEFAULT_MAX_JUMP = 32.0
"""``rails.max_jump``: a deliberate jump (``Quote.jump``) moves at most x 32 or / 32 per reprice
(robust's highest perch is 32 x the market-led price)."""

MAX_JUMP = 1000.0


@dataclass(frozen=True, slots=True)
class RailsConfig:
    """The owner's limits: the config section ``[rails]`` itself.

    ``bot.config.schema`` builds the TOML table straight into this class (prices may be written
    ``"0.1 RLC"`` there), so a key has one name, one default and one rule. Types are checked
    strictly: a config's ``max_step = true`` or ``floor = "5"`` is an error, not a coercion.
    """

    floor: int = 1_000_000  # nRLC (0.001 RLC)
    ceiling: int = 1_000_000_000  # nRLC (1 RLC)
    max_step: float = 0.2  # max relative change of price per cycle
    deadband: float = 0.02  # relative change below which the current order is kept (planner)
    max_order_age_seconds: float = 86_400  # refresh an order older than this (planner)
    max_volume: int = 1000  # max valid volume per slot
    max_open_orders: int = 50  # published orders per wallet (marketplace limit)
    stale_after_seconds: float = 600
    kill_action: KillAction = "freeze"
    count_dearer_unpublished: bool = True  # False: "pragmatic mode" (see bot.pricing.planner)
    cancel_gas_cost: int = DEFAULT_CANCEL_GAS_COST_NRLC  # nRLC per on-chain cancel (planner, gate)
    # The raise gate's factor; None: the strategy's own (``Strategy.raise_gain_factor``, set by
    # the cycle through :meth:`for_strategy`); 0 turns the gate off.
    raise_gain_factor: float | None = None
    # How far a quote marked as a deliberate jump (``Quote.jump``: a price the strategy chose,
    # e.g. robust's perch) may move in one reprice, as a factor up or down; 1 steps it like any
    # quote. The step exists to smooth the following of noisy signals; a climb to a chosen price
    # in 20 % steps costs one re-signed order and one on-chain cancel per step (x 16 is 15).
    max_jump: float = DEFAULT_MAX_JUMP
    # The admission test's reserve (bot.pricing.admission): an order of ours with a later deadline
    # is charged in front of a shorter one, one task per slot on every slot but one, so a long
    # sale between two ticks cannot take the slots the short volume listed needs. False: not
    # charged (the short volume sold after a long sale in the same tick may miss its deadline).
    admission_reserve: bool = False
    # Admission: what a running task is charged (``RunningCharge``); "floor" is main's exactly.
    running_charge: RunningCharge = "floor"
    # Planner: a cut that would leave a slot with nothing of ours listed (the dearer order is
    # unpublished, left valid and counted, the new order gets no volume). "off" is main's exactly.
    dark_slot: DarkSlot = "off"

    def __post_init__(self) -> None:
        def bad(name: str, rule: str) -> InputError:
            return InputError(f"rails.{name}", rule, getattr(self, name))

        for name in ("floor", "ceiling", "max_volume", "max_open_orders", "cancel_gas_cost"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(name, "must be an integer >= 0")
        for name in (
            "max_step",
            "deadband",
            "max_order_age_seconds",
            "stale_after_seconds",
            "max_jump",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad(name, "must be a number")
            object.__setattr__(self, name, float(value))  # TOML's ``max_step = 1`` is 1.0
        factor = self.raise_gain_factor
        if factor is not None:
            if isinstance(factor, bool) or not isinstance(factor, int | float):
                raise bad("raise_gain_factor", "must be a number")
            if not 0 <= factor <= MAX_RAISE_GAIN_FACTOR:
                raise bad("raise_gain_factor", f"must be between 0 and {MAX_RAISE_GAIN_FACTOR:g}")
            object.__setattr__(self, "raise_gain_factor", float(factor))
        if not isinstance(self.admission_reserve, bool):
            raise bad("admission_reserve", "must be true or false")
        if not isinstance(self.count_dearer_unpublished, bool):
            raise bad("count_dearer_unpublished", "must be true or false")
        if self.floor > self.ceiling:
            raise bad("floor", "must be <= rails.ceiling")
        if not 0 < self.max_step <= 1:
            raise bad("max_step", "must be in (0, 1]")
        if not 1 <= self.max_jump <= MAX_JUMP:
            raise bad("max_jump", f"must be between 1 and {MAX_JUMP:g}")
        if not 0 <= self.deadband < 1:
            raise bad("deadband", "must be in [0, 1)")
        for name in ("max_order_age_seconds", "stale_after_seconds"):
            if not 0 < getattr(self, name) < math.inf:
                raise bad(name, "must be a number of seconds > 0")
        if not 1 <= self.max_open_orders <= MAX_OPEN_ORDERS:
            raise bad("max_open_orders", f"must be between 1 and {MAX_OPEN_ORDERS}")
        if self.kill_action not in ("freeze", "withdraw"):
            raise bad("kill_action", "must be 'freeze' or 'withdraw'")
        if self.running_charge not in ("floor", "tail", "conditional"):
            raise bad("running_charge", "must be 'floor', 'tail' or 'conditional'")
        if self.dark_slot not in ("off", "cancel", "cancel_late"):
            raise bad("dark_slot", "must be 'off', 'cancel' or 'cancel_late'")

    def for_strategy(self, strategy_factor: float) -> RailsConfig:
        """These rails with the raise gate's factor resolved: the owner's, else the strategy's."""
        if self.raise_gain_factor is not None:
            return self
        return _with_factor(self, strategy_factor)


@functools.lru_cache(maxsize=16)
def _with_factor(rails: RailsConfig, factor: float) -> RailsConfig:
    """``rails`` with the gate's factor set: the cycle asks every tick for the same config and
    factor, and a ``replace`` re-runs the whole validation (hashing the frozen config is cheaper).
    Equal configs give equal results, so a hit for an equal, not identical, config is right too."""
    return replace(rails, raise_gain_factor=factor)


class RailRule(StrEnum):
    """The rule behind a note (its value is what the journal and the logs show)."""

    KILL_STALE = "kill:stale"
    KILL_ABSURD = "kill:absurd"
    NO_OFFER = "veto:no-offer"
    DUPLICATE = "veto:duplicate"
    RAISE_GATE = "raise-gate"
    FLOOR = "floor"
    CEILING = "ceiling"
    MAX_STEP = "max-step"
    VOLUME_CAP = "volume-cap"
    MAX_OPEN_ORDERS = "veto:max-open-orders"
    SHARED_CAPACITY = "shared-capacity"
    MAX_VOLUME = "max-volume"
    STAKE_COVERAGE = "stake-coverage"
    ADMISSION = "admission"
    FILL_REFUSED = "veto:fill"
    FILL_CEILING = "fill-ceiling"
    FILL_SIZE = "fill-size"

    @property
    def kills(self) -> bool:
        return self in (RailRule.KILL_STALE, RailRule.KILL_ABSURD)


class RailNote(NamedTuple):
    """One clamp or veto: which slot (None for the whole decision), which rule, and why."""

    slot: Slot | None
    rule: RailRule
    detail: str


@dataclass(frozen=True, slots=True)
class RailsResult:
    """The quotes the bot may act on, what was changed and why, and the kill switch."""

    quotes: tuple[Quote, ...]
    notes: tuple[RailNote, ...]
    kill: KillAction | None = None
    volume_cap: int | None = None  # total valid volume of ours the result allows (all slots)
    fills: tuple[
        SizedFill, ...
    ] = ()  # waiting requests to fill now (bot.pricing.fills), sized first


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
                    RailRule.KILL_STALE,
                    f"{part} is {shown} (limit {cfg.stale_after_seconds:.0f}s)",
                )
            )
    why = _absurd(snapshot)
    if why:
        notes.extend(RailNote(None, RailRule.KILL_ABSURD, w) for w in why)
    return notes


def gate_raise(
    snapshot: MarketSnapshot, slot: Slot, price: int, *, gain_factor: float, cancel_cost: int
) -> tuple[int, str]:
    """The price to act on in ``slot`` (``price``, or our listed one it is held at), and why.

    The planner must cancel on chain every order of ours cheaper than the wanted price
    (unpublishing alone leaves it matchable at the old price), so each raise costs one cancel
    per cheaper order. A strategy that follows a noisy signal upwards (an undercutting rival
    moving by a few steps, a controller nudging the price) would pay that gas for a raise worth
    a fraction of it. So a raise is held at our newest listed price unless the extra revenue of
    the volume the cancelled orders still hold, ``sum((new - old) x remaining)``, reaches
    ``gain_factor x cancel_cost x cancelled orders``. The gain is an upper bound (the dearer
    order may sell less), hence a factor >= 1. Drops are never held: they keep us competitive.
    ``gain_factor = 0`` turns the gate off. The detail is "" when the price is unchanged.
    """
    if gain_factor <= 0:
        return price, ""
    orders = snapshot.own_by_slot.get(slot, ())
    cheaper = [o for o in orders if o.price < price and o.remaining > 0]
    listed = [o for o in cheaper if o.published]
    if not listed:
        return price, ""
    gain = sum((price - o.price) * o.remaining for o in cheaper)
    cost = gain_factor * cancel_cost * len(cheaper)
    if gain >= cost:
        return price, ""
    held = max(listed, key=lambda o: (o.published_at, o.order_hash)).price
    return held, (
        f"raise to {price} held at {held}: gain {gain} nRLC < {gain_factor:g} x cancel gas "
        f"{cancel_cost} x {len(cheaper)}"
    )


def _step_clamp(price: int, current: int | None, cfg: RailsConfig, jump: bool) -> int:
    if current is None or current <= 0 or current == price:
        return price  # (an unchanged price is within any step: no float work per tick)
    low = math.ceil(current * (1 - cfg.max_step))
    high = math.floor(current * (1 + cfg.max_step))
    if jump:  # (never tighter than the step: max_jump 1 steps a jump like any quote)
        low = min(low, math.ceil(current / cfg.max_jump))
        high = max(high, math.floor(current * cfg.max_jump))
    return min(max(price, low), high)


def apply_rails(
    quotes: Iterable[Quote],
    snapshot: MarketSnapshot,
    ledger: Ledger,
    cfg: RailsConfig,
    fills: Sequence[tuple[FillIntent, FillCandidate]] = (),
) -> RailsResult:
    """Clamp or veto ``quotes``; see the module docstring for the rules and their order.

    ``ledger`` is the account of ``snapshot`` for the configured offers
    (``Ledger.of(snapshot, offers, cfg)``). ``fills`` are waiting requests that passed the fill
    rules (``bot.pricing.fills.candidates``): they are sized first, with the same account and admission
    test (a fill is a sale now; a quote may never sell), and the quotes share what they leave.
    """
    notes: list[RailNote] = []
    kill_notes = _kill(snapshot, cfg)
    if kill_notes:
        return RailsResult((), tuple(kill_notes), cfg.kill_action, None)

    offers, windows = ledger.offers, ledger.windows
    gain_factor = cfg.raise_gain_factor or 0.0
    kept: dict[Slot, Quote] = {}
    for q in quotes:
        slot = q.slot
        offer = offers.get(slot)
        if offer is None:
            notes.append(RailNote(slot, RailRule.NO_OFFER, "no [[offers]] entry sells this slot"))
            continue
        if slot in kept:
            notes.append(RailNote(slot, RailRule.DUPLICATE, "a second quote for the same slot"))
            continue
        price = q.price
        if gain_factor:
            price, held = gate_raise(
                snapshot, slot, price, gain_factor=gain_factor, cancel_cost=cfg.cancel_gas_cost
            )
            if held:
                notes.append(RailNote(slot, RailRule.RAISE_GATE, held))
        if price < cfg.floor:
            notes.append(RailNote(slot, RailRule.FLOOR, f"{price} raised to floor {cfg.floor}"))
            price = cfg.floor
        elif price > cfg.ceiling:
            notes.append(
                RailNote(slot, RailRule.CEILING, f"{price} lowered to ceiling {cfg.ceiling}")
            )
            price = cfg.ceiling
        current = snapshot.current_price(slot)
        stepped = _step_clamp(price, current, cfg, q.jump)
        if stepped != price:
            limit = f"x {cfg.max_jump:g} (a jump)" if q.jump else f"{cfg.max_step:.0%}"
            notes.append(
                RailNote(
                    slot,
                    RailRule.MAX_STEP,
                    f"{price} -> {stepped}: at most {limit} from current {current}",
                )
            )
            price = min(max(stepped, cfg.floor), cfg.ceiling)
        volume = q.volume
        capacity = min(offer.max_volume, windows[slot])
        cap = min(cfg.max_volume, capacity)
        if volume > cap:
            notes.append(
                RailNote(
                    slot,
                    RailRule.VOLUME_CAP,
                    f"{volume} -> {cap}: capacity {capacity}, max_volume {cfg.max_volume}",
                )
            )
            volume = cap
        if price != q.price or volume != q.volume:
            q = replace(q, price=price, volume=volume)
        kept[slot] = q

    # Orders of ours in slots nobody quotes keep their load and stake (the planner unpublishes
    # them, and cancels some, but cannot be assumed to).
    # Vetoed before sizing: a vetoed slot's orders become "other" orders that keep their load.
    if len(kept) > cfg.max_open_orders:
        kept = {q.slot: q for q in _limit_open_orders(list(kept.values()), cfg, notes)}
    account = ledger.wanting(kept)
    fit = _fit(list(kept.values()), snapshot, account, cfg, fills)
    cuts = list(fit.cut_notes)
    # Pragmatic mode judges an unpublished order dearer than we want against the cheapest quote
    # with volume in its category; where sizing took a category's last volume, nothing cheaper
    # is listed there and those orders count again: fit once more around them. Volumes only
    # fall, so each pass removes a category or ends it.
    for _ in range(len(kept)):
        if cfg.count_dearer_unpublished:
            break
        again = ledger.wanting({q.slot: q for q in fit.quotes})
        if again.wanted.by_category == account.wanted.by_category:
            break
        account = again
        fit = _fit(fit.quotes, snapshot, account, cfg, fills)
        cuts.extend(fit.cut_notes)
    # Each pass cuts from the volumes the pass before left, so every pass's cuts are said; each
    # pass sizes the fills afresh, so only the last pass's fill notes describe the fills made.
    notes.extend(fit.fill_notes)
    notes.extend(cuts)
    return RailsResult(tuple(fit.quotes), tuple(notes), None, fit.volume_cap, fit.sized)


@dataclass(frozen=True, slots=True)
class _Fitted:
    """One pass of steps 4-6: the quotes, the total valid volume they allow, the sized fills,
    and the pass's notes kept apart (fill sizing vs volume cuts) because a later pass replaces
    the first kind and adds to the second."""

    quotes: list[Quote]
    volume_cap: int
    sized: tuple[SizedFill, ...]
    fill_notes: tuple[RailNote, ...]
    cut_notes: tuple[RailNote, ...]


def _fit(
    final: list[Quote],
    snapshot: MarketSnapshot,
    account: Ledger,
    cfg: RailsConfig,
    fills: Sequence[tuple[FillIntent, FillCandidate]],
) -> _Fitted:
    """Steps 4-6 for the quotes kept by steps 1-3 and 7, judged by ``account``: the fills sized
    first, then the quotes scaled to what the orders of unquoted slots and the fills leave."""
    fill_notes: list[RailNote] = []
    notes: list[RailNote] = []
    kept = {q.slot: q for q in final}
    other = account.tally_unquoted(snapshot.own_by_slot)
    other_volume = other.volume
    sized: tuple[SizedFill, ...] = ()
    fill_batches: list[Batch] = []
    if fills:
        sized, fill_tally, fill_batches = _size_fills(
            fills, snapshot, account, cfg, other, set(kept), fill_notes
        )
        other = other.plus(fill_tally)
    need = account.tally_quotes(kept)
    # Fast path (most cycles): everything fits, nothing to share out.
    if not account.fits(other.plus(need)):
        existing = [account.held(snapshot.own_in(slot)) for slot in kept]
        final = _resize(
            final,
            account.share_load(final, existing, other),
            RailRule.SHARED_CAPACITY,
            f"slots are shared; orders in other slots use {other.load:.0%} of the window",
            notes,
        )
        final = _resize(
            final,
            account.share_volume(final, existing, other),
            RailRule.MAX_VOLUME,
            "rails.max_volume caps our valid volume, all slots together "
            f"({account.volume_room(other)} left after orders in other slots)",
            notes,
        )
        final = _resize(
            final,
            account.share_stake(final, existing, other),
            RailRule.STAKE_COVERAGE,
            f"free stake {account.free_stake} nRLC, other orders need {other.stake} "
            "(30% of price per task)",
            notes,
        )
        need = account.tally_quotes(dict(zip(kept, final, strict=True)))
    if snapshot.tasks is not None and snapshot.utilization is not None:
        admitted = _admission(final, snapshot, account, cfg, notes, fill_batches)
        if admitted is not final:
            final = admitted
            need = account.tally_quotes({q.slot: q for q in final})
    return _Fitted(final, other_volume + need.volume, sized, tuple(fill_notes), tuple(notes))


def _resize(
    quotes: list[Quote], volumes: list[int], rule: RailRule, detail: str, notes: list[RailNote]
) -> list[Quote]:
    out = []
    for q, v in zip(quotes, volumes, strict=True):
        if v != q.volume:
            notes.append(RailNote(q.slot, rule, f"{q.volume} -> {v}: {detail}"))
            q = q.with_volume(v)
        out.append(q)
    return out


class _Frame:
    """What the EDF test needs for this tick: windows and run times per category, the
    committed work, and the counted orders of slots nobody quotes as fixed batches."""

    def __init__(self, snapshot: MarketSnapshot, account: Ledger, quoted: set[Slot]) -> None:
        board = snapshot.tasks
        util = snapshot.utilization
        assert board is not None and util is not None
        windows: dict[int, float] = {c: 7.0 * r for c, r in STANDARD_TIME_REFS.items()}
        priors: dict[int, float] = {c: float(r) for c, r in STANDARD_TIME_REFS.items()}
        for offer in account.offers.values():
            windows[offer.category] = float(offer.contribution_window)
            priors[offer.category] = float(offer.task_seconds)
        for t in board.open_tasks:
            if t.category not in windows:
                windows[t.category] = t.contribution_deadline - t.deal_start
                priors[t.category] = windows[t.category] / 7.0
        self.windows = windows
        self.slots = util.registered_cpu
        self.committed: Committed = committed_of(util, board)
        self.run: Callable[[int], float] = lambda c: board.run_seconds(c, priors[c])
        self.fixed = [
            Batch(windows[o.category], self.run(o.category), o.remaining, o.price)
            for slot, orders in snapshot.own_by_slot.items()
            if slot not in quoted
            for o in orders
            if o.category in windows and not o.tag >> GPU_TAG_BIT & 1 and account.counts(o)
        ]

    def batch(self, category: int, volume: int, price: int = 0) -> Batch:
        return Batch(self.windows[category], self.run(category), volume, price)


def _size_fills(
    fills: Sequence[tuple[FillIntent, FillCandidate]],
    snapshot: MarketSnapshot,
    account: Ledger,
    cfg: RailsConfig,
    other: Tally,
    quoted: set[Slot],
    notes: list[RailNote],
) -> tuple[tuple[SizedFill, ...], Tally, list[Batch]]:
    """Price and size each fill in turn against what orders of unquoted slots and the fills
    before it claim: the account's window, total volume and stake, then the EDF test."""
    frame = (
        _Frame(snapshot, account, quoted)
        if snapshot.tasks is not None and snapshot.utilization is not None
        else None
    )
    out: list[SizedFill] = []
    batches: list[Batch] = []
    claimed = Tally()
    for intent, cand in fills:
        slot = cand.offer.slot
        price = intent.price
        if price > cand.cap:
            detail = f"fill {cand.request_hash[:10]}: {price} above the request's cap {cand.cap}"
            notes.append(RailNote(slot, RailRule.FILL_REFUSED, detail + " (would revert)"))
            continue
        if price < cfg.floor:
            detail = f"fill {cand.request_hash[:10]}: {price} below floor {cfg.floor}"
            notes.append(RailNote(slot, RailRule.FILL_REFUSED, detail))
            continue
        if price > cfg.ceiling:
            notes.append(
                RailNote(
                    slot,
                    RailRule.FILL_CEILING,
                    f"fill {cand.request_hash[:10]}: {price} lowered to ceiling {cfg.ceiling}",
                )
            )
            price = cfg.ceiling
        want = min(intent.volume, cand.volume)
        total = other.plus(claimed)
        volume = want
        window = account.window(slot) or 0
        if account.utilization is None:
            volume = 0
        else:
            volume = min(volume, math.floor(account.load_room(total) * window + 1e-9))
        if account.max_volume is not None:
            volume = min(volume, max(0, account.volume_room(total)))
        if account.free_stake is not None and price > 0:
            per_task = account.claim(slot, price, 1).stake
            if per_task > 0:
                volume = min(volume, max(0, account.stake_room(total)) // per_task)
        while volume > 0 and not account.fits(total.plus(account.claim(slot, price, volume))):
            volume -= 1
        if volume > 0 and frame is not None and not cand.offer.gpu:
            wanted = [frame.batch(cand.offer.category, volume, price)]
            volume = admit(
                frame.slots,
                frame.committed,
                frame.fixed + batches,
                wanted,
                [0],
                cfg.admission_reserve,
            )[0]
        if volume != want:
            notes.append(
                RailNote(
                    slot,
                    RailRule.FILL_SIZE,
                    f"fill {cand.request_hash[:10]}: {want} -> {volume}: the pool's window, "
                    "volume, stake and deadline test after orders in unquoted slots and "
                    "earlier fills",
                )
            )
        if volume <= 0:
            continue
        claimed = claimed.plus(account.claim(slot, price, volume))
        if frame is not None and not cand.offer.gpu:
            batches.append(frame.batch(cand.offer.category, volume, price))
        out.append(SizedFill(cand, price, volume, intent.reason))
    return tuple(out), claimed, batches


def _admission(
    quotes: list[Quote],
    snapshot: MarketSnapshot,
    account: Ledger,
    cfg: RailsConfig,
    notes: list[RailNote],
    fill_batches: Sequence[Batch] = (),
) -> list[Quote]:
    """Cut the quoted CPU volumes to what the EDF test admits (step 6; bot.pricing.admission); the
    fills sized this tick are fixed work in front of them."""
    board = snapshot.tasks
    util = snapshot.utilization
    assert board is not None and util is not None
    offers = account.offers
    frame = _Frame(snapshot, account, {q.slot for q in quotes})
    committed = frame.committed
    fixed = frame.fixed + list(fill_batches)
    cpu = [i for i, q in enumerate(quotes) if not offers[q.slot].gpu]
    if not cpu:
        return quotes
    wanted = [frame.batch(quotes[i].category, quotes[i].volume, quotes[i].price) for i in cpu]
    existing = [account.held(snapshot.own_in(quotes[i].slot)) for i in cpu]
    got = admit(util.registered_cpu, committed, fixed, wanted, existing, cfg.admission_reserve)
    volumes = [q.volume for q in quotes]
    for i, v in zip(cpu, got, strict=True):
        volumes[i] = v
    return _resize(
        quotes,
        volumes,
        RailRule.ADMISSION,
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
                        q.slot,
                        RailRule.MAX_OPEN_ORDERS,
                        f"already {cfg.max_open_orders} slots with orders (max_open_orders)",
                    )
                )
                continue
            live += 1
        out.append(q)
    return out

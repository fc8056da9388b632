"""The planner: desired quotes vs our valid orders -> ordered Keep / Unpublish / Cancel / Relist /
Publish.

A quote (after the rails) says, for one slot, the price we want and the *total* valid volume of
ours allowed there. For each of our orders in that slot:

- **keep** it when its price is within ``deadband`` of the wanted price and it is younger than
  ``max_order_age_seconds``: it keeps its place in the queue (same price, earliest first). Such an
  order that is valid on chain but not listed (its publish failed, or the kill switch withdrew
  it) is **relisted**: the signed order is published again, which costs no gas, where cancelling
  it and signing a copy would cost a cancel;
- otherwise it goes: it is **unpublished** (cheap, off-chain) and then
  - if it is **cheaper** than the wanted price it is **cancelled on chain** (unpublish alone leaves
    a signed order matchable by anyone who kept it, at the old low price);
  - if it is **dearer** (or as dear, when refreshed for age), it stays valid on chain and either
    keeps counting against the cap (the new order's volume shrinks by its remaining), or is
    cancelled. The choice is by cost: the gas of a cancel (``rails.cancel_gas_cost``) against the
    value of the capacity it would idle, ``shrink x new price``. In pragmatic mode
    (``rails.count_dearer_unpublished = false``) a dearer unpublished order does not count at all,
    so it is only unpublished; cheaper ones always count. When the dearer orders left counted
    fill the cap and nothing is kept, the slot would list nothing ("dark"): ``rails.dark_slot``
    (off by default) cancels them anyway (``_light_dark_slot``).
- whatever counted volume is still over the slot's cap afterwards is cancelled (left-over dearer
  orders first, then the newest kept orders);
- the rest of the slot's volume is **published** as one new order (at the kept price when an
  order was kept, to keep one price per slot); a kept slot is only topped up for at least
  ``TOP_UP_MIN_SHARE`` of its cap and while it has fewer than ``MAX_ORDERS_PER_SLOT`` orders.

Orders of ours in slots nobody quotes are unpublished and cancelled when cheaper than what we want
in their category (or below the floor), or when the pool no longer has room for them (needs
``offers``); dearer ones stay valid and counted.

The plan is ordered Keep, Unpublish, Cancel, Relist, Publish. Only Publish adds volume or stake
(a relisted order's volume and stake are counted already), and the
publishes are sized so the final state fits, so every prefix of the plan keeps the counted valid
volume within each slot's cap and the stake coverage within the free stake. The executor must
publish only after the cancels before it are confirmed. If the stake does not cover even what is
kept, new volume is cut first, then orders are cancelled until it does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from operator import attrgetter, itemgetter

from bot.domain.model import (
    Action,
    Cancel,
    Keep,
    OwnOrder,
    Publish,
    Quote,
    Relist,
    Slot,
    Unpublish,
)
from bot.pricing.ledger import Ledger, required_stake
from bot.pricing.rails import KillAction, RailsConfig
from bot.pricing.snapshot import MarketSnapshot

__all__ = [
    "MAX_ORDERS_PER_SLOT",
    "TOP_UP_MIN_SHARE",
    "Plan",
    "StepKind",
    "plan",
    "within_deadband",
]

# A kept slot is topped up with a new order only for at least this share of its cap, and only
# while it has fewer than MAX_ORDERS_PER_SLOT orders: one new order per freed task would split a
# slot into dozens of volume-1 orders, each a publish (and maybe a cancel) to manage.
TOP_UP_MIN_SHARE = 0.25
MAX_ORDERS_PER_SLOT = 4


class StepKind(StrEnum):
    """The kinds of action a plan holds, in the order a plan lists them (``Action.kind``)."""

    KEEP = "keep"
    UNPUBLISH = "unpublish"
    CANCEL = "cancel"
    RELIST = "relist"
    PUBLISH = "publish"


@dataclass(frozen=True, slots=True)
class Plan:
    """Ordered actions, each with its reason, and planner notes (why volumes were cut)."""

    actions: tuple[Action, ...]
    notes: tuple[str, ...] = ()

    def of_kind(self, kind: StepKind) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind == kind)


def within_deadband(old: int, new: int, deadband: float) -> bool:
    """True when moving from ``old`` to ``new`` is too small to be worth a new order."""
    if old == new:
        return True
    if old <= 0:
        return False
    return abs(new - old) <= deadband * old


@dataclass(slots=True)
class _Work:
    """Mutable scratch space of one planning pass (never leaves this module)."""

    keeps: list[Keep] = field(default_factory=list)
    unpublishes: list[Unpublish] = field(default_factory=list)
    cancels: list[Cancel] = field(default_factory=list)
    relists: list[Relist] = field(default_factory=list)
    publishes: list[Publish] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Orders that remain valid and count after the plan (hash -> (order, published after)).
    left: dict[str, tuple[OwnOrder, bool]] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    # Relisted orders that would not count if left unlisted (pragmatic mode, dearer).
    optional: set[str] = field(default_factory=set)

    def cancel(self, o: OwnOrder, reason: str, unpublish_reason: str | None = None) -> None:
        if o.published and unpublish_reason is not None:
            self.unpublishes.append(Unpublish(o.order_hash, unpublish_reason))
        self.cancels.append(Cancel(o.order_hash, reason))
        self.cancelled.add(o.order_hash)
        self.left.pop(o.order_hash, None)


def _short(h: str) -> str:
    return h[:10]


def plan(
    snapshot: MarketSnapshot,
    quotes: Iterable[Quote],
    cfg: RailsConfig,
    *,
    ledger: Ledger | None = None,
    kill: KillAction | None = None,
) -> Plan:
    """Turn wanted quotes into ordered actions; see the module docstring for the rules.

    ``ledger`` is the account the rails sized ``quotes`` with; without one only the stake is
    fitted (from the snapshot), not the pool's window.
    """
    own = snapshot.own_orders
    if kill == "freeze":
        return Plan(tuple(Keep(o.order_hash, "kill switch: freeze") for o in own))
    if kill == "withdraw":
        # Off-chain only: the trigger is often a data outage, and a cancel per order per outage
        # would burn gas; nothing new is published while the switch holds, so the unpublished
        # orders (still valid, still counted) cannot push volume or stake over their limits.
        return Plan(
            tuple(
                Unpublish(o.order_hash, "kill switch: withdraw")
                if o.published
                else Keep(o.order_hash, "kill switch: withdraw (already unpublished)")
                for o in own
            )
        )

    wanted: dict[Slot, Quote] = {}
    for q in quotes:
        wanted.setdefault(q.slot, q)
    by_slot: dict[Slot, tuple[OwnOrder, ...]] = dict(snapshot.own_by_slot)
    fit_window = ledger is not None
    account = (ledger or Ledger.of(snapshot, (), cfg)).wanting(wanted)

    w = _Work()
    for key, q in wanted.items():
        _plan_slot(w, q, by_slot.pop(key, ()), snapshot.at, cfg, cfg.cancel_gas_cost, account)

    strays = [o for orders in by_slot.values() for o in orders]
    for o in strays:
        _plan_stray(w, o, account, cfg)
    if fit_window:
        _fit_shared_capacity(w, strays, wanted, account)
    _fit_stake(w, account)
    _fit_open_orders(w, cfg)
    actions: list[Action] = [*w.keeps, *w.unpublishes, *w.cancels, *w.relists, *w.publishes]
    return Plan(tuple(actions), tuple(w.notes))


def _plan_slot(
    w: _Work,
    q: Quote,
    orders: tuple[OwnOrder, ...],
    at: float,
    cfg: RailsConfig,
    gas: int,
    account: Ledger,
) -> None:
    p, cap = q.price, q.volume
    keep: list[OwnOrder] = []
    dearer: list[OwnOrder] = []
    max_age, deadband = cfg.max_order_age_seconds, cfg.deadband
    if len(orders) > 1:
        orders = tuple(sorted(orders, key=lambda o: (o.published_at, o.order_hash)))
    kept_volume = 0
    for o in orders:
        price = o.price
        # within_deadband(price, p, deadband), inlined: this loop runs for every order every tick
        in_band = price == p or (price > 0 and abs(p - price) <= deadband * price)
        if in_band and at - o.published_at < max_age:
            keep.append(o)  # an unlisted one is listed again (Relist), not cancelled and re-signed
            kept_volume += o.remaining
            continue
        why = f"price {o.price} -> {p}" if not in_band else f"older than {max_age:.0f}s: refresh"
        if o.published:
            w.unpublishes.append(Unpublish(o.order_hash, f"replaced ({why})"))
        if o.price < p:
            w.cancels.append(
                Cancel(
                    o.order_hash,
                    f"cheaper ({o.price} < {p}); unpublish alone leaves it matchable on chain",
                )
            )
            w.cancelled.add(o.order_hash)
        elif not account.counts(o, listed=False):
            w.notes.append(
                f"{_short(o.order_hash)} dearer ({o.price} > {p}) and unpublished: "
                "not counted (pragmatic mode)"
            )
        elif in_band and not o.published:
            # Wanted but unlisted for a whole max age (relists kept failing): left valid and
            # counted it would hold its slot's capacity, unlisted, for good.
            w.cancels.append(
                Cancel(o.order_hash, f"not listed for {max_age:.0f}s at a wanted price: replaced")
            )
            w.cancelled.add(o.order_hash)
        else:
            dearer.append(o)

    # Cost choice for each dearer order that would keep counting (dearest first: most idle).
    left_volume = 0
    left_here: list[OwnOrder] = []
    if len(dearer) > 1:
        dearer.sort(key=lambda o: -o.price)
    for o in dearer:
        room = max(0, cap - kept_volume - left_volume)
        shrink = min(o.remaining, room)
        idle_value = shrink * p
        if shrink > 0 and idle_value > gas:
            w.cancels.append(
                Cancel(
                    o.order_hash,
                    f"dearer ({o.price} > {p}) but left valid it would idle {shrink} tasks "
                    f"worth {idle_value} nRLC > cancel gas {gas} nRLC",
                )
            )
            w.cancelled.add(o.order_hash)
            continue
        left_volume += o.remaining
        left_here.append(o)
        w.left[o.order_hash] = (o, False)
        w.notes.append(
            f"{_short(o.order_hash)} dearer ({o.price} >= {p}): left valid, its "
            f"{o.remaining} remaining keeps counting (idle {shrink} tasks worth {idle_value} "
            f"nRLC <= cancel gas {gas} nRLC)"
        )

    # Over the slot's cap: cancel left-over dearer orders, then the newest kept ones.
    for o in sorted(left_here, key=lambda o: -o.remaining) if left_here else ():
        if kept_volume + left_volume <= cap:
            break
        left_volume -= o.remaining
        w.cancel(o, f"over the slot's volume cap {cap}: valid volume must fit capacity")
    # Relist candidates (not on the market) give way first, newest first; an uncounted one
    # (pragmatic mode, dearer) is simply not relisted, a counted one must be closed.
    for o in [o for o in reversed(keep) if not o.published] if keep else ():
        if kept_volume + left_volume <= cap:
            break
        keep.remove(o)
        kept_volume -= o.remaining
        if account.counts(o, listed=False):
            w.cancel(o, f"over the slot's volume cap {cap}: valid volume must fit capacity")
        else:
            w.notes.append(f"{_short(o.order_hash)} not relisted: over the slot's cap {cap}")
    while keep and kept_volume + left_volume > cap:
        o = keep.pop()
        kept_volume -= o.remaining
        w.cancel(
            o,
            f"over the slot's volume cap {cap}: valid volume must fit capacity",
            unpublish_reason=f"over the slot's volume cap {cap}",
        )

    if cfg.dark_slot != "off" and cap > 0 and not keep and left_volume >= cap:
        left_volume = _light_dark_slot(w, q, left_here, left_volume, cfg)

    keeps, left = w.keeps, w.left
    for o in keep:
        h = o.order_hash
        if o.published:
            keeps.append(Keep(h, f"price {o.price} within deadband of {p}"))
        else:
            if not account.counts(o, listed=False):
                w.optional.add(h)  # may be left unlisted (uncounted) rather than cancelled
            w.relists.append(
                Relist(
                    h,
                    f"price {o.price} within deadband of {p}, valid on chain but not listed: "
                    "listed again",
                )
            )
        left[h] = (o, True)

    new_volume = cap - kept_volume - left_volume
    if new_volume > 0 and keep:
        least = max(1, math.ceil(TOP_UP_MIN_SHARE * cap))
        if new_volume < least or len(keep) >= MAX_ORDERS_PER_SLOT:
            w.notes.append(
                f"top-up of {new_volume} in {q.slot[:2]} deferred: under {least} tasks "
                f"or already {len(keep)} orders (limits order fragmentation)"
            )
            new_volume = 0
    if new_volume > 0:
        # never above the wanted price: orders left valid at or above it must stay dearer
        price = min((o.price for o in keep), default=p)
        price = min(price, p)
        reason = q.reason or "strategy quote"
        if keep:
            reason = f"{reason}; top-up of {new_volume} at kept price {price}"
        elif left_volume:
            reason = f"{reason}; volume {cap} - {left_volume} still valid on older orders"
        w.publishes.append(
            Publish(
                replace(q, price=price, volume=new_volume),
                reason,
            )
        )


def _light_dark_slot(
    w: _Work,
    q: Quote,
    left_here: list[OwnOrder],
    left_volume: int,
    cfg: RailsConfig,
) -> int:
    """``rails.dark_slot``: the slot would go dark; list something. Returns the volume left counted.

    Why (docs/strategies.md, items 96-97): a cut to ``p`` unpublishes our dearer order and cancels
    it only when the capacity it idles is worth one cancel, ``shrink x p > cancel_gas_cost``. Under
    that (2.5 M a task for a 2-task slot at the default 5 M gas) the dearer order is left valid,
    unlisted and counted against the slot's cap, the new order gets no volume, and nothing of ours
    is listed. On train 10000 (``undercut_fast``, one 2-task slot, an undercutter down to 2.01 M)
    40 % of robust's decisions were dark that way: the undercutter, seeing no order of ours, went
    back up over 13 M, and the strategy's floor posture measured an empty book. The one-fill test
    values the idle capacity as one sale at ``p``; in a dark slot the choice is "off the market
    until that order is cancelled or expires" against one cancel.

    - "cancel": cancel the dearer orders left counted here (most remaining first) until the quote
      has room: the new order is published after the cancels, as any cut over the threshold is;
    - "cancel_late": the same, only for the dearer orders already unlisted before this plan (the
      slot was dark at the last plan too): a dark tick the undercutter ends by moving costs no
      cancel, a slot that stays dark is listed one plan later. On train 1082 (``undercut_fast``,
      two undercutters stepping every 40 s near 1.5 M) "cancel" paid 238 cancels for main's 104
      and lost 4 % net; "cancel_late" 145, +22 %.

    A third mode, "keep" (the dearer order kept listed, no replacement), lost on 10000 and 1057
    (item 97) and had to take back the unpublish already planned: removed in session 28.

    Only where nothing else of ours is kept in the slot and the left-over dearer volume fills the
    cap; any other plan is main's. Every prefix of the plan stays within the cap: the cancels only
    remove counted volume before the publish.
    """
    p, cap = q.price, q.volume
    here = [o for o in left_here if o.order_hash in w.left]
    if cfg.dark_slot == "cancel_late":
        here = [o for o in here if not o.published]  # dark since the last plan
    for o in sorted(here, key=lambda o: (-o.remaining, -o.price)):
        if left_volume < cap:
            break
        left_volume -= o.remaining
        w.cancel(
            o,
            f"dark slot: dearer ({o.price} > {p}) left valid it would leave the slot's {cap} "
            "tasks with nothing listed: cancelled whatever the one-fill gas test says",
        )
    return left_volume


def _plan_stray(w: _Work, o: OwnOrder, account: Ledger, cfg: RailsConfig) -> None:
    if o.published:
        w.unpublishes.append(Unpublish(o.order_hash, "slot no longer wanted"))
    wanted_price = account.wanted.price(o.slot)
    reference = wanted_price if wanted_price is not None else cfg.floor
    if o.price < reference:
        what = "what we want in its category" if wanted_price is not None else "the floor"
        w.cancels.append(
            Cancel(o.order_hash, f"not wanted and cheaper ({o.price}) than {what} ({reference})")
        )
        w.cancelled.add(o.order_hash)
    elif account.counts(o, listed=False):
        w.left[o.order_hash] = (o, False)


def _fit_shared_capacity(
    w: _Work, strays: list[OwnOrder], wanted: dict[Slot, Quote], account: Ledger
) -> None:
    """Cancel stray orders until the counted strays plus the quoted slots fit the pool."""
    left_strays = [o for o in strays if o.order_hash in w.left]
    if not left_strays:
        return  # the rails already fitted the quoted slots into the pool
    for o in account.over_window(wanted, left_strays):
        w.cancel(o, "not wanted and the pool has no room for its remaining volume")


_first = itemgetter(0)
_quote = attrgetter("quote")


def _fit_stake(w: _Work, account: Ledger) -> None:
    """Cut new volume, then cancel counted orders, until the final state is covered."""
    free = account.free_stake
    if free is None:
        return
    need = account.stake_needed(map(_first, w.left.values()), map(_quote, w.publishes))
    if need <= free:
        return
    for i in range(len(w.publishes) - 1, -1, -1):
        a = w.publishes[i]
        per_unit = required_stake(a.quote.price, 1)
        if per_unit == 0:
            continue
        excess = need - free
        cut = min(a.quote.volume, -(-excess // per_unit))
        volume = a.quote.volume - cut
        need -= cut * per_unit
        w.notes.append(f"publish {a.quote.slot[:2]} cut {cut} tasks: free stake {free} nRLC")
        if volume <= 0:
            del w.publishes[i]
        else:
            w.publishes[i] = Publish(
                a.quote.with_volume(volume),
                f"{a.reason}; cut to {volume} by stake coverage",
            )
        if need <= free:
            return
    # Still over: cancel what stays valid, unpublished and dearest-stake first, kept last.
    order = sorted(
        w.left.values(),
        key=lambda item: (item[1], -required_stake(item[0].price, item[0].remaining)),
    )
    for o, kept in order:
        if need <= free:
            break
        need -= required_stake(o.price, o.remaining)
        if o.order_hash in w.optional:
            # not relisted instead of closed: left unlisted it no longer counts
            w.relists = [r for r in w.relists if r.order_hash != o.order_hash]
            w.left.pop(o.order_hash, None)
            w.notes.append(f"{_short(o.order_hash)} not relisted: free stake {free} nRLC")
            continue
        if kept:
            w.keeps = [k for k in w.keeps if k.order_hash != o.order_hash]
            w.relists = [r for r in w.relists if r.order_hash != o.order_hash]
        w.cancel(
            o,
            f"stake coverage: free stake {free} nRLC does not cover the valid orders",
            unpublish_reason="stake coverage" if kept else None,
        )


def _fit_open_orders(w: _Work, cfg: RailsConfig) -> None:
    """Drop new orders beyond the wallet's open-order limit (kept ones stay)."""
    if not w.publishes:
        return
    listed = sum(1 for _, published in w.left.values() if published)
    room = max(0, cfg.max_open_orders - listed)
    if len(w.publishes) > room:
        for a in w.publishes[room:]:
            w.notes.append(
                f"publish {a.quote.slot[:2]} dropped: max_open_orders {cfg.max_open_orders}"
            )
        del w.publishes[room:]

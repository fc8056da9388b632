"""Reconcile: make the journal, the marketplace and the chain agree, at start and periodically.

Three views of "our orders" can drift apart: a crash between journalling and publishing, an order
published by hand or by an earlier run, an order the marketplace dropped (``dead``) when stake ran
short, a cancel whose confirmation was lost. The invariant reconcile restores is simple: **no order
of ours is valid on chain without being tracked**, and no tracked order is dangerous.

The decision is the pure function :func:`decide` (three views in, steps out), tested table-driven;
:func:`run_reconcile` is the shell that reads the ports, calls it and applies the steps.

Rules, in order:

1. The workerpool's owner on chain is not our key -> ``Stop`` (nothing else is done).
2. A known order with nothing left on chain -> ``Forget`` (filled or closed; stop tracking).
3. A known order the marketplace lists ``open`` -> fine, tracked.
4. A known order the marketplace lists ``dead`` -> ``Republish`` once free stake covers it again
   (stake is spent in order, cheapest first), otherwise it stays tracked and waits.
5. A known order the marketplace does not list but still valid on chain -> ``Cancel`` if it is
   dangerous: cheaper than our current price for its slot, or over the cap (the loads of all our
   valid orders would exceed the pool's window). Otherwise it stays tracked (the cycle counts it
   against the cap). With no current price for its slot (at start, or while the kill switch
   holds) it stays tracked too: the next tick decides, as for any order of ours (relist it if its
   price is still wanted, close it if it is cheaper); closing every withdrawn order during a data
   outage would cost a cancel each, which the kill switch's withdraw exists to avoid.
6. A listed order we do not know -> ``Adopt`` (journal and track it) or, with
   ``unknown_orders = "withdraw"``, ``Unpublish`` then ``Cancel`` it. An unknown listed order whose
   body we cannot read cannot be closed: it is unpublished and reported.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.domain.errors import BotError, OwnershipError
from bot.domain.model import (
    Cancel,
    MarketStatus,
    OwnOrder,
    SignedWorkerpoolOrder,
    Slot,
    Unpublish,
)
from bot.pricing.ledger import Ledger, Tally

if TYPE_CHECKING:
    from bot.engine.cycle import CyclePorts, CycleSettings, CycleState
    from bot.engine.executor import Executor
    from bot.engine.ports import MarketReader

__all__ = [
    "Adopt",
    "Forget",
    "ListedOrder",
    "ReconcileReport",
    "ReconcileStep",
    "ReconcileView",
    "Republish",
    "Stop",
    "decide",
    "run_reconcile",
]

log = logging.getLogger("pricebot.reconcile")

UnknownPolicy = Literal["adopt", "withdraw"]


@dataclass(frozen=True, slots=True)
class Adopt:
    signed: SignedWorkerpoolOrder
    reason: str
    kind: Literal["adopt"] = field(default="adopt", init=False)


@dataclass(frozen=True, slots=True)
class Republish:
    order_hash: str
    reason: str
    kind: Literal["republish"] = field(default="republish", init=False)


@dataclass(frozen=True, slots=True)
class Forget:
    order_hash: str
    reason: str
    kind: Literal["forget"] = field(default="forget", init=False)


@dataclass(frozen=True, slots=True)
class Stop:
    reason: str
    kind: Literal["stop"] = field(default="stop", init=False)


ReconcileStep = Adopt | Republish | Forget | Stop | Cancel | Unpublish


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """The marketplace's record of one of our pool's orders (``signed`` when it gave the body)."""

    order_hash: str
    status: MarketStatus
    price: int
    category: int
    tag: int
    signed: SignedWorkerpoolOrder | None = None


@dataclass(frozen=True, slots=True)
class ReconcileView:
    """The three views, already read. ``remaining`` is volume - consumed on chain per hash.

    ``ledger`` is the account the orders are judged by: the pool's window (unknown utilization:
    no order is closed for it) and the free stake (unknown: dead orders wait).
    """

    our_address: str
    chain_owner: str
    known: Mapping[str, SignedWorkerpoolOrder]
    listed: Mapping[str, ListedOrder]
    remaining: Mapping[str, int]
    current_price: Mapping[Slot, int]
    ledger: Ledger


def _claim(view: ReconcileView, signed: SignedWorkerpoolOrder, remaining: int) -> Tally:
    order = signed.order
    return view.ledger.claim(order.slot, order.workerpoolprice, remaining)


def decide(view: ReconcileView, unknown: UnknownPolicy = "adopt") -> tuple[ReconcileStep, ...]:
    """The pure reconcile decision; see the module docstring for the rules."""
    if view.chain_owner.lower() != view.our_address.lower():
        return (
            Stop(
                f"workerpool owner on chain is {view.chain_owner.lower()}, not our key "
                f"{view.our_address.lower()}: stopping"
            ),
        )
    steps: list[ReconcileStep] = []
    ledger = view.ledger
    used = Tally()
    unlisted: list[tuple[str, SignedWorkerpoolOrder, int]] = []
    dead: list[tuple[str, SignedWorkerpoolOrder, int]] = []
    for h, signed in view.known.items():
        rem = view.remaining.get(h)
        if rem is None:
            continue  # chain unknown for it: keep tracking, decide next time
        if rem <= 0:
            steps.append(Forget(h, "nothing left on chain (filled or closed)"))
            continue
        listed = view.listed.get(h)
        if listed is not None and listed.status is MarketStatus.OPEN:
            used = used.plus(_claim(view, signed, rem))
        elif listed is not None and listed.status is MarketStatus.DEAD:
            dead.append((h, signed, rem))
        else:
            unlisted.append((h, signed, rem))

    # Unknown listed orders: adopted ones count like ours from now on.
    for h, listed in view.listed.items():
        if h in view.known or listed.status is not MarketStatus.OPEN:
            continue
        rem = view.remaining.get(h)
        if rem is not None and rem <= 0:
            continue
        if listed.signed is None:
            steps.append(Unpublish(h, "listed order of our pool that we cannot read: withdrawn"))
            continue
        if unknown == "adopt":
            steps.append(Adopt(listed.signed, "listed order of our pool unknown to the journal"))
            left = rem if rem is not None else listed.signed.order.volume
            used = used.plus(_claim(view, listed.signed, left))
        else:
            steps.append(Unpublish(h, "unknown order of our pool: withdraw (unknown_orders)"))
            steps.append(Cancel(h, "unknown order of our pool: close on chain (unknown_orders)"))

    # Valid but unlisted: keep the dearer ones while they fit, close the dangerous ones.
    unlisted.sort(key=lambda item: -item[1].order.workerpoolprice)
    for h, signed, rem in unlisted:
        price = signed.order.workerpoolprice
        current = view.current_price.get(signed.order.slot)
        claim = _claim(view, signed, rem)
        if current is not None and price < current:
            steps.append(
                Cancel(h, f"valid on chain, not listed, cheaper ({price}) than our price {current}")
            )
        elif not ledger.load_fits(used.plus(claim)):
            steps.append(Cancel(h, "valid on chain, not listed, and over the capacity cap"))
        else:
            used = used.plus(claim)

    # Dead orders come back when stake covers them again, cheapest first.
    dead.sort(key=lambda item: item[1].order.workerpoolprice)
    for h, signed, rem in dead:
        claim = _claim(view, signed, rem)
        after = used.plus(claim)
        covered = ledger.free_stake is not None and ledger.stake_fits(after)
        if covered and ledger.load_fits(after):
            steps.append(Republish(h, f"dead order covered by stake again ({claim.stake} nRLC)"))
            used = after
    return tuple(steps)


@dataclass(slots=True)
class ReconcileReport:
    steps: tuple[ReconcileStep, ...] = ()
    outcomes: list[tuple[str, str | None, str, str]] = field(default_factory=list)
    stopped: str | None = None


def _listed_view(market: MarketReader, workerpool: str) -> dict[str, ListedOrder]:
    """Our pool's listing, with the signed bodies (so a stray can be closed on chain)."""
    return {
        o.order_hash: ListedOrder(
            o.order_hash,
            o.market_status or MarketStatus.OPEN,
            o.price,
            o.category,
            o.tag,
            o.signed,
        )
        for o in market.our_orders(workerpool)
    }


def _current_prices(state: CycleState | None) -> dict[Slot, int]:
    """Our current price per slot: the last tick's wanted quotes, else our listed orders."""
    prices: dict[Slot, int] = {}
    last = state.last if state is not None else None
    if last is not None:
        for o in last.snapshot.own_orders:
            if o.published:
                slot = o.slot
                prices[slot] = min(prices.get(slot, o.price), o.price)
        quotes = last.rails.quotes if last.rails is not None else ()
        for q in quotes:
            if q.volume > 0:
                prices[q.slot] = q.price
    return prices


def run_reconcile(
    ports: CyclePorts,
    settings: CycleSettings,
    state: CycleState,
    executor: Executor,
    unknown: UnknownPolicy = "adopt",
) -> ReconcileReport:
    """Read the three views, decide, apply. Raises ``OwnershipError`` on an owner change."""
    wp = settings.workerpool.lower()
    clock, chain, journal = ports.clock, ports.chain, ports.journal
    memory = state.sampler
    chain_owner = chain.owner(wp)
    # Without a key (a dry run) there is nothing to compare: the owner is whoever it is.
    our_address = ports.signer.address if ports.signer is not None else chain_owner
    listed = _listed_view(ports.market, wp)
    known = dict(memory.tracked)
    # Known orders not in the listing: ask the marketplace for their status (dead or gone).
    for h in known:
        if h in listed:
            continue
        try:
            entry = ports.market.workerpool_order(h)
        except BotError as exc:
            log.warning("reconcile: status of %s unavailable: %s", h[:10], exc)
            continue
        if entry is not None:
            listed[h] = ListedOrder(h, entry.status, entry.price, entry.category, entry.tag)
    volumes = {h: signed.order.volume for h, signed in known.items()}
    for h, lo in listed.items():
        if h not in volumes and lo.signed is not None:
            volumes[h] = lo.signed.order.volume
    # One JSON-RPC batch for several orders (a single one is read on its own).
    consumed = chain.consumed_many(list(volumes)) if len(volumes) > 1 else {}
    remaining = {
        h: volume - (consumed[h] if h in consumed else chain.consumed(h))
        for h, volume in volumes.items()
    }
    free_stake = None
    util = ports.metrics.utilization() if ports.metrics is not None else None
    try:
        free_stake = chain.stake(chain_owner).free
    except BotError as exc:
        log.warning("reconcile: stake unavailable: %s", exc)
    view = ReconcileView(
        our_address=our_address,
        chain_owner=chain_owner,
        known=known,
        listed=listed,
        remaining=remaining,
        current_price=_current_prices(state),
        ledger=Ledger.build(
            utilization=util, offers=settings.offers, free_stake=free_stake, rules=settings.rails
        ),
    )
    steps = decide(view, unknown)
    report = ReconcileReport(steps=steps)
    at = clock.now()
    for step in steps:
        if isinstance(step, Stop):
            report.stopped = step.reason
            journal.record_action(at, "reconcile-stop", None, "stopped", step.reason)
            log.critical("reconcile: %s", step.reason)
            raise OwnershipError(step.reason)
    bodies = dict(known)
    for lo in listed.values():
        if lo.signed is not None:
            bodies.setdefault(lo.order_hash, lo.signed)
    for step in steps:
        _apply(step, ports, settings, memory, executor, bodies, remaining, report)
    if steps:
        log.info("reconcile: %s", ", ".join(f"{s.kind} ({s.reason})" for s in steps))
    else:
        log.info("reconcile: journal, marketplace and chain agree (%d tracked)", len(known))
    return report


def _apply(
    step: ReconcileStep,
    ports: CyclePorts,
    settings: CycleSettings,
    memory: object,
    executor: Executor,
    bodies: Mapping[str, SignedWorkerpoolOrder],
    remaining: Mapping[str, int],
    report: ReconcileReport,
) -> None:
    from bot.engine.samplers import SamplerMemory

    assert isinstance(memory, SamplerMemory)
    journal = ports.journal
    at = ports.clock.now()
    if isinstance(step, Forget):
        memory.tracked.pop(step.order_hash, None)
        journal.set_order_state(step.order_hash, "closed", at)
        journal.record_action(at, "forget", step.order_hash, "ok", step.reason)
        report.outcomes.append(("forget", step.order_hash, "ok", step.reason))
        return
    if isinstance(step, Adopt):
        outcome = executor.adopt(step.signed, step.reason)
        if outcome == "ok":
            memory.track(step.signed)
        report.outcomes.append(("adopt", step.signed.order_hash, outcome, step.reason))
        return
    if isinstance(step, Republish):
        signed = bodies[step.order_hash]
        res = executor.republish(signed, step.reason)
        report.outcomes.append(("republish", step.order_hash, res.outcome, res.detail))
        return
    if isinstance(step, Unpublish | Cancel):
        own: Sequence[OwnOrder] = []
        body = bodies.get(step.order_hash)
        if body is not None:
            left = remaining.get(step.order_hash, body.order.volume)
            own = [OwnOrder(body, left, isinstance(step, Unpublish), at)]
        res = executor.execute([step], own).steps[0]
        if isinstance(step, Cancel) and res.outcome == "ok":
            memory.tracked.pop(step.order_hash, None)
        report.outcomes.append((res.kind, step.order_hash, res.outcome, res.detail or res.reason))

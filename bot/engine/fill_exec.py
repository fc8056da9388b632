"""Executing fills (issue #15): sign a restricted order, journal it, estimate, match, confirm.

For each fill the rails admitted (bot.pricing.fills.SizedFill), in order:

1. **Re-read the request** (``FillReader.request``): one that is no longer listed ``open`` (its
   requester unpublished it: still valid on chain, but withdrawn) is not filled.
2. **Check what we were handed**: the request's hash is recomputed from every field (``params``
   included) and its signature must be the requester's; the app and dataset orders' hashes are
   recomputed too (their signatures are the chain's to check, in the estimate).
3. **Re-check the account** (bot.pricing.ledger) with the orders still valid after this tick's steps: a
   failed cancel must not turn into over-selling by the fill meant to follow it.
4. **One signed order per request.** If an order of ours restricted to this requester, app and
   dataset is still valid (journalled before a crash, or left by a partial match) it is sent
   again as it is; a fresh one (a new salt) is signed only when there is none, so a restart can
   never fill the same request twice. A fresh order is journalled before it is used.
5. **Estimate, then send** ``matchOrders`` from the gas wallet (never ``sponsorMatchOrders``,
   where the sender pays the deal), only if the estimate passes and the day's gas budget
   (``fills.daily_gas_budget``, UTC days) has room; the day's gas is read back from the
   journal's fill records at start-up, so a restart does not reset the budget. A revert in the estimate means someone
   matched first (or an order vanished): no transaction, no retry with a new order. A fresh order
   that was never sent is marked closed in the journal (nobody else ever saw it); a resent or
   reverted one was public, so it is closed on chain.
6. **Confirm from the receipt**: ``OrdersMatched`` for our order (the deal id, the volume) and
   ``SchedulerNotice`` for our pool. The fill is journalled with its deal id; what is left of our
   order (a request with less left than we signed for) is closed on chain.

Dry-run records what it would do and sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from bot.domain.errors import BotError, ChainRevert, OwnershipError
from bot.domain.fill_orders import fill_detail, fill_record
from bot.domain.model import (
    MarketStatus,
    OwnOrder,
    Quote,
    SignedWorkerpoolOrder,
    WorkerpoolOrder,
    tag_to_bytes32,
)
from bot.domain.networks import Network
from bot.engine.executor import StepResult
from bot.engine.fill_ports import FillPorts, MatchOrders
from bot.engine.ports import Chain, Clock, Journal, Signer
from bot.pricing.fills import FillPolicy, SizedFill
from bot.pricing.ledger import Ledger

__all__ = [
    "FillExecutor",
    "FillStats",
    "journalled_gas",
    "reusable",
]

log = logging.getLogger("pricebot.fills")

DAY = 86_400


def journalled_gas(journal: Journal, at: float) -> int:
    """Match gas our confirmed fills used on the UTC day of ``at``, from the journal."""
    day_start = float(int(at // DAY) * DAY)
    records = (fill_record(d) for d in journal.action_details("fill", day_start))
    return sum(r.gas for r in records if r is not None)


@dataclass(slots=True)
class FillStats:
    """Running totals the demo, the ops view and the backtest read."""

    fills: int = 0
    tasks: int = 0
    revenue_nrlc: int = 0
    gas_used: int = 0
    races_lost: int = 0


def reusable(fill: SizedFill, own: Iterable[OwnOrder]) -> OwnOrder | None:
    """A valid order of ours restricted to this fill's requester, app and dataset, at a price
    the request still accepts: the one to send again instead of signing a fresh one."""
    slot, cap = fill.slot, fill.candidate.cap
    for o in own:
        if o.slot == slot and o.remaining > 0 and o.price <= cap:
            return o
    return None


class FillExecutor:
    """Sends fills through the ports; shares nothing with the order executor but the journal."""

    def __init__(
        self,
        *,
        workerpool: str,
        network: Network,
        clock: Clock,
        chain: Chain,
        signer: Signer | None,
        journal: Journal,
        ports: FillPorts,
        policy: FillPolicy,
        live: bool,
        salt: Callable[[], str] | None = None,
    ) -> None:
        self.workerpool = workerpool.lower()
        self.network = network
        self.clock = clock
        self.chain = chain
        self.signer = signer
        self.journal = journal
        self.ports = ports
        self.policy = policy
        self.live = live
        self._salt = salt
        now = clock.now()
        self._gas_by_day: dict[int, int] = {int(now // DAY): journalled_gas(journal, now)}
        self.stats = FillStats()

    def gas_left_today(self, at: float) -> int:
        return self.policy.daily_gas_budget - self._gas_by_day.get(int(at // DAY), 0)

    def execute(
        self, fills: Sequence[SizedFill], own: Iterable[OwnOrder], ledger: Ledger | None
    ) -> list[StepResult]:
        valid = {o.order_hash: o for o in own}
        out: list[StepResult] = []
        for fill in fills[: self.policy.max_per_tick]:
            try:
                out.append(self._one(fill, valid, ledger))
            except OwnershipError:
                raise
            except BotError as exc:  # one fill's failure never stops the others
                h = fill.candidate.request_hash
                self.journal.record_action(self.clock.now(), "fill", None, "failed", str(exc))
                log.error("fill of request %s failed: %s", h[:10], exc)
                out.append(self._result(fill, None, "failed", str(exc)))
        return out

    def _result(
        self, fill: SizedFill, order_hash: str | None, outcome: str, detail: str
    ) -> StepResult:
        return StepResult(
            "fill",
            order_hash,
            outcome,  # type: ignore[arg-type]
            fill.reason or f"fill request {fill.candidate.request_hash[:10]}",
            detail,
            fill.price,
            fill.volume,
            fill.candidate.offer.category,
        )

    def _skip(self, fill: SizedFill, order_hash: str | None, detail: str) -> StepResult:
        self.journal.record_action(self.clock.now(), "fill", order_hash, "skipped", detail)
        log.info("fill of request %s skipped: %s", fill.candidate.request_hash[:10], detail)
        return self._result(fill, order_hash, "skipped", detail)

    def _problem(self, fill: SizedFill) -> str | None:
        from bot.domain.signing import hash_market_order, signed_order_problem

        cand = fill.candidate
        request = cand.request.signed
        problem = signed_order_problem(self.network, request, request.order.requester)
        if problem is not None:
            return f"request order refused: {problem}"
        hashes = [
            (cand.apporder.signed.order_hash, hash_market_order(self.network, cand.apporder.order))
        ]
        if cand.datasetorder is not None:
            ds = cand.datasetorder
            hashes.append((ds.signed.order_hash, hash_market_order(self.network, ds.order)))
        for given, expected in hashes:
            if given != expected:
                return f"app/dataset order {given[:10]} is not the hash of its fields ({expected})"
        return None

    def _one(
        self, fill: SizedFill, valid: dict[str, OwnOrder], ledger: Ledger | None
    ) -> StepResult:
        cand = fill.candidate
        rh = cand.request_hash
        listed = self.ports.reader.request(rh)
        if listed is None or listed.status is not MarketStatus.OPEN:
            shown = "not listed" if listed is None else listed.status.value
            return self._skip(fill, None, f"request {rh[:10]} is {shown} now (withdrawn?)")
        if listed.order_hash != rh or listed.order != cand.request.order:
            return self._skip(fill, None, f"request {rh[:10]} changed since the snapshot")
        volume = min(fill.volume, listed.remaining)
        if volume <= 0:
            return self._skip(fill, None, f"request {rh[:10]} has nothing left")
        problem = None if self.ports.trusted else self._problem(fill)
        if problem is not None:
            return self._skip(fill, None, problem)
        again = reusable(fill, valid.values())
        if again is None and ledger is not None:
            offer = cand.offer
            probe = Quote(offer.category, fill.price, volume, offer.tag, offer.trust)
            violation = ledger.violation(valid.values(), probe)
            if violation is not None:
                return self._skip(fill, None, violation)
        if not self.live:
            what = "send again our journalled order" if again else "sign a restricted order"
            detail = f"would {what} and match {volume} @ {fill.price} nRLC with request {rh[:10]}"
            self.journal.record_action(self.clock.now(), "fill", None, "dry-run", detail)
            return self._result(fill, None, "dry-run", detail)
        if again is not None:
            signed = again.signed
            fresh = False
        else:
            assert self.signer is not None
            order = WorkerpoolOrder(
                workerpool=self.workerpool,
                workerpoolprice=fill.price,
                volume=volume,
                tag=tag_to_bytes32(cand.offer.tag),
                category=cand.offer.category,
                trust=cand.offer.trust,
                apprestrict=cand.request.order.app,
                datasetrestrict=cand.request.order.dataset,
                requesterrestrict=cand.request.order.requester,
                salt=self._salt() if self._salt is not None else _random_salt(),
            )
            signed = self.signer.sign_order(order)
            at = self.clock.now()
            # Journal first: from here on the order exists and reconcile must know it.
            self.journal.record_signed(signed, at)
            self.journal.record_action(at, "sign", signed.order_hash, "ok", f"fill {rh}")
            valid[signed.order_hash] = OwnOrder(signed, volume, False, at)
            fresh = True
        h = signed.order_hash
        orders = MatchOrders(
            cand.apporder.signed,
            None if cand.datasetorder is None else cand.datasetorder.signed,
            signed,
            cand.request.signed,
        )
        try:
            gas = self.ports.matcher.estimate_match(orders)
        except ChainRevert as exc:
            self.stats.races_lost += 1
            self._retire(signed, fresh, valid)
            return self._skip(
                fill,
                h,
                f"estimate reverted (matched first, or an order vanished): {exc}; no transaction",
            )
        at = self.clock.now()
        if gas > self.gas_left_today(at):
            self._retire(signed, fresh, valid)
            return self._skip(
                fill, h, f"daily gas budget: {gas} gas > {self.gas_left_today(at)} left today"
            )
        self.journal.record_action(at, "fill-send", h, "ok", f"request {rh} estimate {gas} gas")
        try:
            receipt = self.ports.matcher.match(orders)
        except ChainRevert as exc:
            self.stats.races_lost += 1
            self._retire(signed, False, valid)  # it was in a transaction: public now
            return self._skip(fill, h, f"match reverted (race lost): {exc}; not retried")
        except BotError as exc:  # unknown fate (sent, maybe mined): tracked, reconciled later
            self.journal.record_action(self.clock.now(), "fill", h, "failed", str(exc))
            log.error("fill of request %s: match failed: %s", rh[:10], exc)
            return replace(self._result(fill, h, "failed", str(exc)), signed=signed)
        done = self.clock.now()
        day = int(done // DAY)
        self._gas_by_day[day] = self._gas_by_day.get(day, 0) + receipt.gas_used
        detail = fill_detail(
            receipt.deal_id,
            rh,
            receipt.volume,
            signed.order.workerpoolprice,
            receipt.gas_used,
            receipt.tx_hash,
        )
        if not receipt.scheduler_notice:
            detail += " (no SchedulerNotice for our pool in the receipt)"
        self.journal.record_action(done, "fill", h, "ok", detail)
        self.stats.fills += 1
        self.stats.tasks += receipt.volume
        price = signed.order.workerpoolprice  # a journalled order sent again keeps its price
        self.stats.revenue_nrlc += receipt.volume * price
        self.stats.gas_used += receipt.gas_used
        log.info("filled request %s: %s", rh[:10], detail)
        left = signed.order.volume - self.chain.consumed(h)
        if left > 0:
            self._retire(signed, False, valid)
        else:
            self.journal.set_order_state(h, "closed", done)
            valid.pop(h, None)
        return StepResult(
            "fill",
            h,
            "ok",
            fill.reason or f"fill request {rh[:10]}",
            detail,
            price,
            receipt.volume,
            cand.offer.category,
            signed,
        )

    def _retire(
        self, signed: SignedWorkerpoolOrder, never_sent: bool, valid: dict[str, OwnOrder]
    ) -> None:
        """Take an order of ours that will not be used out of play: a fresh one nobody saw is
        only marked closed in the journal; one that was in a transaction is closed on chain."""
        h = signed.order_hash
        at = self.clock.now()
        if never_sent:
            self.journal.set_order_state(h, "closed", at)
            self.journal.record_action(at, "fill-retire", h, "ok", "never sent: nobody holds it")
            valid.pop(h, None)
            return
        try:
            outcome = self.chain.cancel(signed)
        except BotError as exc:  # reconcile and the planner see it next tick (still tracked)
            self.journal.record_action(at, "cancel", h, "failed", f"fill leftover: {exc}")
            log.error("closing fill order %s failed: %s", h[:10], exc)
            return
        self.journal.set_order_state(h, "closed", self.clock.now())
        how = "already closed" if outcome.already_closed else f"tx {outcome.tx_hash}"
        self.journal.record_action(self.clock.now(), "cancel", h, "ok", f"fill leftover; {how}")
        valid.pop(h, None)


def _random_salt() -> str:
    from bot.domain.signing import random_salt

    return random_salt()

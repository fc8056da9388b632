"""The executor: the only code that changes the market or the chain.

It applies the planner's actions in the planner's order and nothing else. What it guarantees:

- **Ownership first.** Before the first write of a batch it reads the workerpool's owner on chain;
  a key that does not own the pool raises ``OwnershipError`` (the service stops on it).
- **Journal before publish.** A new order is signed with a fresh salt and written to the journal
  before the first publish attempt: a crash between the two leaves a known order that reconcile
  can close, never an unknown one that is valid on chain.
- **Idempotent by order hash.** Retries reuse the same signed order (same hash), and a hash the
  journal already marks published is not published again; the marketplace treats a repeated
  publish as success anyway.
- **No retries here.** The adapters are the one retry layer (``bot.adapters.retrying``): what
  reaches the executor has been retried as long as its policy allows, so retrying it again would
  multiply the attempts (4 x 4 publishes and challenges for one failed publish). A failed step is
  recorded and the batch goes on; the next cycle plans again.
- **A deadline per action** (``action_deadline_s``, inside the cycle's): every retry under the
  action stops before a wait that would end past it (``bot.engine.deadline``).
- **The cap invariant between steps.** The executor keeps a running view of every order of ours
  still valid on chain (published or not). Before each publish it asks the tick's ledger
  (bot.pricing.ledger) whether the pool's window and the stake still cover them all, so a failed cancel
  never turns into over-selling by the publish that was meant to follow it.
- **Serialized writes.** One lock around a batch: the scheduler's jobs, the kill switch and the
  signal handler may call it from different threads.
- **Dry-run** (the default everywhere; live needs ``--live``): every step is recorded as
  ``dry-run`` with what would have happened; nothing is signed, published or sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, cast

from bot.domain.errors import BotError, JournalUnwritable, OwnershipError
from bot.domain.model import (
    Action,
    Cancel,
    Keep,
    OwnOrder,
    Publish,
    Quote,
    Relist,
    SignedWorkerpoolOrder,
    Unpublish,
    WorkerpoolOrder,
    tag_to_bytes32,
)
from bot.engine import deadline
from bot.engine.ports import Chain, Clock, Journal, MarketWriter, Signer
from bot.pricing.ledger import Ledger

__all__ = [
    "DEFAULT_ACTION_DEADLINE_S",
    "ExecutionReport",
    "Executor",
    "StepResult",
]

log = logging.getLogger("pricebot.executor")

Outcome = Literal["ok", "dry-run", "skipped", "failed", "kept"]

DEFAULT_ACTION_DEADLINE_S = 120.0
"""Time for one action with its retries: a publish's 4 challenge + POST pairs with their backoff
fit; an on-chain cancel's receipt wait is the gas wallet's own (it never abandons a sent tx)."""


@dataclass(frozen=True, slots=True)
class StepResult:
    kind: str
    order_hash: str | None
    outcome: Outcome
    reason: str
    detail: str = ""
    price: int | None = None
    volume: int | None = None
    category: int | None = None
    signed: SignedWorkerpoolOrder | None = None


class ExecutionReport:
    """What each action of a batch did, in order.

    Most ticks only keep orders; their steps are built when first read (the live service logs
    them, a backtest never looks), which saves ~10 objects per tick over a month of minutes.
    """

    __slots__ = ("_keeps", "_steps")

    def __init__(
        self,
        steps: list[StepResult] | None = None,
        *,
        keeps: tuple[Sequence[Keep], tuple[OwnOrder, ...]] | None = None,
    ) -> None:
        self._steps = steps
        self._keeps = keeps
        if steps is None and keeps is None:
            self._steps = []

    @property
    def steps(self) -> list[StepResult]:
        if self._steps is None:
            assert self._keeps is not None
            actions, own = self._keeps
            terms = {o.order_hash: (o.price, o.remaining, o.category) for o in own}
            blank = (None, None, None)
            self._steps = [
                StepResult("keep", h, "kept", a.reason, "", *terms.get(h, blank))
                for a in actions
                for h in (a.order_hash,)
            ]
            self._keeps = None
        return self._steps

    @property
    def has_writes(self) -> bool:
        """Whether any step was more than a keep (cheap on keep-only ticks)."""
        return self._steps is not None and any(s.kind != "keep" for s in self._steps)

    def __repr__(self) -> str:
        return f"ExecutionReport(steps={self.steps!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExecutionReport):
            return NotImplemented
        return self.steps == other.steps

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def count(self, kind: str, outcome: Outcome = "ok") -> int:
        return sum(1 for s in self.steps if s.kind == kind and s.outcome == outcome)

    @property
    def failures(self) -> list[StepResult]:
        return [s for s in self.steps if s.outcome == "failed"]


Terms = tuple[int | None, int | None, int | None]  # price, volume, category


def _result(
    kind: str,
    order_hash: str | None,
    outcome: Outcome,
    reason: str,
    detail: str = "",
    *,
    terms: Terms = (None, None, None),
    signed: SignedWorkerpoolOrder | None = None,
) -> StepResult:
    price, volume, category = terms
    return StepResult(kind, order_hash, outcome, reason, detail, price, volume, category, signed)


def _unjournalled(action: Action, exc: JournalUnwritable) -> StepResult:
    """The step of ``action`` failed or refused because the journal cannot be written."""
    if isinstance(action, Publish):
        q = action.quote
        terms = (q.price, q.volume, q.category)
        return _result("publish", None, "failed", action.reason, str(exc), terms=terms)
    return _result(action.kind, action.order_hash, "failed", action.reason, str(exc))


def _default_salt() -> str:
    from bot.domain.signing import random_salt

    return random_salt()


class Executor:
    """Applies actions through the ports. One instance per process (it holds the write lock)."""

    def __init__(
        self,
        *,
        workerpool: str,
        clock: Clock,
        writer: MarketWriter,
        chain: Chain,
        signer: Signer | None,
        journal: Journal,
        live: bool = False,
        action_deadline_s: float | None = DEFAULT_ACTION_DEADLINE_S,
        salt: Callable[[], str] | None = None,
    ) -> None:
        self.workerpool = workerpool.lower()
        self.clock = clock
        self.writer = writer
        self.chain = chain
        self.signer = signer
        self.journal = journal
        self.live = live
        self.action_deadline_s = action_deadline_s
        self._salt = salt if salt is not None else _default_salt
        self._lock = threading.Lock()
        self._published: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------------

    def ensure_owner(self) -> None:
        """Raise ``OwnershipError`` unless the signing key owns the workerpool on chain."""
        if self.signer is None:
            raise OwnershipError("no owner key loaded: cannot act on the workerpool")
        owner = self.chain.owner(self.workerpool).lower()
        if owner != self.signer.address.lower():
            raise OwnershipError(
                f"workerpool {self.workerpool} is owned by {owner}, not by the loaded key "
                f"{self.signer.address.lower()}: stopping"
            )

    def build_order(self, quote: Quote) -> WorkerpoolOrder:
        return WorkerpoolOrder(
            workerpool=self.workerpool,
            workerpoolprice=quote.price,
            volume=quote.volume,
            tag=tag_to_bytes32(quote.tag),
            category=quote.category,
            trust=quote.trust,
            apprestrict=quote.apprestrict,
            datasetrestrict=quote.datasetrestrict,
            requesterrestrict=quote.requesterrestrict,
            salt=self._salt(),
        )

    # -- reconcile's extra steps ---------------------------------------------------------------

    def adopt(self, signed: SignedWorkerpoolOrder, reason: str) -> Outcome:
        """Take over a listed order of our pool that the journal did not know (journal only).

        Done in dry-run too: it changes nothing outside the journal, and without it a dry run
        would plan against a world with fewer of our orders than there really are.
        """
        with self._lock:
            at = self.clock.now()
            self.journal.record_signed(signed, at)
            self.journal.set_order_state(signed.order_hash, "published", at)
            self.journal.record_action(at, "adopt", signed.order_hash, "ok", reason)
        log.info("adopted %s (%s)", signed.order_hash[:10], reason)
        return "ok"

    def republish(self, signed: SignedWorkerpoolOrder, reason: str) -> StepResult:
        """Publish again an order we already signed (a ``dead`` one whose stake is back)."""
        with self._lock:
            if self.live:
                self.ensure_owner()
            with deadline.within(self.action_deadline_s, "republish action"):
                return self._list_again("republish", signed, reason)

    def _list_again(self, kind: str, signed: SignedWorkerpoolOrder, reason: str) -> StepResult:
        """Publish an order signed before (caller holds the lock and checked the owner)."""
        h = signed.order_hash
        terms: Terms = (signed.order.workerpoolprice, signed.order.volume, signed.order.category)
        at = self.clock.now()
        if not self.live:
            self.journal.record_action(at, kind, h, "dry-run", reason)
            return _result(kind, h, "dry-run", reason, terms=terms, signed=signed)
        try:
            self.writer.publish(signed)
        except BotError as exc:
            self.journal.record_action(self.clock.now(), kind, h, "failed", str(exc))
            log.error("%s %s failed: %s", kind, h[:10], exc)
            return _result(kind, h, "failed", reason, str(exc), terms=terms)
        done = self.clock.now()
        self._published.add(h)
        self.journal.set_order_state(h, "published", done)
        self.journal.record_action(done, kind, h, "ok", reason)
        log.info("%s %s (%s)", kind, h[:10], reason)
        return _result(kind, h, "ok", reason, terms=terms, signed=signed)

    # -- the batch ---------------------------------------------------------------------------------

    def execute(
        self,
        actions: Sequence[Action],
        own: Iterable[OwnOrder],
        ledger: Ledger | None = None,
    ) -> ExecutionReport:
        """Apply ``actions`` in order; ``own`` is every order of ours still valid on chain.

        ``ledger`` is the tick's account, wanting the quotes the actions came from; each publish
        is re-checked against it (None: no re-check, for steps that add no volume).
        """
        writes = [a for a in actions if not isinstance(a, Keep)]
        if not writes:
            # The common tick: nothing changes. Skip the bookkeeping the writes need.
            return ExecutionReport(keeps=(cast(Sequence[Keep], actions), tuple(own)))
        report = ExecutionReport()
        known: dict[str, SignedWorkerpoolOrder] = {}
        valid: dict[str, OwnOrder] = {}
        for o in own:
            known[o.order_hash] = o.signed
            valid[o.order_hash] = o
        with self._lock:
            if writes and self.live:
                self.ensure_owner()
            limit = self.action_deadline_s
            journal_down: JournalUnwritable | None = None
            for action in actions:
                if journal_down is not None and isinstance(action, Publish | Relist):
                    report.steps.append(_unjournalled(action, journal_down))
                    continue
                try:
                    if limit is None or isinstance(action, Keep):
                        report.steps.append(self._step(action, known, valid, ledger))
                        continue
                    with deadline.within(limit, f"{type(action).__name__.lower()} action"):
                        report.steps.append(self._step(action, known, valid, ledger))
                except JournalUnwritable as exc:
                    # Publishing stops here (an order must be journalled before it is
                    # published); unpublishes and cancels go on: they only lower the risk, and
                    # reconcile brings the journal up to date once it can be written again.
                    journal_down = exc
                    log.error("%s", exc)
                    report.steps.append(_unjournalled(action, exc))
        return report

    def _step(
        self,
        action: Action,
        known: dict[str, SignedWorkerpoolOrder],
        valid: dict[str, OwnOrder],
        ledger: Ledger | None,
    ) -> StepResult:
        if isinstance(action, Keep):
            v = valid.get(action.order_hash)
            log.debug("keep %s: %s", action.order_hash[:10], action.reason)
            return StepResult(
                "keep",
                action.order_hash,
                "kept",
                action.reason,
                price=v.price if v else None,
                volume=v.remaining if v else None,
                category=v.category if v else None,
            )
        if isinstance(action, Publish):
            return self._publish(action, valid, ledger)
        if isinstance(action, Unpublish):
            return self._unpublish(action, valid)
        if isinstance(action, Relist):
            signed = known.get(action.order_hash)
            if signed is None or action.order_hash not in valid:
                v = valid.get(action.order_hash)
                detail = "not one of our valid orders any more"
                terms: Terms = (v.price, v.remaining, v.category) if v else (None, None, None)
                self.journal.record_action(
                    self.clock.now(), "relist", action.order_hash, "skipped", detail
                )
                return _result(
                    "relist", action.order_hash, "skipped", action.reason, detail, terms=terms
                )
            result = self._list_again("relist", signed, action.reason)
            if result.outcome == "ok":
                valid[action.order_hash] = replace(valid[action.order_hash], published=True)
            return result
        return self._cancel(action, known, valid)

    def _publish(
        self, action: Publish, valid: dict[str, OwnOrder], ledger: Ledger | None
    ) -> StepResult:
        q = action.quote
        at = self.clock.now()
        base: Terms = (q.price, q.volume, q.category)
        violation = None if ledger is None else ledger.violation(valid.values(), q)
        if violation is not None:
            self.journal.record_action(at, "publish", None, "skipped", violation)
            log.warning("publish cat %s at %s skipped: %s", q.category, q.price, violation)
            return _result("publish", None, "skipped", action.reason, violation, terms=base)
        if not self.live:
            detail = f"would sign and publish {q.volume} @ {q.price} nRLC in category {q.category}"
            self.journal.record_action(at, "publish", None, "dry-run", detail)
            log.debug("dry-run publish: %s (%s)", detail, action.reason)
            return _result("publish", None, "dry-run", action.reason, detail, terms=base)
        assert self.signer is not None
        try:
            signed = self.signer.sign_order(self.build_order(q))
        except BotError as exc:
            self.journal.record_action(at, "sign", None, "failed", str(exc))
            log.error("signing failed: %s", exc)
            return _result("publish", None, "failed", action.reason, str(exc), terms=base)
        h = signed.order_hash
        # Journal first: from here on the order exists and reconcile must know it.
        self.journal.record_signed(signed, at)
        self.journal.record_action(at, "sign", h, "ok", f"{q.volume} @ {q.price}")
        valid[h] = OwnOrder(signed, q.volume, True, at)
        if h in self._published or self.journal.order_state(h) == "published":
            return _result(
                "publish", h, "ok", action.reason, "already published", signed=signed, terms=base
            )
        try:
            self.writer.publish(signed)
        except BotError as exc:
            self.journal.record_action(self.clock.now(), "publish", h, "failed", str(exc))
            log.error("publish %s failed: %s", h[:10], exc)
            return _result(
                "publish", h, "failed", action.reason, str(exc), signed=signed, terms=base
            )
        self._published.add(h)
        done = self.clock.now()
        self.journal.set_order_state(h, "published", done)
        self.journal.record_action(done, "publish", h, "ok", action.reason)
        log.info(
            "published %s: %s @ %s nRLC cat %s (%s)",
            h[:10],
            q.volume,
            q.price,
            q.category,
            action.reason,
        )
        return _result("publish", h, "ok", action.reason, signed=signed, terms=base)

    def _unpublish(self, action: Unpublish, valid: dict[str, OwnOrder]) -> StepResult:
        h = action.order_hash
        at = self.clock.now()
        v = valid.get(h)
        base: Terms = (v.price, v.remaining, v.category) if v else (None, None, None)
        if not self.live:
            self.journal.record_action(at, "unpublish", h, "dry-run", action.reason)
            log.debug("dry-run unpublish %s (%s)", h[:10], action.reason)
            return _result("unpublish", h, "dry-run", action.reason, terms=base)
        try:
            self.writer.unpublish(h)
        except BotError as exc:
            self.journal.record_action(self.clock.now(), "unpublish", h, "failed", str(exc))
            log.error("unpublish %s failed: %s", h[:10], exc)
            return _result("unpublish", h, "failed", action.reason, str(exc), terms=base)
        self._published.discard(h)
        if v is not None:
            valid[h] = replace(v, published=False)
        done = self.clock.now()
        self.journal.set_order_state(h, "unpublished", done)
        self.journal.record_action(done, "unpublish", h, "ok", action.reason)
        log.info("unpublished %s (%s)", h[:10], action.reason)
        return _result("unpublish", h, "ok", action.reason, terms=base)

    def _cancel(
        self,
        action: Cancel,
        known: dict[str, SignedWorkerpoolOrder],
        valid: dict[str, OwnOrder],
    ) -> StepResult:
        h = action.order_hash
        at = self.clock.now()
        v = valid.get(h)
        base: Terms = (v.price, v.remaining, v.category) if v else (None, None, None)
        signed = known.get(h)
        if signed is None:
            signed = next((s for s in self.journal.signed_orders() if s.order_hash == h), None)
        if signed is None:
            detail = "order unknown to the journal and the snapshot: cannot close it"
            self.journal.record_action(at, "cancel", h, "failed", detail)
            log.error("cancel %s: %s", h[:10], detail)
            return _result("cancel", h, "failed", action.reason, detail, terms=base)
        if not self.live:
            self.journal.record_action(at, "cancel", h, "dry-run", action.reason)
            log.debug("dry-run cancel %s on chain (%s)", h[:10], action.reason)
            return _result("cancel", h, "dry-run", action.reason, terms=base)
        try:
            outcome = self.chain.cancel(signed)
            consumed = self.chain.consumed(h)
        except OwnershipError:
            raise
        except BotError as exc:
            self.journal.record_action(self.clock.now(), "cancel", h, "failed", str(exc))
            log.error("cancel %s failed: %s", h[:10], exc)
            return _result("cancel", h, "failed", action.reason, str(exc), terms=base)
        done = self.clock.now()
        if consumed < signed.order.volume:
            detail = f"not confirmed: consumed {consumed} < volume {signed.order.volume}"
            self.journal.record_action(done, "cancel", h, "failed", detail)
            log.error("cancel %s %s", h[:10], detail)
            return _result("cancel", h, "failed", action.reason, detail, terms=base)
        valid.pop(h, None)
        self._published.discard(h)
        self.journal.set_order_state(h, "closed", done)
        detail = "already closed" if outcome.already_closed else f"tx {outcome.tx_hash}"
        self.journal.record_action(done, "cancel", h, "ok", f"{action.reason}; {detail}")
        log.info("closed %s on chain (%s; %s)", h[:10], action.reason, detail)
        return _result("cancel", h, "ok", action.reason, detail, terms=base)

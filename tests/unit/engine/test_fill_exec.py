"""The fill executor's rules (bot.engine.fill_exec), with genuinely signed orders and recording ports.

What the sandbox test cannot stage on demand: a restart with a journalled order (sent again, never
a fresh one), the daily gas budget, a fresh order whose estimate reverts (retired without a
transaction), a request whose fields were changed after signing, and a partial match (the rest
closed on chain).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.adapters.journal import MemoryJournal, SqliteJournal
from bot.domain.errors import ChainRevert
from bot.domain.fill_orders import AppOrder, FillBook, ListedOrder, RequestOrder, SignedOrder
from bot.domain.model import (
    OwnOrder,
    SignedWorkerpoolOrder,
    WorkerpoolOrder,
    tag_to_bytes32,
)
from bot.domain.signing import address_of, sign_market_order
from bot.engine.fill_exec import FillExecutor
from bot.engine.fill_ports import FillPorts, MatchOrders, MatchReceipt
from bot.engine.ports import CancelOutcome, Journal
from bot.pricing.fills import FillPolicy, SizedFill, fill_terms
from bot.pricing.snapshot import Offer
from tests.support.factories import request_order
from tests.support.fakes import NETWORK, OTHER_KEY, FakeClock, FakeSigner

POOL = "0x" + "a" * 40
APP = "0x" + "d" * 40
REQUESTER_KEY = OTHER_KEY
REQUESTER = address_of(REQUESTER_KEY)
OFFER = Offer(category=0, task_seconds=60.0, max_volume=10, fill_apps=(APP,))


def _request(volume: int = 2, params: str = "") -> SignedOrder[RequestOrder]:
    order = request_order(requester=REQUESTER, volume=volume, params=params, salt="0x" + "12" * 32)
    return sign_market_order(NETWORK, order, REQUESTER_KEY)


APP_ORDER = ListedOrder(
    sign_market_order(NETWORK, AppOrder(app=APP, appprice=0, volume=99), OTHER_KEY), 99
)


@dataclass
class Ports:
    """A recording reader, matcher and chain."""

    listed: ListedOrder[RequestOrder] | None
    estimate_reverts: bool = False
    matched_volume: int | None = None
    consumed: dict[str, int] = field(default_factory=dict)
    estimates: list[str] = field(default_factory=list)
    matches: list[str] = field(default_factory=list)
    cancels: list[str] = field(default_factory=list)

    # FillReader
    def fill_book(self, workerpool: str) -> FillBook:
        return FillBook(() if self.listed is None else (self.listed,), (APP_ORDER,))

    def request(self, order_hash: str) -> ListedOrder[RequestOrder] | None:
        return self.listed

    # Matcher
    def estimate_match(self, orders: MatchOrders) -> int:
        self.estimates.append(orders.workerpool.order_hash)
        if self.estimate_reverts:
            raise ChainRevert("iExecV5-matchOrders-0x60", "nothing left")
        return 660_000

    def match(self, orders: MatchOrders) -> MatchReceipt:
        h = orders.workerpool.order_hash
        self.matches.append(h)
        volume = self.matched_volume or orders.workerpool.order.volume
        self.consumed[h] = self.consumed.get(h, 0) + volume
        return MatchReceipt("0x" + "de" * 32, volume, 657_622, "0x" + "77" * 32, True)

    # the Chain methods the executor uses
    def consumed_of(self, h: str) -> int:
        return self.consumed.get(h, 0)

    def cancel(self, signed: SignedWorkerpoolOrder) -> CancelOutcome:
        self.cancels.append(signed.order_hash)
        return CancelOutcome(signed.order_hash, "0x" + "88" * 32, False, 70_000)


class Chain:
    def __init__(self, ports: Ports) -> None:
        self.p = ports

    def consumed(self, order_hash: str) -> int:
        return self.p.consumed_of(order_hash)

    def cancel(self, signed: SignedWorkerpoolOrder) -> CancelOutcome:
        return self.p.cancel(signed)


class CountingSigner(FakeSigner):
    def __init__(self) -> None:
        super().__init__()
        self.signed = 0

    def sign_order(self, order: WorkerpoolOrder) -> SignedWorkerpoolOrder:
        self.signed += 1
        return super().sign_order(order)


def _setup(
    ports: Ports, policy: FillPolicy | None = None, journal: Journal | None = None
) -> tuple[FillExecutor, CountingSigner, Journal]:
    signer = CountingSigner()
    journal = journal or MemoryJournal(keep_records=True)
    ex = FillExecutor(
        workerpool=POOL,
        network=NETWORK,
        clock=FakeClock(),
        chain=Chain(ports),  # type: ignore[arg-type]
        signer=signer,
        journal=journal,
        ports=FillPorts(ports, ports),
        policy=policy or FillPolicy(enabled=True),
        live=True,
    )
    return ex, signer, journal


def _open(journal: Journal) -> set[str]:
    return {r.signed.order_hash for r in journal.order_rows(open_only=True)}


def _fill(listed: ListedOrder[RequestOrder], volume: int = 2) -> SizedFill:
    book = FillBook((listed,), (APP_ORDER,))
    cand = fill_terms(listed, book, [OFFER], POOL, 0)
    assert not isinstance(cand, str), cand
    return SizedFill(cand, 4_000, volume, "t")


def test_a_fresh_fill_is_journalled_then_matched_and_used_up() -> None:
    listed = ListedOrder(_request(), 2)
    ports = Ports(listed)
    ex, signer, journal = _setup(ports)
    [step] = ex.execute([_fill(listed)], [], None)
    assert step.outcome == "ok" and signer.signed == 1
    assert ports.estimates == ports.matches == [step.order_hash]
    assert step.signed is not None and step.signed.order.requesterrestrict == REQUESTER
    assert step.signed.order.apprestrict == APP and step.signed.order.workerpoolprice == 4_000
    assert step.order_hash not in _open(journal)  # used up
    kinds = [(a.kind, a.outcome) for a in journal.action_rows]
    assert kinds == [("sign", "ok"), ("fill-send", "ok"), ("fill", "ok")]  # journalled first
    assert ex.stats.fills == 1 and ex.stats.tasks == 2 and ex.stats.gas_used == 657_622
    assert ports.cancels == []


def test_after_a_restart_the_journalled_order_is_sent_again_never_a_fresh_one() -> None:
    listed = ListedOrder(_request(), 2)
    fill = _fill(listed)
    ports = Ports(listed)
    # the order signed before the crash, still valid on chain (tracked from the journal)
    before = FakeSigner().sign_order(
        WorkerpoolOrder(
            workerpool=POOL,
            workerpoolprice=4_000,
            volume=2,
            tag=tag_to_bytes32(0),
            category=0,
            trust=0,
            apprestrict=APP,
            requesterrestrict=REQUESTER,
            salt="0x" + "34" * 32,
        )
    )
    own = [OwnOrder(before, 2, False, 0.0)]
    ex, signer, _ = _setup(ports)
    [step] = ex.execute([fill], own, None)
    assert step.outcome == "ok"
    assert signer.signed == 0
    assert ports.matches == [before.order_hash]


def test_the_daily_gas_budget_stops_matches_before_any_transaction() -> None:
    listed = ListedOrder(_request(), 2)
    ports = Ports(listed)
    ex, _, journal = _setup(ports, FillPolicy(enabled=True, daily_gas_budget=600_000))
    [step] = ex.execute([_fill(listed)], [], None)
    assert step.outcome == "skipped" and "daily gas budget" in step.detail
    assert ports.matches == [] and ports.cancels == []
    # a fresh order nobody saw is only retired in the journal
    assert step.order_hash not in _open(journal)


def test_the_days_match_gas_survives_a_restart(tmp_path: Path) -> None:
    policy = FillPolicy(enabled=True, daily_gas_budget=1_000_000)
    journal = SqliteJournal(tmp_path / "journal.sqlite")
    listed = ListedOrder(_request(), 2)
    ports = Ports(listed)
    ex, _, _ = _setup(ports, policy, journal)
    [step] = ex.execute([_fill(listed)], [], None)
    assert step.outcome == "ok"
    # a restart: a new executor over the same journal knows the 657,622 gas already spent today
    again, _, _ = _setup(Ports(ListedOrder(_request(), 2)), policy, journal)
    assert again.gas_left_today(FakeClock().now()) == 1_000_000 - 657_622
    [second] = again.execute([_fill(listed)], [], None)
    assert second.outcome == "skipped" and "daily gas budget" in second.detail
    # the next UTC day has the whole budget
    assert again.gas_left_today(FakeClock().now() + 86_400) == 1_000_000
    journal.close()


def test_a_reverting_estimate_sends_nothing_and_signs_no_second_order() -> None:
    listed = ListedOrder(_request(), 2)
    ports = Ports(listed, estimate_reverts=True)
    ex, signer, _ = _setup(ports)
    [step] = ex.execute([_fill(listed)], [], None)
    assert step.outcome == "skipped" and "estimate reverted" in step.detail
    assert ports.matches == [] and ports.cancels == [] and signer.signed == 1
    assert ex.stats.races_lost == 1


def test_a_request_changed_after_signing_or_withdrawn_is_not_filled() -> None:
    genuine = _request()
    forged = SignedOrder(
        RequestOrder(**{**genuine.order.fields(), "workerpoolmaxprice": 9_000}),  # type: ignore[arg-type]
        genuine.sign,
        genuine.order_hash,
    )
    listed = ListedOrder(forged, 2)
    ports = Ports(listed)
    ex, signer, _ = _setup(ports)
    [step] = ex.execute([_fill(listed)], [], None)
    assert step.outcome == "skipped" and "is not the hash of its fields" in step.detail
    assert ports.estimates == [] and signer.signed == 0
    gone = Ports(None)
    ex, signer, _ = _setup(gone)
    [step] = ex.execute([_fill(ListedOrder(genuine, 2))], [], None)
    assert step.outcome == "skipped" and "not listed" in step.detail
    assert gone.estimates == [] and signer.signed == 0


def test_what_a_partial_match_leaves_of_our_order_is_closed_on_chain() -> None:
    listed = ListedOrder(_request(), 2)
    ports = Ports(listed, matched_volume=1)
    ex, _, journal = _setup(ports)
    [step] = ex.execute([_fill(listed)], [], None)
    assert step.outcome == "ok" and step.volume == 1
    assert ports.cancels == [step.order_hash]
    assert step.order_hash not in _open(journal)

"""Reconcile's pure decision, table-driven, and the shell on the fake world."""

from __future__ import annotations

import pytest

from bot.domain.errors import OwnershipError
from bot.domain.model import Cancel, MarketStatus, PoolUtilization, Unpublish
from bot.engine.reconcile import Adopt, Forget, ListedOrder, ReconcileView, Republish, Stop, decide
from bot.pricing.ledger import Ledger
from bot.pricing.snapshot import Offer
from tests.support.fakes import OWNER, RIVAL, our_order

# One task per slot per contribution window: the pool's window holds as many tasks as slots.
ONE_PER_SLOT = Offer(category=0, task_seconds=2100, max_volume=100)

A = our_order(1000, volume=5, salt=1)  # cheap
B = our_order(3000, volume=5, salt=2)  # dear
C = our_order(2000, volume=5, salt=3)
U = our_order(2500, volume=5, salt=9)  # unknown to the journal


def listed(s, status=MarketStatus.OPEN, with_body=True):
    o = s.order
    return ListedOrder(
        s.order_hash, status, o.workerpoolprice, o.category, o.tag_int, s if with_body else None
    )


def view(known=(), lst=(), remaining=None, price=2000, capacity=None, free_stake=None, owner=OWNER):
    rem = {s.order_hash: s.order.volume for s in known}
    rem.update({lo.order_hash: 5 for lo in lst if lo.order_hash not in rem})
    rem.update(remaining or {})
    return ReconcileView(
        our_address=OWNER,
        chain_owner=owner,
        known={s.order_hash: s for s in known},
        listed={lo.order_hash: lo for lo in lst},
        remaining=rem,
        current_price={} if price is None else {ONE_PER_SLOT.slot: price},
        ledger=Ledger.build(
            utilization=None if capacity is None else PoolUtilization(capacity, 0),
            offers=[ONE_PER_SLOT],
            free_stake=free_stake,
        ),
    )


def kinds(steps):
    return [
        (
            s.kind,
            getattr(s, "order_hash", None)
            or getattr(getattr(s, "signed", None), "order_hash", None),
        )
        for s in steps
    ]


CASES = [
    pytest.param(view(known=[A], lst=[listed(A)]), "adopt", [], id="agree"),
    pytest.param(
        view(known=[A], remaining={A.order_hash: 0}),
        "adopt",
        [("forget", A.order_hash)],
        id="filled-or-closed",
    ),
    pytest.param(
        view(known=[A]), "adopt", [("cancel", A.order_hash)], id="unlisted-cheaper-than-current"
    ),
    pytest.param(view(known=[B]), "adopt", [], id="unlisted-dearer-kept-tracked"),
    pytest.param(
        view(known=[B], price=None), "adopt", [], id="unlisted-no-current-price-left-to-the-tick"
    ),
    pytest.param(
        view(known=[B], price=None, capacity=1),
        "adopt",
        [("cancel", B.order_hash)],
        id="unlisted-no-current-price-but-over-cap",
    ),
    pytest.param(
        view(known=[B, C], lst=[listed(C)], capacity=8, price=2000),
        "adopt",
        [("cancel", B.order_hash)],
        id="unlisted-over-cap",
    ),
    pytest.param(view(known=[B], capacity=10, price=2000), "adopt", [], id="unlisted-within-cap"),
    pytest.param(view(lst=[listed(U)]), "adopt", [("adopt", U.order_hash)], id="unknown-adopted"),
    pytest.param(
        view(lst=[listed(U)]),
        "withdraw",
        [("unpublish", U.order_hash), ("cancel", U.order_hash)],
        id="unknown-withdrawn",
    ),
    pytest.param(
        view(lst=[listed(U, with_body=False)]),
        "adopt",
        [("unpublish", U.order_hash)],
        id="unknown-without-body",
    ),
    pytest.param(
        view(known=[C], lst=[listed(C, MarketStatus.DEAD)], free_stake=10**6),
        "adopt",
        [("republish", C.order_hash)],
        id="dead-republished-when-stake-covers",
    ),
    pytest.param(
        # floor(2000*30/100)*5 = 3000 needed
        view(known=[C], lst=[listed(C, MarketStatus.DEAD)], free_stake=2999),
        "adopt",
        [],
        id="dead-waits-for-stake",
    ),
    pytest.param(
        view(
            known=[A, C],
            lst=[listed(A, MarketStatus.DEAD), listed(C, MarketStatus.DEAD)],
            free_stake=4499,
        ),
        "adopt",
        [("republish", A.order_hash)],  # A needs 1500, C 3000: only the cheapest fits in 4499
        id="dead-cheapest-first",
    ),
]


@pytest.mark.parametrize(("v", "policy", "expected"), CASES)
def test_decide(v, policy, expected):
    assert kinds(decide(v, policy)) == expected


def test_owner_change_stops_everything():
    steps = decide(view(known=[A], owner=RIVAL))
    assert len(steps) == 1 and isinstance(steps[0], Stop)
    assert RIVAL in steps[0].reason


def test_reasons_are_given():
    for step in decide(view(known=[A, B], lst=[listed(U)], price=None)):
        assert step.reason


def test_types():
    steps = decide(view(known=[A], lst=[listed(U)]))
    assert {type(s) for s in steps} == {Cancel, Adopt}
    assert not any(isinstance(s, Forget | Republish | Unpublish) for s in steps)


def test_owner_change_raises_in_the_shell():
    from tests.unit.engine.test_cycle_fake import make_cycle

    cycle, world = make_cycle(live=True)
    world.owner = RIVAL
    from bot.engine.reconcile import run_reconcile

    with pytest.raises(OwnershipError):
        run_reconcile(cycle.ports, cycle.settings, cycle.state, cycle.executor)


def test_dry_run_without_a_key_does_not_stop():
    import dataclasses

    from bot.engine.reconcile import run_reconcile
    from tests.unit.engine.test_cycle_fake import make_cycle

    cycle, world = make_cycle(live=False)
    ports = dataclasses.replace(cycle.ports, signer=None)
    world.listed[U.order_hash] = U
    report = run_reconcile(ports, cycle.settings, cycle.state, cycle.executor)
    assert report.stopped is None
    assert [o[0] for o in report.outcomes] == ["adopt"]
    assert U.order_hash in cycle.state.sampler.tracked
    assert world.calls == []


def test_shell_keeps_a_journalled_unlisted_order_for_the_tick_and_adopts_a_stray():
    """At start nothing says what we want yet: the unlisted order stays tracked and the first
    tick settles it (relisted if its price is wanted, closed otherwise) - never left behind."""
    from bot.engine.reconcile import run_reconcile
    from tests.unit.engine.test_cycle_fake import make_cycle

    cycle, world = make_cycle(live=True)
    cycle.state.sampler.track(A)  # journalled, never published (crash before publish)
    world.listed[U.order_hash] = U  # published by hand
    report = run_reconcile(cycle.ports, cycle.settings, cycle.state, cycle.executor)
    assert sorted((o[0], o[2]) for o in report.outcomes) == [("adopt", "ok")]
    assert set(cycle.state.sampler.tracked) == {A.order_hash, U.order_hash}
    assert world.consumed.get(A.order_hash, 0) == 0
    cycle.tick()
    settled = A.order_hash in world.listed or world.consumed.get(A.order_hash) == A.order.volume
    assert settled, "the first tick must relist or close the unlisted order"


def test_the_shell_reads_what_several_orders_consumed_in_one_batch(monkeypatch):
    from bot.engine.reconcile import run_reconcile
    from tests.unit.engine.test_cycle_fake import make_cycle

    cycle, world = make_cycle(live=True)
    cycle.state.sampler.track(A)
    world.listed[U.order_hash] = U
    world.consumed[A.order_hash] = 1
    batches = []
    chain = cycle.ports.chain
    many = chain.consumed_many
    monkeypatch.setattr(chain, "consumed_many", lambda hs: batches.append(list(hs)) or many(hs))
    monkeypatch.setattr(chain, "consumed", lambda h: pytest.fail(f"one by one: {h}"))
    run_reconcile(cycle.ports, cycle.settings, cycle.state, cycle.executor)
    assert [sorted(b) for b in batches] == [sorted({A.order_hash, U.order_hash})]

"""Planner, ``rails.dark_slot`` (docs/strategies.md items 96-97): a cut that would list nothing.

Train 10000's shape: one 2-task slot, our dearer order unpublished for a cut under
``cancel_gas_cost`` / 2 is left valid and counted, so the new order gets no volume and the slot
goes dark. The scenarios and the random snapshots are test_planner's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.errors import InputError
from bot.domain.model import Keep, OwnOrder, Publish, Quote, Relist
from bot.pricing.planner import Plan, plan
from bot.pricing.rails import DarkSlot, RailsConfig
from tests.support.factories import own, snap
from tests.unit.pricing.test_planner import CFG, q, scenarios, summary

GAS = 5_000_000  # the default cancel gas: a 2-task slot cancels only for a cut over 2.5 M a task
DEARER = own("a", 2_896_675, 2)  # 10000 at 0.450 h: our order the floor posture cuts under

DARK: list[tuple[str, list[OwnOrder], Quote, DarkSlot, list[tuple[str, Any]]]] = [
    ("10000-off-goes-dark", [DEARER], q(2_372_671, 2), "off", [("unpublish", "a")]),
    (
        "10000-cancel-lists-the-cut",
        [DEARER],
        q(2_372_671, 2),
        "cancel",
        [("unpublish", "a"), ("cancel", "a"), ("publish", (2_372_671, 2))],
    ),
    (
        "10000-cancel-late-waits-one-plan",  # first dark plan: main's (a dark of one tick is cheap)
        [DEARER],
        q(2_372_671, 2),
        "cancel_late",
        [("unpublish", "a")],
    ),
    (
        "10000-cancel-late-still-dark-cancels",  # dark since the last plan: cancelled and listed
        [own("a", 2_896_675, 2, published=False)],
        q(2_372_671, 2),
        "cancel_late",
        [("cancel", "a"), ("publish", (2_372_671, 2))],
    ),
    (
        "already-unlisted-cancel",
        [own("a", 2_896_675, 2, published=False)],
        q(2_372_671, 2),
        "cancel",
        [("cancel", "a"), ("publish", (2_372_671, 2))],
    ),
    (
        "cancel-frees-the-biggest-first",  # 1 + 2 tasks counted on a 3-task cap: one cancel lists 2
        [own("a", 2_900_000, 1, age=120.0), own("b", 2_800_000, 2)],
        q(1_000_000, 3),
        "cancel",
        [("unpublish", "a"), ("unpublish", "b"), ("cancel", "b"), ("publish", (1_000_000, 2))],
    ),
    (
        "not-dark-partial-room-is-main",  # 1 task left counted of 2: the cut gets the other
        [own("a", 2_896_675, 1)],
        q(2_372_671, 2),
        "cancel",
        [("unpublish", "a"), ("publish", (2_372_671, 1))],
    ),
    (
        "not-dark-over-the-gas-test-is-main",  # 2 x 2.6 M > 5 M: cancelled at main too
        [DEARER],
        q(2_600_000, 2),
        "cancel",
        [("unpublish", "a"), ("cancel", "a"), ("publish", (2_600_000, 2))],
    ),
    (
        "not-dark-kept-order-is-main",
        [own("a", 2_400_000, 1, age=120.0), own("b", 2_896_675, 1)],
        q(2_372_671, 2),
        "cancel",
        [("keep", "a"), ("unpublish", "b")],
    ),
]


def _plan(orders: list[OwnOrder], quotes: list[Quote], cfg: RailsConfig) -> Plan:
    return plan(snap(own_orders=orders, free_stake=10**15), quotes, cfg)


@pytest.mark.parametrize(
    ("orders", "quote", "mode", "expected"),
    [s[1:] for s in DARK],
    ids=[s[0] for s in DARK],
)
def test_dark_slot_scenarios(
    orders: list[OwnOrder], quote: Quote, mode: DarkSlot, expected: list[tuple[str, Any]]
) -> None:
    p = _plan(orders, [quote], replace(CFG, cancel_gas_cost=GAS, dark_slot=mode))
    assert summary(p, orders) == expected
    assert all(a.reason for a in p.actions)


def test_off_by_default_is_main() -> None:
    assert RailsConfig().dark_slot == "off"
    p = _plan([DEARER], [q(2_372_671, 2)], replace(CFG, cancel_gas_cost=GAS))
    assert summary(p, [DEARER]) == [("unpublish", "a")]  # the dark slot of item 96
    assert any("keeps counting" in n for n in p.notes)


def test_keep_is_no_longer_a_mode() -> None:
    """Session 28 removed "keep" (item 97: it lost on 10000 and 1057, and it was the one mode
    that took back an unpublish the plan had already made): an owner's config naming it gets
    the field's error, not a silent "off"."""
    with pytest.raises(InputError, match="dark_slot"):
        RailsConfig(dark_slot="keep")  # type: ignore[arg-type]


def test_the_cancel_says_why() -> None:
    p = _plan([DEARER], [q(2_372_671, 2)], replace(CFG, cancel_gas_cost=GAS, dark_slot="cancel"))
    (cancel,) = [a for a in p.actions if a.kind == "cancel"]
    assert "dark slot" in cancel.reason and "nothing listed" in cancel.reason


@pytest.mark.parametrize("bad", ["on", "", True, 1])
def test_bad_value_is_refused(bad: Any) -> None:
    with pytest.raises(Exception, match=r"rails\.dark_slot"):
        RailsConfig(dark_slot=bad)


@st.composite
def dark_scenarios(draw: st.DrawFn) -> tuple[Any, ...]:
    """test_planner's random snapshot plus a slot that goes dark at main: only dearer orders of
    ours, counted, filling the quote's cap, under a gas no one-fill test passes."""
    orders, quotes, cfg, free, _ = draw(scenarios())
    dearer = [
        own(
            f"d{i}",
            draw(st.sampled_from([100, 101, 150])),
            draw(st.integers(1, 6)),
            published=draw(st.booleans()),
            age=draw(st.sampled_from([10.0, 500.0, 5000.0])),
            category=1,
            tag=1,
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    cap = draw(st.integers(1, sum(o.remaining for o in dearer)))
    cut = q(draw(st.sampled_from([10, 50, 98])), cap, category=1, tag=1)
    cfg = replace(cfg, count_dearer_unpublished=True)
    return [*orders, *dearer], [*quotes, cut], cfg, free, 10**9


CASES = st.one_of(scenarios(), dark_scenarios())


def _listed(p: Plan, orders: list[OwnOrder], slot: Any) -> bool:
    mine = {o.order_hash for o in orders if o.slot == slot}
    for a in p.actions:
        if isinstance(a, Publish) and a.quote.slot == slot:
            return True
        if isinstance(a, Keep | Relist) and a.order_hash in mine:
            return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES, st.sampled_from(["cancel", "cancel_late"]))
def test_only_a_dark_slot_changes(case: tuple[Any, ...], mode: DarkSlot) -> None:
    """Where main's plan lists something in every quoted slot that has orders of ours, the key
    changes nothing; where it changes the plan, that slot is listed under "cancel"."""
    orders, quotes, cfg, free, gas = case
    cfg = replace(cfg, cancel_gas_cost=gas, dark_slot="off")
    s = snap(own_orders=orders, free_stake=free)
    main = plan(s, quotes, cfg)
    on = plan(s, quotes, replace(cfg, dark_slot=mode))
    dark = [
        x.slot
        for x in quotes
        if x.volume > 0
        and any(o.slot == x.slot for o in orders)
        and not _listed(main, orders, x.slot)
    ]
    if not dark:
        assert on == main
    # the open-orders limit counts every order of ours still valid as well as the publishes
    elif mode == "cancel" and free >= 10**9 and cfg.max_open_orders >= len(orders) + len(quotes):
        by_slot = {x.slot: x for x in quotes}
        for slot in dark:
            here = [o for o in orders if o.slot == slot]
            # the rule's case: every order of the slot dearer, younger than max age, all counted
            if (
                all(
                    o.price > by_slot[slot].price
                    and s.at - o.published_at < cfg.max_order_age_seconds
                    for o in here
                )
                and cfg.count_dearer_unpublished
            ):
                assert _listed(on, orders, slot), (slot, on.actions)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES, st.sampled_from(["cancel", "cancel_late"]))
def test_key_on_keeps_every_prefix_within_cap(case: tuple[Any, ...], mode: DarkSlot) -> None:
    """test_planner's prefix property (cap, stake, open orders) with the key on."""
    from tests.unit.pricing.test_planner import test_every_prefix_respects_cap_and_stake

    orders, quotes, cfg, free, gas = case
    inner = test_every_prefix_respects_cap_and_stake.hypothesis.inner_test  # type: ignore[attr-defined]
    inner((orders, quotes, dataclasses.replace(cfg, dark_slot=mode), free, gas))

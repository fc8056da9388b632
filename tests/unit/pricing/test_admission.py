"""Admission as an EDF test in slot time: tables, the rails step, and a property."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import InputError
from bot.domain.model import PoolTask, Quote
from bot.pricing.admission import (
    MAX_QUEUED_HORIZONS,
    RESIDUAL_SHARE,
    Batch,
    Committed,
    _horizons,
    admissible_volume,
    admit,
    committed_work,
    feasible,
)
from bot.pricing.ledger import Ledger, offer_capacity
from bot.pricing.rails import RailsConfig, RailsResult, apply_rails
from bot.pricing.runtimes import RunTimeSamples, learn, task_board
from bot.pricing.snapshot import MarketSnapshot, Offer
from tests.support.factories import NOW, offer, own, snap, util


def rails(
    quotes: list[Quote], s: MarketSnapshot, offers: list[Offer], cfg: RailsConfig
) -> RailsResult:
    return apply_rails(quotes, s, Ledger.of(s, offers, cfg), cfg)


XS_W, S_W, M_W = 2100.0, 8400.0, 25200.0  # contribution windows: 7 x workClockTimeRef
HOUR = 3600.0


def running(n: int, remaining: float) -> tuple[float, ...]:
    return (remaining,) * n


CASES: list[tuple[str, int, Committed, list[Batch], float, float, int]] = [
    # (name, slots, committed, other batches, window, run, admissible volume)
    ("idle pool: slots x window / run", 6, Committed(), [], XS_W, 300.0, 42),
    # the case: window_capacity said 6 x 7 - 12 = 30; none of them could finish
    (
        "6 slots running 1-hour tasks, 6 more queued: no XS",
        6,
        Committed(running(6, HOUR), ((M_W - 60, HOUR),) * 6),
        [],
        XS_W,
        300.0,
        0,
    ),
    ("3 of 6 slots busy for an hour", 6, Committed(running(3, HOUR)), [], XS_W, 300.0, 21),
    (
        "running tasks ending soon free their slots",
        6,
        Committed(running(6, 600.0)),
        [],
        XS_W,
        300.0,
        30,
    ),
    (
        "queued XS due within the window count in full",
        6,
        Committed((), ((1000.0, 300.0),) * 12),
        [],
        XS_W,
        300.0,
        30,
    ),
    ("a task longer than its window is never admissible", 6, Committed(), [], XS_W, 2400.0, 0),
    ("no slots", 0, Committed(), [], XS_W, 300.0, 0),
    # mixed categories: long tasks already matched take the slots that free up before a short
    # task comes, and keep them (no preemption)
    (
        "6 queued 1-hour tasks will hold every slot: no XS",
        6,
        Committed((), ((M_W - 600, HOUR),) * 6),
        [],
        XS_W,
        300.0,
        0,
    ),
    (
        "3 queued 1-hour tasks leave half the slots",
        6,
        Committed((), ((M_W - 600, HOUR),) * 3),
        [],
        XS_W,
        300.0,
        21,
    ),
    (
        "a queued M task waits behind XS but may start first: one slot",
        6,
        Committed((), ((M_W - 600, HOUR),)),
        [],
        XS_W,
        300.0,
        35,
    ),
    # orders of ours still valid are charged at their own deadline (the next tick sees a long
    # one that started as running work); they are not charged in front of shorter ones
    (
        "our valid M orders are due at the M horizon, not in front of XS",
        6,
        Committed(),
        [Batch(M_W, HOUR, 6)],
        XS_W,
        300.0,
        42,
    ),
    (
        "M next to our valid XS orders: what the M window leaves",
        6,
        Committed(),
        [Batch(XS_W, 300.0, 30)],
        M_W,
        HOUR,
        39,  # (6 x 25200 - 30 x 300) / 3600
    ),
    (
        "a queued M task near its deadline refuses more XS than would push it past it",
        2,
        Committed((3000.0,), ((4000.0, HOUR),)),
        [],
        XS_W,
        300.0,
        0,  # horizon 4000 s: 3000 running + 3600 queued + XS <= 8000 leaves 1400 -> 4, but
        # at 2100 s the running and the queued task are ahead: 2100 + 2100 = 4200 = 2 x 2100
    ),
    (
        "S and M on an idle pool: M limited by its own window only",
        4,
        Committed(),
        [Batch(S_W, 1200.0, 10)],
        M_W,
        HOUR,
        24,
    ),
]


@pytest.mark.parametrize(
    ("slots", "committed", "others", "window", "run", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_admissible_volume(
    slots: int,
    committed: Committed,
    others: list[Batch],
    window: float,
    run: float,
    expected: int,
) -> None:
    got = admissible_volume(slots, committed, others, window, run)
    assert got == expected
    assert feasible(slots, committed, [*others, Batch(window, run, got)]) or got == 0


def test_admit_keeps_existing_volume_first_then_shortest_windows() -> None:
    # XS and M both want everything on a 6-slot pool with 3 slots running 1-hour tasks
    busy = Committed((HOUR,) * 3)
    wanted = [Batch(M_W, HOUR, 40), Batch(XS_W, 300.0, 42)]
    # XS first: (6 - 3) x 2100 / 300 = 21; M then: (6 x 25200 - 3 x 3600 - 21 x 300) / 3600
    assert admit(6, busy, [], wanted, [0, 0]) == [37, 21]
    # volume valid on chain is admitted first, but never beyond what the test allows
    assert admit(6, busy, [], wanted, [10, 30]) == [37, 21]
    # untouchable orders (slots nobody quotes) are charged too
    assert admit(6, busy, [Batch(XS_W, 300.0, 15)], wanted[1:], [0]) == [6]


def test_committed_work_from_known_starts_or_the_computing_count() -> None:
    def t(n: int, deadline: float, started: float | None = None, category: int = 0) -> PoolTask:
        return PoolTask(f"t{n}", category, NOW - 100, NOW + deadline, started_at=started)

    runs = {0: 300.0, 2: HOUR}
    known = committed_work(
        NOW, [t(1, 900, NOW - 100), t(2, 600), t(3, 9000, NOW - 5000, 2)], runs, computing=0
    )
    assert known.running == (200.0, RESIDUAL_SHARE * HOUR)  # past its quantile: a residual
    assert known.queued == ((600.0, 300.0),)
    # the chain does not say which task runs: the core's computing count marks the earliest
    unknown = committed_work(NOW, [t(1, 900), t(2, 600), t(3, 9000, category=2)], runs, 2)
    assert unknown.running == (300.0, 300.0)
    assert unknown.queued == ((9000.0, HOUR),)


def test_committed_work_with_conditional_remainders() -> None:
    """``[rails] running_charge``: a running task is charged its category's remainder
    given its age (capped at its deadline); categories without one, and tasks not known to
    run, as before."""

    def t(n: int, deadline: float, started: float | None = None, category: int = 0) -> PoolTask:
        return PoolTask(f"t{n}", category, NOW - 100, NOW + deadline, started_at=started)

    runs = {0: 300.0, 2: HOUR}
    ages: list[float] = []

    def tail(age: float) -> float:
        ages.append(age)
        return 2 * age  # a tail whose remainder grows with the age

    tasks = [
        t(1, 900, NOW - 100),
        t(2, 600),
        t(3, 20_000, NOW - 5000, 2),
        t(4, 7000, NOW - 4000, 2),
    ]
    got = committed_work(NOW, tasks, runs, computing=0, remainders={2: tail})
    # category 0 has no tail: main's charge; the L task 5,000 s in: 10,000 s, not a quarter
    # run (900 s); the one 4,000 s in is cut at its deadline 7,000 s away (it fails then)
    assert got.running == (200.0, 7000.0, 10_000.0)  # in deadline order
    assert sorted(ages) == [4000.0, 5000.0]
    assert got.queued == ((600.0, 300.0),)
    # no remainders: main exactly
    assert committed_work(NOW, tasks, runs, 0, None) == committed_work(NOW, tasks, runs, 0)
    assert committed_work(NOW, tasks, runs, 0, {}) == committed_work(NOW, tasks, runs, 0)
    # start unknown: charged in full, as before
    unknown = [t(1, 900), t(3, 9000, category=2)]
    assert committed_work(NOW, unknown, runs, 2, {2: tail}).running == (300.0, HOUR)


def test_a_long_task_past_its_quantile_blocks_xs_only_with_a_tail_charge() -> None:
    """1012's misses (issue #14): one slot, an L task run past its learned q0.9 (a lognormal
    tail). The quarter-run floor leaves the XS window room; the conditional remainder does not."""
    l_runs = [
        3005.0 * math.exp(0.58 * z) for z in (-1.2, -0.8, -0.4, -0.1, 0.0, 0.2, 0.5, 0.9, 1.3)
    ]
    starts = [NOW - 90_000 + i * 5000 for i in range(len(l_runs))]
    done = [
        PoolTask(f"d{i}", 3, s, s + 7 * 10_800, s, None, s + r)
        for i, (s, r) in enumerate(zip(starts, l_runs, strict=True))
    ]
    running = PoolTask("l", 3, NOW - 4500, NOW - 4500 + 7 * 10_800, NOW - 4500, NOW - 4500)
    tasks = [*done, running]
    samples = learn(RunTimeSamples(), tasks)
    refs = {0: 300.0, 3: 10_800.0}
    plain = task_board(NOW, tasks, samples, {0: 300.0, 3: 3391.0}, refs)
    tails = task_board(NOW, tasks, samples, {0: 300.0, 3: 3391.0}, refs, tails="conditional")
    tail_only = task_board(NOW, tasks, samples, {0: 300.0, 3: 3391.0}, refs, tails="tail")
    run = plain.run_seconds(3, 0.0)
    assert run < 4500.0  # past its quantile
    u = util(registered=1, computing=1)
    xs = offer(0, task_seconds=300.0)
    assert offer_capacity(u, xs, plain) > 0  # charged RESIDUAL_SHARE x run: room for XS
    assert offer_capacity(u, xs, tails) == 0  # the tail's remainder fills the XS window
    assert offer_capacity(u, xs, tail_only) == 0  # past the estimate "tail" charges it too


def _board(tasks: list[PoolTask], priors: dict[int, float]) -> object:
    return task_board(NOW, tasks, learn(RunTimeSamples(), tasks), priors, {0: 300.0, 2: 3600.0})


def test_rails_offer_no_xs_volume_on_a_pool_saturated_by_long_tasks() -> None:
    xs = offer(category=0, task_seconds=300, max_volume=1000)
    long_tasks = [
        PoolTask(f"m{i}", 2, NOW - 60, NOW - 60 + M_W, NOW - 60, NOW - 60) for i in range(6)
    ]
    queued = [PoolTask(f"q{i}", 2, NOW - 30, NOW - 30 + M_W, NOW - 30) for i in range(6)]
    board = task_board(NOW, long_tasks + queued, RunTimeSamples(), {0: 300.0}, {0: 300, 2: 3600})
    base = snap(offers=[xs], utilization=util(registered=6, computing=6, backlog=6))
    cfg = RailsConfig(floor=0, ceiling=10**12, max_step=1.0, max_volume=10**6)
    quote = Quote(category=0, price=100, volume=30, reason="t")
    # the window capacity alone still lets 30 through (6 x 7 - 12)
    assert rails([quote], base, [xs], cfg).quotes[0].volume == 30
    result = rails([quote], dataclasses.replace(base, tasks=board), [xs], cfg)
    assert result.quotes[0].volume == 0
    assert [(n.rule, n.detail) for n in result.notes] == [
        ("volume-cap", "30 -> 0: capacity 0, max_volume 1000000")
    ]
    # the window capacity a strategy sees is the same test's
    assert offer_capacity(base.utilization, xs) == 30
    assert offer_capacity(base.utilization, xs, board) == 0


def test_rails_admission_tests_mixed_offers_together() -> None:
    xs = offer(category=0, task_seconds=300, max_volume=1000)
    m = offer(category=2, task_seconds=3600, max_volume=1000)
    queued = [PoolTask(f"q{i}", 2, NOW - 30, NOW - 30 + M_W, NOW - 30) for i in range(3)]
    board = task_board(NOW, queued, RunTimeSamples(), {0: 300.0, 2: 3600.0}, {0: 300, 2: 3600})
    base = snap(offers=[xs, m], utilization=util(registered=6, backlog=3))
    cfg = RailsConfig(floor=0, ceiling=10**12, max_step=1.0, max_volume=10**6)
    quotes = [
        Quote(category=0, price=100, volume=21, reason="t"),
        Quote(category=2, price=100, volume=39, reason="t"),
    ]
    result = rails(quotes, dataclasses.replace(base, tasks=board), [xs, m], cfg)
    # alone: 21 XS behind the 3 queued hour-long tasks; 39 M in 7 h after them. Together the
    # load sharing cuts both, then the M horizon keeps room for the XS tasks it admitted
    got = [q.volume for q in result.quotes]
    placed = [Batch(XS_W, 300.0, got[0]), Batch(M_W, HOUR, got[1])]
    assert feasible(6, Committed((), ((M_W - 30, HOUR),) * 3), placed)
    assert got[0] > 0 and got[1] > 0


def test_rails_admission_charges_our_orders_in_unquoted_slots() -> None:
    xs = offer(category=0, task_seconds=300, max_volume=1000)
    m = offer(category=2, task_seconds=3600, max_volume=1000)
    board = task_board(NOW, [], RunTimeSamples(), {0: 300.0, 2: 3600.0}, {0: 300, 2: 3600})
    base = snap(
        offers=[xs, m],
        utilization=util(registered=6),
        own_orders=[own("m", 100, 3, category=2)],
    )
    cfg = RailsConfig(floor=0, ceiling=10**12, max_step=1.0, max_volume=10**6)
    quote = Quote(category=0, price=100, volume=42, reason="t")
    result = rails([quote], dataclasses.replace(base, tasks=board), [xs, m], cfg)
    # the window capacity of each offer is the test's alone (42 XS, 42 M); the load sharing
    # leaves XS what the M order does not use: 42 x (1 - 3 / 42) = 39; the joint test agrees
    # (the M tasks are due at their own horizon, 3 x 3600 of 6 x 25200)
    assert result.quotes[0].volume == 39


batches = st.builds(
    Batch,
    window=st.sampled_from([XS_W, S_W, M_W]),
    run_seconds=st.floats(min_value=30.0, max_value=2000.0),
    volume=st.integers(min_value=0, max_value=30),
)
committed = st.builds(
    Committed,
    running=st.lists(st.floats(min_value=1.0, max_value=HOUR), max_size=8).map(tuple),
    queued=st.lists(
        st.tuples(
            st.floats(min_value=60.0, max_value=M_W), st.floats(min_value=30.0, max_value=HOUR)
        ),
        max_size=12,
    ).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=8),
    committed,
    st.lists(batches, max_size=3),
    st.sampled_from([XS_W, S_W, M_W]),
    st.floats(min_value=30.0, max_value=2000.0),
)
def test_admissible_volume_is_the_largest_feasible(
    slots: int, work: Committed, others: list[Batch], window: float, run: float
) -> None:
    if not feasible(slots, work, others):
        return
    x = admissible_volume(slots, work, others, window, run)
    assert feasible(slots, work, [*others, Batch(window, run, x)])
    if x < 10_000:
        assert not feasible(slots, work, [*others, Batch(window, run, x + 1)])


@pytest.mark.parametrize("reserve", [False, True])
@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=8),
    committed,
    st.lists(batches, max_size=2),
    st.lists(batches, min_size=1, max_size=3),
    st.data(),
)
def test_admit_result_is_feasible_and_within_wants(
    reserve: bool,
    slots: int,
    work: Committed,
    fixed: list[Batch],
    wanted: list[Batch],
    data: st.DataObject,
) -> None:
    """Under the test it was sized by (with the reserve, the reserve's own test)."""
    existing = [data.draw(st.integers(min_value=0, max_value=b.volume)) for b in wanted]
    got = admit(slots, work, fixed, wanted, existing, reserve_short=reserve)
    assert all(0 <= g <= w.volume for g, w in zip(got, wanted, strict=True))
    placed = [dataclasses.replace(w, volume=g) for w, g in zip(wanted, got, strict=True)]
    if feasible(slots, work, fixed, reserve_short=reserve):
        assert feasible(slots, work, [*fixed, *placed], reserve_short=reserve)


def _plain_horizons(
    slots: int, work: Committed, windows: list[float]
) -> list[tuple[float, float, float, float]]:
    """The horizons by the plain quadratic loop: the spec the fast ``_horizons`` must match."""
    deadlines = sorted({d for d, _ in work.queued if d > 0})
    if len(deadlines) > MAX_QUEUED_HORIZONS:
        step = len(deadlines) / MAX_QUEUED_HORIZONS
        deadlines = [deadlines[int(i * step)] for i in range(MAX_QUEUED_HORIZONS)]
    points = sorted(set(windows) | set(deadlines))
    out = []
    for k, h in enumerate(points):
        nxt = points[k + 1] if k + 1 < len(points) else math.inf
        due = 0.0
        run_h = sorted((min(rem, h) for rem in work.running), reverse=True)
        ahead = list(run_h)
        for deadline, run in work.queued:
            if deadline < nxt:
                due += run
            else:
                ahead.append(min(run, h))
        ahead.sort(reverse=True)
        out.append((h, due, sum(run_h[: max(0, slots)]), sum(ahead[: max(0, slots)])))
    return out


long_queue = st.lists(
    st.tuples(
        st.sampled_from([-60.0, 60.0, 900.0, XS_W, S_W]) | st.floats(-600.0, M_W),
        st.sampled_from([300.0, HOUR]) | st.floats(min_value=30.0, max_value=HOUR),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=-1, max_value=12),
    st.lists(st.sampled_from([600.0, HOUR]) | st.floats(1.0, HOUR), max_size=14).map(tuple),
    long_queue,
    st.booleans(),
    st.lists(st.sampled_from([XS_W, S_W, M_W]) | st.floats(60.0, M_W), min_size=1, max_size=4),
)
def test_horizons_are_bit_identical_to_the_plain_loop(
    slots: int,
    running_: tuple[float, ...],
    queued: list[tuple[float, float]],
    ordered: bool,
    windows: list[float],
) -> None:
    # committed_work builds the queue in deadline order (the prefix-sum path); any order works
    work = Committed(running_, tuple(sorted(queued) if ordered else queued))
    got = [(z.h, z.due, z.running, z.ahead) for z in _horizons(slots, work, windows)]
    assert got == _plain_horizons(slots, work, windows)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=-1, max_value=12),
    st.lists(st.sampled_from([600.0, HOUR]) | st.floats(1.0, HOUR), max_size=14).map(tuple),
    st.lists(st.sampled_from([XS_W, S_W, M_W]) | st.floats(60.0, M_W), min_size=1, max_size=4),
)
def test_horizons_without_a_queue_are_bit_identical_to_the_plain_loop(
    slots: int, running_: tuple[float, ...], windows: list[float]
) -> None:
    # nothing queued: the common tick, which _horizons answers without the sweep
    work = Committed(running_, ())
    got = [(z.h, z.due, z.running, z.ahead) for z in _horizons(slots, work, windows)]
    assert got == _plain_horizons(slots, work, windows)


# The reserve (rails.admission_reserve, issue #14's gap (a)): hand-checked cases from the train
# markets where a long sale between two ticks made an XS task miss (docs/strategies.md, "The
# admission reserve").
L_W, XL_W = 75600.0, 252000.0  # contribution windows of categories 3 and 4


def test_reserve_caps_the_long_batch_that_could_take_the_short_one_s_slot() -> None:
    # 1459 at 96,300 s: 2 slots, one running an L task charged 2,201 s more; XS 4 (412 s) fits
    # the free slot before 2,100 s, but an L sold first takes that slot and the XS tasks sold
    # after it wait 2,201 s: past 2,100 - 412
    work = Committed((2201.0,))
    wanted = [Batch(XS_W, 412.0, 4), Batch(L_W, 2924.0, 4)]
    # main's rule: the L batch is not charged in front of the XS one, both are listed
    assert admit(2, work, [], wanted, [0, 0]) == [4, 4]
    assert feasible(2, work, wanted)
    # the reserve: one L task in the free slot leaves the XS horizon 2 x 2,100 - 2,100 - 2,100 = 0
    assert admit(2, work, [], wanted, [0, 0], reserve_short=True) == [4, 0]
    assert not feasible(2, work, wanted, reserve_short=True)
    assert feasible(2, work, [wanted[0], Batch(L_W, 2924.0, 0)], reserve_short=True)
    # volume already valid on chain is capped too (the misses came from such orders)
    assert admit(2, work, [], wanted, [4, 4], reserve_short=True) == [4, 0]
    # once the running L task ends, one slot keeps XS's 1,648 s and the L batch gets the other
    assert admit(2, Committed(), [], wanted, [0, 0], reserve_short=True) == [4, 4]


def test_reserve_on_the_slot_about_to_free() -> None:
    # 1498 at 42,420 s: 4 slots, three XL tasks with 4,803-6,855 s left and one about to end;
    # XS 5 (400 s) fits that slot, until an XL sells into it
    work = Committed((4803.0, 5900.0, 6855.0, 10.0))
    wanted = [Batch(XS_W, 400.0, 5), Batch(XL_W, 7186.0, 7)]
    assert admit(4, work, [], wanted, [0, 0]) == [5, 7]
    assert admit(4, work, [], wanted, [0, 0], reserve_short=True) == [5, 0]
    # the three busy slots are charged 2,100 s each, so one XL task in the slot about to free
    # takes the 2,090 s the XS batch needs; without the XS offer the XL one keeps its volume
    assert admit(4, work, [], wanted[1:], [0], reserve_short=True) == [7]


def test_reserve_holds_no_slot_for_cheaper_work() -> None:
    # prices like 1498's: an XS task 1.2 M nRLC for 400 s, an XL one 500 M for 7,186 s (x 23
    # per slot-second): the XL offer is not held back for the XS volume; at XS's rate it is
    work = Committed((4803.0, 5900.0, 6855.0, 10.0))
    xs = Batch(XS_W, 400.0, 5, price=1_200_000)
    rich = [xs, Batch(XL_W, 7186.0, 7, price=500_000_000)]
    assert admit(4, work, [], rich, [0, 0], reserve_short=True) == [5, 7]
    assert feasible(4, work, rich, reserve_short=True)
    poor = [xs, Batch(XL_W, 7186.0, 7, price=1_200_000 * 7186 // 400)]
    assert admit(4, work, [], poor, [0, 0], reserve_short=True) == [5, 0]


def test_reserve_does_not_idle_the_pool_when_nothing_short_is_listed() -> None:
    # only a long offer: nothing to reserve for, the same volume as main's rule
    work = Committed((2201.0,))
    for slots in (1, 2, 4):
        long_only = [Batch(L_W, 2924.0, 9)]
        assert admit(slots, work, [], long_only, [0], reserve_short=True) == admit(
            slots, work, [], long_only, [0]
        )
    # two long offers of different lengths, no short volume due before the M window is
    # charged ahead only where a shorter batch is due: M is the shorter here and fits anyway
    both = [Batch(M_W, HOUR, 6), Batch(L_W, 2924.0, 6)]
    assert admit(2, work, [], both, [0, 0], reserve_short=True) == admit(2, work, [], both, [0, 0])
    # the XS offer listed with volume 0 reserves nothing
    zero = [Batch(XS_W, 412.0, 0), Batch(L_W, 2924.0, 4)]
    assert admit(2, work, [], zero, [0, 0], reserve_short=True) == [0, 4]


def test_reserve_keeps_one_slot_for_the_long_offers() -> None:
    # a one-slot pool: reserving its slot would make the offers exclusive (the long one never
    # listed while the short one is), so the reserve leaves it alone
    wanted = [Batch(XS_W, 412.0, 4), Batch(L_W, 2924.0, 4)]
    assert admit(1, Committed(), [], wanted, [0, 0], reserve_short=True) == [4, 4]
    # a queued task takes the first slot that frees, before any new sale: nothing at risk
    queued = Committed((HOUR, HOUR), ((M_W, HOUR),))
    assert admit(2, queued, [], wanted, [0, 0], reserve_short=True) == admit(
        2, queued, [], wanted, [0, 0]
    )


def test_rails_admission_reserve_setting() -> None:
    assert RailsConfig().admission_reserve is False
    with pytest.raises(InputError):
        RailsConfig(admission_reserve=1)  # type: ignore[arg-type]
    xs = offer(category=0, task_seconds=412, max_volume=1000)
    lo = offer(category=3, task_seconds=2924, max_volume=1000)
    running = [PoolTask("l0", 3, NOW - 723, NOW - 723 + L_W, NOW - 723, NOW - 723)]
    board = task_board(NOW, running, RunTimeSamples(), {0: 412.0, 3: 2924.0}, {0: 412, 3: 2924})
    base = dataclasses.replace(
        snap(offers=[xs, lo], utilization=util(registered=2, computing=1)), tasks=board
    )
    quotes = [
        Quote(category=0, price=100, volume=4, reason="t"),
        Quote(category=3, price=100, volume=4, reason="t"),
    ]
    cfg = RailsConfig(floor=0, ceiling=10**12, max_step=1.0, max_volume=10**6)
    off = rails(quotes, base, [xs, lo], cfg)
    on = rails(quotes, base, [xs, lo], dataclasses.replace(cfg, admission_reserve=True))
    assert [q.volume for q in off.quotes] == [4, 4]
    assert [q.volume for q in on.quotes] == [4, 0]

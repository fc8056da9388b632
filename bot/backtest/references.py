"""What was possible, on the same scenario and seed: the yardsticks every report shows.

- **Best fixed price in hindsight**: the ``fixed`` strategy, run through the very same cycle and
  simulator at every price of the scenario's grid (one price for every offered category; prices
  outside the rails are skipped); the best net revenue wins. Running ``fixed`` at that price
  therefore reproduces it exactly.
- **Perfect-discrimination upper bound**: every request we could legally serve (its category,
  tag and trust fit one of our offers, it is not captive to another pool, its max price is > 0,
  it is not a publisher's, which only a pool filling it with matchOrders could serve) is
  charged its own max price, with clairvoyant admission: the pool serves the best-paying waiting
  task first, never starts a task that would not be contributed before its contribution deadline
  (start + run time < match + 7 x workClockTimeRef), and never loses stake.
  Competitors, rails and the stake limit are ignored; capacity, durations and deadlines are not.
  Durations are drawn from the same distributions (their own seeded stream), so on a capacity-
  bound run it is an estimate of the physical limit, not a proof; it is far above any real
  strategy in practice.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot.backtest.engine import bot_config, intents_for, simulate
from bot.config.settings import offers_of
from bot.domain.model import ZERO_ADDRESS, pool_order_fits
from bot.domain.networks import STANDARD_CATEGORIES
from bot.sim.agents import RequestIntent
from bot.sim.market_sim import lognormal_duration
from bot.sim.scenario import OUR_POOL, Scenario

__all__ = [
    "PER_CATEGORY_METHOD",
    "FixedGridPoint",
    "PerCategoryFixed",
    "References",
    "best_fixed",
    "best_fixed_per_category",
    "compute_references",
    "fixed_params",
    "price_grid",
    "run_fixed_prices",
    "upper_bound",
]


@dataclass(frozen=True, slots=True)
class FixedGridPoint:
    price: int
    revenue: int
    tasks_served: int
    curve: tuple[tuple[float, int], ...] = ()
    cancels: int = 0
    gas_used: int = 0
    revenue_by_category: tuple[tuple[int, int], ...] = ()  # gross, (category, nRLC)


@dataclass(frozen=True, slots=True)
class References:
    best_fixed_price: int
    best_fixed_revenue: int
    upper_bound_revenue: int
    upper_bound_tasks: int
    grid: tuple[FixedGridPoint, ...]
    upper_bound_curve: tuple[tuple[float, int], ...] = ()

    @property
    def best_fixed_point(self) -> FixedGridPoint | None:
        for g in self.grid:
            if g.price == self.best_fixed_price:
                return g
        return None

    @property
    def best_fixed_curve(self) -> tuple[tuple[float, int], ...]:
        best = self.best_fixed_point
        return best.curve if best is not None else ()


def fixed_params(price: int, categories: Sequence[int]) -> dict[str, Any]:
    """Params that make the ``fixed`` strategy quote ``price`` in every offered category."""
    import strategies

    names = {s.name for s in strategies.get("fixed").param_specs()}
    out: dict[str, Any] = {}
    if "prices" in names:
        out["prices"] = {str(c): price for c in categories}
    if "price" in names:
        out["price"] = price
    if not out:
        raise RuntimeError("the fixed strategy has neither a 'price' nor a 'prices' parameter")
    return out


def price_grid(scenario: Scenario) -> list[int]:
    cfg = bot_config(scenario)
    low, high = cfg.rails.floor, cfg.rails.ceiling
    return sorted({p for p in scenario.references.price_grid if low <= p <= high})


def _fixed_point(
    args: tuple[Scenario, int, int, Sequence[RequestIntent] | None],
) -> FixedGridPoint:
    scenario, seed, price, intents = args
    cats = [o.category for o in offers_of(bot_config(scenario))]
    out = simulate(
        scenario, "fixed", fixed_params(price, cats), seed, intents=intents, record=False
    )
    c = out.counters
    return FixedGridPoint(
        price, out.net_revenue, c.tasks_served, tuple(out.curve), c.cancels, c.gas_used
    )


def best_fixed(
    scenario: Scenario,
    seed: int,
    *,
    intents: Sequence[RequestIntent] | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[FixedGridPoint, tuple[FixedGridPoint, ...]]:
    """Grid search; ties go to the lower price (fewer stranded tasks, same money)."""
    grid = price_grid(scenario)
    if not grid:
        raise ValueError("no price of references.price_grid lies within the rails")
    points: list[FixedGridPoint] = []
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            work = [(scenario, seed, p, None) for p in grid]
            for i, point in enumerate(pool.map(_fixed_point, work)):
                points.append(point)
                if progress:
                    progress(i + 1, len(grid))
    else:
        shared = intents if intents is not None else intents_for(scenario, seed)
        for i, p in enumerate(grid):
            points.append(_fixed_point((scenario, seed, p, shared)))
            if progress:
                progress(i + 1, len(grid))
    best = max(points, key=lambda g: (g.revenue, -g.price))
    return best, tuple(points)


def upper_bound(
    scenario: Scenario,
    seed: int,
    intents: Sequence[RequestIntent] | None = None,
    *,
    publishers: bool = False,
    match_gas: int = 0,
) -> tuple[int, int, tuple[tuple[float, int], ...]]:
    """(revenue, tasks, hourly curve) of perfect discrimination under capacity and deadlines.

    ``publishers``: count the publishers' requests as servable too (a pool that fills them with
    matchOrders can serve them, bot.pricing.fills); the default leaves them out, as without fills.
    ``match_gas`` (nRLC): what one match costs the pool that fills a publisher's request; each
    publisher's request is then worth its cap x volume less that gas, spread over its tasks, and
    one whose cap does not pay it is not served (0: the bound before gas).
    """
    cfg = bot_config(scenario)
    offers = offers_of(cfg)
    intents = intents if intents is not None else intents_for(scenario, seed)
    refs = {c.id: c.work_clock_time_ref for c in STANDARD_CATEGORIES}
    durations = {cid: scenario.pool.duration(cid, ref) for cid, ref in refs.items()}
    drifting = {c.category for c in scenario.pool.duration_changes}

    def servable(i: RequestIntent) -> bool:
        # A publisher waits to be filled by matchOrders, which our pool does not do (fills off).
        if (
            i.max_price <= 0
            or i.workerpool not in (ZERO_ADDRESS, OUR_POOL)
            or (i.kind == "publisher" and not publishers)
        ):
            return False
        return any(
            o.category == i.category and pool_order_fits(i.tag, i.trust, o.tag, o.trust)
            for o in offers
        )

    rng = random.Random(f"{seed}:upper-bound")
    keep = 1.0 - scenario.pool.failure_rate
    slots_per = scenario.pool.slots_per_worker
    plan = sorted(
        (scenario.origin + c.at_h * 3600.0, c.workers) for c in scenario.pool.capacity_changes
    )
    workers = scenario.pool.workers
    running: list[float] = []  # end times
    waiting: list[
        tuple[float, float, int, float, int]
    ] = []  # (-value, matched, seq, deadline, cat)
    revenue = 0.0
    tasks = 0
    seq = 0
    hourly: dict[int, float] = {}

    def capacity() -> int:
        return workers * slots_per

    def start_fitting(now: float) -> None:
        nonlocal revenue, tasks
        while waiting and len(running) < capacity():
            neg, _, _, deadline, cat = heapq.heappop(waiting)
            if now >= deadline:
                continue
            d = durations[cat]
            if cat in drifting:
                d = scenario.pool.duration_at(cat, refs[cat], (now - scenario.origin) / 3600.0)
            end = now + lognormal_duration(d, rng)
            if end >= deadline:  # clairvoyant: it would not be contributed in time, skip it
                continue
            heapq.heappush(running, end)
            revenue += -neg * keep
            tasks += 1
            hour = int((now - scenario.origin) // 3600)
            hourly[hour] = hourly.get(hour, 0.0) + -neg * keep

    def run_until(t: float) -> None:
        nonlocal workers
        while True:
            nxt_done = running[0] if running else math.inf
            nxt_cap = plan[0][0] if plan else math.inf
            nxt = min(nxt_done, nxt_cap)
            if nxt > t or nxt == math.inf:
                return
            if nxt_cap <= nxt_done:
                workers = plan.pop(0)[1]
            else:
                heapq.heappop(running)
            start_fitting(nxt)

    for i in intents:
        if not servable(i):
            continue
        run_until(i.at)
        deadline = i.at + 7 * refs[i.category]
        value: float = i.max_price
        if match_gas and i.kind == "publisher":
            if i.max_price * i.volume <= match_gas:
                continue
            value = i.max_price - match_gas / i.volume
        for _ in range(i.volume):
            seq += 1
            heapq.heappush(waiting, (-value, i.at, seq, deadline, i.category))
        start_fitting(i.at)
    run_until(math.inf)
    curve: list[tuple[float, int]] = [(0.0, 0)]
    total = 0.0
    hours = math.ceil((scenario.end - scenario.origin) / 3600)
    for h in range(max(hours, max(hourly, default=0) + 1)):
        total += hourly.get(h, 0.0)
        curve.append(((h + 1) * 3600.0, round(total)))
    return round(revenue), tasks, tuple(curve)


@dataclass(frozen=True, slots=True)
class PerCategoryFixed:
    """The best fixed price *per category* found by coordinate search (an optional reference)."""

    prices: tuple[tuple[int, int], ...]  # (category, price), by category
    revenue: int
    tasks_served: int
    cancels: int
    gas_used: int
    runs: int
    rounds: int
    curve: tuple[tuple[float, int], ...] = ()


PER_CATEGORY_METHOD = (
    "coordinate search over references.price_grid (within the rails), one category at a time, "
    "from the best single fixed price, until a full round improves nothing: a local optimum, so "
    "a lower bound on the best per-category fixed prices"
)


def run_fixed_prices(
    scenario: Scenario,
    seed: int,
    prices: tuple[tuple[int, int], ...],
    intents: Sequence[RequestIntent] | None = None,
) -> FixedGridPoint:
    """One run of ``fixed`` at a price per category ((category, price) pairs, by category)."""
    params = fixed_params(prices[0][1], [c for c, _ in prices])
    params["prices"] = {str(c): p for c, p in prices}
    out = simulate(scenario, "fixed", params, seed, intents=intents, record=False)
    c = out.counters
    return FixedGridPoint(
        prices[0][1],
        out.net_revenue,
        c.tasks_served,
        tuple(out.curve),
        c.cancels,
        c.gas_used,
        tuple(sorted(c.revenue_by_category.items())),
    )


def _fixed_map_point(
    args: tuple[Scenario, int, tuple[tuple[int, int], ...], Sequence[RequestIntent] | None],
) -> FixedGridPoint:
    return run_fixed_prices(*args)


def best_fixed_per_category(
    scenario: Scenario,
    seed: int,
    *,
    start: FixedGridPoint | None = None,
    intents: Sequence[RequestIntent] | None = None,
    jobs: int = 1,
    max_rounds: int = 4,
    progress: Callable[[int], None] | None = None,
) -> PerCategoryFixed:
    """Coordinate search for per-category fixed prices (see ``PER_CATEGORY_METHOD``).

    It costs up to ``max_rounds x categories x (grid - 1)`` runs, hence optional. ``start`` is
    the best single fixed price's grid point (its run is reused); ties keep the current price,
    then the lower one, so the result is deterministic.
    """
    cats = sorted({o.category for o in offers_of(bot_config(scenario))})
    grid = price_grid(scenario)
    if not grid:
        raise ValueError("no price of references.price_grid lies within the rails")
    shared = intents if intents is not None else intents_for(scenario, seed)
    if start is None:
        start, _ = best_fixed(scenario, seed, intents=shared, jobs=jobs)
    current = {c: start.price for c in cats}
    cache: dict[tuple[tuple[int, int], ...], FixedGridPoint] = {
        tuple(sorted(current.items())): start
    }

    def evaluate(vectors: list[dict[int, int]]) -> list[FixedGridPoint]:
        keys = [tuple(sorted(v.items())) for v in vectors]
        todo = [k for k in dict.fromkeys(keys) if k not in cache]
        if jobs > 1 and len(todo) > 1:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                work = [(scenario, seed, k, None) for k in todo]
                for k, point in zip(todo, pool.map(_fixed_map_point, work), strict=True):
                    cache[k] = point
        else:
            for k in todo:
                cache[k] = _fixed_map_point((scenario, seed, k, shared))
        if progress is not None and todo:
            progress(len(todo))
        return [cache[k] for k in keys]

    best = cache[tuple(sorted(current.items()))]
    rounds = 0
    for _ in range(max_rounds):
        rounds += 1
        improved = False
        for cat in cats:
            candidates = [{**current, cat: p} for p in grid if p != current[cat]]
            if not candidates:
                continue
            points = evaluate(candidates)
            top = max(
                zip(candidates, points, strict=True),
                key=lambda cp: (cp[1].revenue, -cp[0][cat]),
            )
            if top[1].revenue > best.revenue:
                current, best, improved = top[0], top[1], True
        if not improved or len(cats) == 1:
            break
    return PerCategoryFixed(
        prices=tuple(sorted(current.items())),
        revenue=best.revenue,
        tasks_served=best.tasks_served,
        cancels=best.cancels,
        gas_used=best.gas_used,
        runs=len(cache),
        rounds=rounds,
        curve=best.curve,
    )


def compute_references(
    scenario: Scenario, seed: int, *, jobs: int = 1, intents: Sequence[RequestIntent] | None = None
) -> References:
    intents = intents if intents is not None else intents_for(scenario, seed)
    best, grid = best_fixed(scenario, seed, intents=intents, jobs=jobs)
    ub, ub_tasks, ub_curve = upper_bound(scenario, seed, intents)
    return References(best.price, best.revenue, ub, ub_tasks, grid, ub_curve)

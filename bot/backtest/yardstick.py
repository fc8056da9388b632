"""The yardstick of a generated market: the best fixed price per category in hindsight.

A strategy's figure on a generated market (``bot.sim.generator``) is only meaningful against what
was possible on that very market, so each market gets one reference, computed once and cached:

- **The grid, per category** (within the owner's rails, deduplicated): ``GRID_POINTS`` prices
  log-spaced from the rails' floor to their ceiling; one nRLC under every price a competitor of
  the category is configured with (a fixed pool's price, an undercutter's floor and ceiling, a
  random walk's start, floor and ceiling); and the ``MAX_PRICE_QUANTILES`` of the max prices of
  the requests we could serve there (not captive to another pool, not free, not publishers').
- **The search** (fills off: ``fixed`` posts orders and never fills a request itself):
  1. a joint scan: run j sets every category to its j-th grid price, the grids stretched to the
     longest one, so every grid price of every category is run once; each category's revenue in
     each run (``revenue_by_category``) rates that category's price. With one category this is
     the exhaustive grid search.
  2. coordinate search with restarts: from (a) each category's best price of the scan and (b) the
     scan's best run, move one category at a time to the best price within ``WINDOW`` grid
     positions of its current one (further while the best sits at the window's edge), round
     after round until a round changes nothing (at most ``MAX_ROUNDS``).
  The reference is the best of every run made (after gas), ties to the lower prices: a run of
  ``fixed`` at those prices reproduces it exactly. It is a local optimum of a stated search, so
  a lower bound on the true best fixed prices.
- **The upper bound**: ``bot.backtest.references.upper_bound`` (perfect discrimination under
  capacity and deadlines; publishers left out, fills off).

Scores (``score``): a strategy's net revenue after gas over the reference's; on a market where
the reference earns less than ``LOW_REFERENCE_SHARE`` of the upper bound (almost nothing, so a
ratio would be noise), ``1 + (strategy - reference) / upper bound`` instead, so that 1 still means
"as good as the reference" and the scale is the money that was there to earn.

References are cached as JSON per (GENERATOR_VERSION, YARDSTICK_VERSION, seed); a cached one is
used only when the market it was computed on still hashes the same. Bump ``YARDSTICK_VERSION``
when the search, the grid or the simulator's behaviour for ``fixed`` changes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from bot.backtest.engine import bot_config, intents_for
from bot.backtest.references import FixedGridPoint, run_fixed_prices, upper_bound
from bot.config.settings import offers_of
from bot.domain.model import ZERO_ADDRESS
from bot.sim.agents import RequestIntent
from bot.sim.generator import GENERATOR_VERSION, generate, market_class
from bot.sim.scenario import OUR_POOL, Scenario, scenario_hash

__all__ = [
    "DEFAULT_CACHE_DIR",
    "GRID_POINTS",
    "LOW_REFERENCE_SHARE",
    "MAX_PRICE_QUANTILES",
    "YARDSTICK_VERSION",
    "Yardstick",
    "after_gas",
    "cache_file",
    "category_grids",
    "compute_yardstick",
    "load_or_compute",
    "score",
]

YARDSTICK_VERSION: Final = 1
GRID_POINTS: Final = 24
MAX_PRICE_QUANTILES: Final = (0.1, 0.25, 0.5, 0.75, 0.9)
LOW_REFERENCE_SHARE: Final = 0.02
WINDOW: Final = 3
MAX_ROUNDS: Final = 6
DEFAULT_CACHE_DIR: Final = Path(".cache") / "yardstick"

Prices = tuple[tuple[int, int], ...]  # (category, price), by category


@dataclass(frozen=True, slots=True)
class Yardstick:
    """One market's reference, as cached."""

    seed: int
    market_class: str
    generator_version: int
    yardstick_version: int
    scenario_sha256: str
    prices: Prices
    reference_nrlc: int  # the reference's net revenue after gas
    reference_tasks: int
    upper_bound_nrlc: int
    upper_bound_tasks: int
    grids: tuple[tuple[int, tuple[int, ...]], ...]
    runs: int
    elapsed_s: float

    @property
    def low_reference(self) -> bool:
        """The reference earns almost nothing: scores are differences, not ratios."""
        return (
            self.reference_nrlc <= 0
            or self.reference_nrlc < LOW_REFERENCE_SHARE * self.upper_bound_nrlc
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Yardstick:
        return Yardstick(
            seed=int(data["seed"]),
            market_class=str(data["market_class"]),
            generator_version=int(data["generator_version"]),
            yardstick_version=int(data["yardstick_version"]),
            scenario_sha256=str(data["scenario_sha256"]),
            prices=tuple((int(c), int(p)) for c, p in data["prices"]),
            reference_nrlc=int(data["reference_nrlc"]),
            reference_tasks=int(data["reference_tasks"]),
            upper_bound_nrlc=int(data["upper_bound_nrlc"]),
            upper_bound_tasks=int(data["upper_bound_tasks"]),
            grids=tuple((int(c), tuple(int(p) for p in g)) for c, g in data["grids"]),
            runs=int(data["runs"]),
            elapsed_s=float(data["elapsed_s"]),
        )


def after_gas(scenario: Scenario, net_revenue: int, gas_used: int, cancels: int) -> int:
    """Net revenue (prices of completed tasks - forfeited stake) minus what the cancels cost."""
    return net_revenue - scenario.costs.gas_cost_nrlc(gas_used, cancels)


def score(strategy_nrlc: int, ys: Yardstick) -> float:
    """The strategy's after-gas net revenue against the reference (see the module doc)."""
    if ys.low_reference:
        if ys.upper_bound_nrlc <= 0:
            return 1.0 if strategy_nrlc >= ys.reference_nrlc else 0.0
        return 1.0 + (strategy_nrlc - ys.reference_nrlc) / ys.upper_bound_nrlc
    return strategy_nrlc / ys.reference_nrlc


def _servable(i: RequestIntent, category: int) -> bool:
    return (
        i.category == category
        and i.max_price > 0
        and i.workerpool in (ZERO_ADDRESS, OUR_POOL)
        and i.kind != "publisher"
    )


def category_grids(scenario: Scenario, intents: Sequence[RequestIntent]) -> dict[int, list[int]]:
    """Each offered category's candidate prices, ascending (see the module doc)."""
    cfg = bot_config(scenario)
    low, high = cfg.rails.floor, cfg.rails.ceiling
    cats = sorted({o.category for o in offers_of(cfg)})
    log_points = [
        round(low * (high / low) ** (i / (GRID_POINTS - 1))) if low > 0 else 0
        for i in range(GRID_POINTS)
    ]
    grids: dict[int, list[int]] = {}
    for cat in cats:
        points = set(log_points)
        for comp in scenario.competitors:
            if comp.category != cat:
                continue
            for p in (comp.price, comp.start, comp.ceiling):
                if p is not None:
                    points.add(p - 1)
            if comp.kind != "fixed":
                points.add(comp.floor - 1)
        caps = sorted(i.max_price for i in intents if _servable(i, cat))
        for q in MAX_PRICE_QUANTILES if caps else ():
            points.add(caps[min(len(caps) - 1, int(q * len(caps)))])
        grids[cat] = sorted(p for p in points if low <= p <= high)
    return grids


# A search worker's market, set once per process by the pool's initializer.
_WORKER: dict[str, tuple[Scenario, int, Sequence[RequestIntent]]] = {}


def _worker_init(scenario: Scenario, seed: int, intents: Sequence[RequestIntent]) -> None:
    _WORKER["market"] = (scenario, seed, intents)


def _worker_run(key: Prices) -> FixedGridPoint:
    scenario, seed, intents = _WORKER["market"]
    return run_fixed_prices(scenario, seed, key, intents)


class _Search:
    """Every run of ``fixed`` made for one market, by price vector (each runs once).

    With ``jobs`` > 1 the runs a step needs (the whole joint scan, one coordinate window) go to
    that many processes at once; every run is deterministic and the choices are made after all
    of a step's runs are in, in the same order, so the result does not depend on ``jobs``.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        intents: Sequence[RequestIntent],
        grids: Mapping[int, list[int]],
        pool: ProcessPoolExecutor | None = None,
    ) -> None:
        self.scenario, self.seed, self.intents, self.grids = scenario, seed, intents, grids
        self.cats = sorted(grids)
        self.runs: dict[Prices, FixedGridPoint] = {}
        self.pool = pool

    def run_all(self, vectors: Sequence[Mapping[int, int]]) -> None:
        """Run every price vector of ``vectors`` not run yet (in parallel with a pool)."""
        todo = list(dict.fromkeys(tuple(sorted(v.items())) for v in vectors))
        todo = [k for k in todo if k not in self.runs]
        if self.pool is not None and len(todo) > 1:
            for key, point in zip(todo, self.pool.map(_worker_run, todo), strict=True):
                self.runs[key] = point
            return
        for key in todo:
            self.runs[key] = run_fixed_prices(self.scenario, self.seed, key, self.intents)

    def run(self, prices: Mapping[int, int]) -> FixedGridPoint:
        self.run_all([prices])
        return self.runs[tuple(sorted(prices.items()))]

    def value(self, key: Prices) -> tuple[int, int]:
        """What ranks a run: after-gas revenue, then lower prices (deterministic ties)."""
        p = self.runs[key]
        return (after_gas(self.scenario, p.revenue, p.gas_used, p.cancels), -sum(x for _, x in key))

    def joint_scan(self) -> tuple[dict[int, int], dict[int, int]]:
        """Every grid price of every category once; (per-category best, best run)."""
        longest = max(len(g) for g in self.grids.values())
        best_of: dict[int, tuple[int, int]] = {}  # category -> (revenue there, -price)
        best_run: tuple[tuple[int, int], Prices] | None = None
        vectors = [
            {
                c: g[round(j * (len(g) - 1) / (longest - 1)) if longest > 1 else 0]
                for c, g in self.grids.items()
            }
            for j in range(longest)
        ]
        self.run_all(vectors)
        for vec in vectors:
            point = self.run(vec)
            by_cat = dict(point.revenue_by_category)
            for c, p in vec.items():
                rank = (by_cat.get(c, 0), -p)
                if c not in best_of or rank > best_of[c]:
                    best_of[c] = rank
            key = tuple(sorted(vec.items()))
            if best_run is None or self.value(key) > best_run[0]:
                best_run = (self.value(key), key)
        assert best_run is not None
        return {c: -r[1] for c, r in best_of.items()}, dict(best_run[1])

    def coordinate(self, start: Mapping[int, int]) -> None:
        """Coordinate search from ``start`` within a window of grid positions (module doc)."""
        current = dict(start)
        self.run(current)
        for _ in range(MAX_ROUNDS):
            changed = False
            for c in self.cats:
                grid = self.grids[c]
                while True:
                    i = grid.index(current[c])
                    lo, hi = max(0, i - WINDOW), min(len(grid) - 1, i + WINDOW)
                    options = [{**current, c: grid[k]} for k in range(lo, hi + 1)]
                    self.run_all(options)
                    top = max(options, key=lambda o: self.value(tuple(sorted(o.items()))))
                    if top[c] == current[c]:
                        break
                    current, changed = top, True
                    k = grid.index(top[c])
                    if k not in (lo, hi) or k in (0, len(grid) - 1):
                        break
            if not changed or len(self.cats) == 1:
                return

    def best(self) -> tuple[Prices, FixedGridPoint]:
        key = max(self.runs, key=self.value)
        return key, self.runs[key]


def compute_yardstick(seed: int, scenario: Scenario | None = None, *, jobs: int = 1) -> Yardstick:
    """Search the reference of the generated market ``seed`` (slow: tens of runs).

    ``jobs``: processes running the search's runs (the result is the same for any number).
    """
    started = time.perf_counter()
    s = generate(seed) if scenario is None else scenario
    intents = intents_for(s, seed)
    grids = category_grids(s, intents)
    with ExitStack() as stack:
        pool = None
        if jobs > 1:
            pool = stack.enter_context(
                ProcessPoolExecutor(jobs, initializer=_worker_init, initargs=(s, seed, intents))
            )
        search = _Search(s, seed, intents, grids, pool)
        per_category, best_run = search.joint_scan()
        search.coordinate(per_category)
        if best_run != per_category:
            search.coordinate(best_run)
    prices, point = search.best()
    ub, ub_tasks, _ = upper_bound(s, seed, intents)
    return Yardstick(
        seed=seed,
        market_class=market_class(seed),
        generator_version=GENERATOR_VERSION,
        yardstick_version=YARDSTICK_VERSION,
        scenario_sha256=scenario_hash(s),
        prices=prices,
        reference_nrlc=after_gas(s, point.revenue, point.gas_used, point.cancels),
        reference_tasks=point.tasks_served,
        upper_bound_nrlc=ub,
        upper_bound_tasks=ub_tasks,
        grids=tuple((c, tuple(g)) for c, g in sorted(grids.items())),
        runs=len(search.runs),
        elapsed_s=round(time.perf_counter() - started, 3),
    )


def cache_file(seed: int, cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    return cache_dir / f"gen-v{GENERATOR_VERSION}-y{YARDSTICK_VERSION}" / f"{seed}.json"


def load_or_compute(
    seed: int,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    scenario: Scenario | None = None,
    *,
    jobs: int = 1,
) -> Yardstick:
    """The cached reference of market ``seed`` if it is still valid, else computed and cached.

    Written atomically (a temporary file renamed), so parallel workers and an interrupted run
    never leave a half file; a stale or unreadable file is recomputed.
    """
    s = generate(seed) if scenario is None else scenario
    path = cache_file(seed, cache_dir)
    try:
        ys = Yardstick.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        ys = None
    if ys is not None and ys.scenario_sha256 == scenario_hash(s) and ys.seed == seed:
        return ys
    ys = compute_yardstick(seed, s, jobs=jobs)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(ys.to_json(), sort_keys=True) + "\n")
    os.replace(tmp, path)
    return ys

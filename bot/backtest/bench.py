"""The strategy benchmark: strategies on generated markets, scored against each market's yardstick.

``evaluate(strategy, params, seeds)`` is the plain function tuning calls: one score per market
(``bot.backtest.yardstick.score``: after-gas net revenue over the best fixed prices per category
in hindsight). ``bench(...)`` runs several strategies on the first N markets of a split in
parallel processes, appending every market's results to ``results.jsonl`` as they come, so an
interrupted run resumes where it stopped (a (strategy, params, seed, versions) already there is
not run again) and references are cached per market (``yardstick.load_or_compute``).
``summary_table`` reduces the results to one row per market class and strategy: markets, min,
p10, median and mean of the score, deadline misses, cancels and API requests (means per market).

Strategies run with their default parameters unless given; ``fixed`` with no parameters quotes
the market's own ``[bot.strategy]`` prices: the new owner's hand-set guess the generator draws.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from bot.backtest.engine import intents_for, simulate
from bot.backtest.yardstick import (
    DEFAULT_CACHE_DIR,
    YARDSTICK_VERSION,
    Yardstick,
    after_gas,
    load_or_compute,
    score,
)
from bot.sim.generator import (
    DAYS,
    GENERATOR_VERSION,
    MARKET_CLASSES,
    generate,
    market_class,
    split_of,
)
from bot.sim.scenario import Scenario

__all__ = [
    "STANDINGS_COLUMNS",
    "TABLE_COLUMNS",
    "MarketResult",
    "bench",
    "evaluate",
    "markdown_table",
    "params_key",
    "run_market",
    "standings",
    "strategy_specs",
    "summary_table",
    "write_outputs",
]

ALL: Final = "all"
TABLE_COLUMNS: Final = (
    "market_class",
    "strategy",
    "markets",
    "score_min",
    "score_p10",
    "score_median",
    "score_mean",
    "by_difference",
    "deadline_misses",
    "cancels",
    "api_requests",
)


@dataclass(frozen=True, slots=True)
class MarketResult:
    """One strategy on one generated market."""

    strategy: str
    params: str  # params_key(): canonical JSON, "{}" for the defaults
    seed: int
    market_class: str
    split: str
    score: float
    scored_by: str  # "ratio", or "difference" where the reference earns almost nothing
    revenue_nrlc: int  # net revenue after gas
    reference_nrlc: int
    upper_bound_nrlc: int
    tasks_served: int
    deadline_misses: int  # tasks not contributed before their deadline, no capacity drop to blame
    capacity_drop_misses: int
    cancels: int
    api_requests: int
    elapsed_s: float
    days: float
    generator_version: int = GENERATOR_VERSION
    yardstick_version: int = YARDSTICK_VERSION

    @property
    def key(self) -> tuple[str, str, int, float, int, int]:
        return (
            self.strategy,
            self.params,
            self.seed,
            self.days,
            self.generator_version,
            self.yardstick_version,
        )


def params_key(params: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(params or {}), sort_keys=True, separators=(",", ":"))


def _market(seed: int, days: float | None) -> Scenario:
    s = generate(seed)
    if days is not None:
        s = s.model_copy(update={"scenario": s.scenario.model_copy(update={"days": days})})
    return s


def _cache_dir(cache_dir: Path, days: float | None) -> Path:
    return cache_dir if days is None else cache_dir / f"days-{days:g}"


def run_market(
    seed: int,
    strategies: Sequence[tuple[str, Mapping[str, Any] | None]],
    *,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    days: float | None = None,
) -> list[MarketResult]:
    """Every strategy on market ``seed`` (its reference from the cache, or searched first).

    ``days`` shortens the market (quick looks and tests; the figures are not the benchmark's).
    """
    s = _market(seed, days)
    ys: Yardstick = load_or_compute(seed, _cache_dir(cache_dir, days), s)
    intents = intents_for(s, seed)
    out = []
    for name, params in strategies:
        run = simulate(s, name, params, seed, intents=intents, record=False)
        c = run.counters
        revenue = after_gas(s, run.net_revenue, c.gas_used, c.cancels)
        out.append(
            MarketResult(
                strategy=name,
                params=params_key(params),
                seed=seed,
                market_class=market_class(seed),
                split=split_of(seed),
                score=score(revenue, ys),
                scored_by="difference" if ys.low_reference else "ratio",
                revenue_nrlc=revenue,
                reference_nrlc=ys.reference_nrlc,
                upper_bound_nrlc=ys.upper_bound_nrlc,
                tasks_served=c.tasks_served,
                deadline_misses=c.tasks_failed_deadline,
                capacity_drop_misses=c.tasks_failed_capacity_drop,
                cancels=c.cancels,
                api_requests=c.api_requests,
                elapsed_s=round(run.elapsed_s, 3),
                days=s.scenario.days,
            )
        )
    return out


def _job(
    args: tuple[int, tuple[tuple[str, dict[str, Any] | None], ...], Path, float | None],
) -> list[MarketResult]:
    seed, strategies, cache_dir, days = args
    return run_market(seed, strategies, cache_dir=cache_dir, days=days)


def _run_all(
    jobs: list[tuple[int, tuple[tuple[str, dict[str, Any] | None], ...], Path, float | None]],
    workers: int,
    done: Callable[[list[MarketResult]], None],
) -> None:
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            done(_job(job))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_job, job) for job in jobs]
        for f in as_completed(futures):
            done(f.result())


def evaluate(
    strategy_name: str,
    params: Mapping[str, Any] | None,
    seeds: Sequence[int],
    *,
    workers: int = 1,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    days: float | None = None,
) -> list[MarketResult]:
    """``strategy_name`` with ``params`` on each market of ``seeds``: results in seed order.

    The score of a market is ``result.score``; references are cached (the first call on a market
    searches its reference: tens of runs; later calls cost one run per market).
    """
    import strategies

    strategies.get(strategy_name)  # an unknown name fails here, naming it
    spec = ((strategy_name, dict(params) if params is not None else None),)
    by_seed: dict[int, MarketResult] = {}

    def keep(results: list[MarketResult]) -> None:
        for r in results:
            by_seed[r.seed] = r

    _run_all([(s, spec, cache_dir, days) for s in seeds], workers, keep)
    return [by_seed[s] for s in seeds]


def _load_results(path: Path) -> list[MarketResult]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(MarketResult(**json.loads(line)))
        except (ValueError, TypeError):
            continue  # a line cut by an interruption: that market runs again
    return out


def bench(
    strategies: Sequence[tuple[str, Mapping[str, Any] | None]],
    seeds: Sequence[int],
    *,
    out_dir: Path,
    workers: int = 1,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    days: float | None = None,
    progress: Callable[[int, int, list[MarketResult]], None] | None = None,
) -> pd.DataFrame:
    """Run ``strategies`` on ``seeds`` (resuming from ``out_dir/results.jsonl``); all results."""
    import strategies as registry

    for name, _ in strategies:
        registry.get(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / "results.jsonl"
    results = {r.key: r for r in _load_results(log)}
    spec = tuple((n, dict(p) if p is not None else None) for n, p in strategies)
    span = DAYS if days is None else days
    todo = []
    for seed in seeds:
        missing = tuple(
            (n, p)
            for n, p in spec
            if (n, params_key(p), seed, span, GENERATOR_VERSION, YARDSTICK_VERSION) not in results
        )
        if missing:
            todo.append((seed, missing, cache_dir, days))
    finished = 0

    def keep(batch: list[MarketResult]) -> None:
        nonlocal finished
        with log.open("a") as fh:
            for r in batch:
                results[r.key] = r
                fh.write(json.dumps(asdict(r), sort_keys=True) + "\n")
        finished += 1
        if progress is not None:
            progress(finished, len(todo), batch)

    _run_all(todo, workers, keep)
    wanted = {(n, params_key(p)) for n, p in spec}
    chosen = set(seeds)
    rows = [
        asdict(r)
        for r in results.values()
        if (r.strategy, r.params) in wanted
        and r.seed in chosen
        and r.days == span
        and r.generator_version == GENERATOR_VERSION
        and r.yardstick_version == YARDSTICK_VERSION
    ]
    frame = pd.DataFrame(rows, columns=list(MarketResult.__dataclass_fields__))
    return frame.sort_values(["strategy", "params", "seed"]).reset_index(drop=True)


def _label(strategy: str, params: str) -> str:
    return strategy if params == "{}" else f"{strategy} {params}"


def summary_table(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (market class, strategy), then one per strategy over all classes."""
    rows: list[dict[str, Any]] = []
    frame = results.assign(
        label=[_label(s, p) for s, p in zip(results.strategy, results.params, strict=True)]
    )
    classes = set(frame.market_class)
    order = [c for c in MARKET_CLASSES if c in classes] + [ALL]
    for cls in order:
        part = frame if cls == ALL else frame[frame.market_class == cls]
        for label, g in part.groupby("label", sort=True):
            sc = g.score.astype(float)
            rows.append(
                {
                    "market_class": cls,
                    "strategy": label,
                    "markets": len(g),
                    "score_min": round(float(sc.min()), 3),
                    "score_p10": round(float(sc.quantile(0.1)), 3),
                    "score_median": round(float(sc.median()), 3),
                    "score_mean": round(float(sc.mean()), 3),
                    "by_difference": int((g.scored_by == "difference").sum()),
                    "deadline_misses": round(float(g.deadline_misses.mean()), 2),
                    "cancels": round(float(g.cancels.mean()), 1),
                    "api_requests": round(float(g.api_requests.mean()), 0),
                }
            )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


STANDINGS_COLUMNS: Final = ("strategy", "best_in", "worst_in", "at_reference_in", "weakest")


def standings(table: pd.DataFrame) -> pd.DataFrame:
    """Where each strategy wins and loses: one row per strategy, from ``summary_table``.

    ``best_in`` / ``worst_in``: the classes where its median score is the highest / lowest of
    the strategies in the table (ties count for each); ``at_reference_in``: the classes where its
    median is >= 1 (as good as the best fixed prices in hindsight); ``weakest``: its lowest
    class median. Classes, comma-separated, in the generator's order.
    """
    per_class = table[table.market_class != ALL]
    best: dict[str, list[str]] = {}
    worst: dict[str, list[str]] = {}
    for cls in [c for c in MARKET_CLASSES if c in set(per_class.market_class)]:
        part = per_class[per_class.market_class == cls]
        if part.strategy.nunique() < 2:
            continue
        for name in part[part.score_median == part.score_median.max()].strategy:
            best.setdefault(name, []).append(cls)
        for name in part[part.score_median == part.score_median.min()].strategy:
            worst.setdefault(name, []).append(cls)
    rows = []
    for name, g in per_class.groupby("strategy", sort=True):
        order = {c: i for i, c in enumerate(MARKET_CLASSES)}
        g = g.sort_values("market_class", key=lambda col: col.map(order))
        low = g.sort_values("score_median", kind="stable").iloc[0]
        rows.append(
            {
                "strategy": name,
                "best_in": ", ".join(best.get(str(name), [])) or "-",
                "worst_in": ", ".join(worst.get(str(name), [])) or "-",
                "at_reference_in": ", ".join(g[g.score_median >= 1.0].market_class) or "-",
                "weakest": f"{low.market_class} {low.score_median}",
            }
        )
    return pd.DataFrame(rows, columns=list(STANDINGS_COLUMNS))


def markdown_table(table: pd.DataFrame) -> str:
    """The table as GitHub markdown (no extra dependency)."""
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def write_outputs(results: pd.DataFrame, out_dir: Path, title: str) -> pd.DataFrame:
    """results.csv, table.csv, table.md, standings.md and scores.png in ``out_dir``; returns the
    table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = summary_table(results)
    results.to_csv(out_dir / "results.csv", index=False)
    table.to_csv(out_dir / "table.csv", index=False)
    (out_dir / "table.md").write_text(f"{title}\n\n" + markdown_table(table))
    (out_dir / "standings.md").write_text(f"{title}\n\n" + markdown_table(standings(table)))
    classes = list(dict.fromkeys(table.market_class))
    labels = sorted({_label(s, p) for s, p in zip(results.strategy, results.params, strict=True)})
    frame = results.assign(
        label=[_label(s, p) for s, p in zip(results.strategy, results.params, strict=True)]
    )
    ncols = 4
    nrows = -(-len(classes) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.8 * nrows), squeeze=False)
    for ax, cls in zip(axes.flat, classes, strict=False):
        part = frame if cls == ALL else frame[frame.market_class == cls]
        data = [
            part[part.label == lab].score.astype(float).clip(-1.0, 3.0).tolist() for lab in labels
        ]
        ax.boxplot(data, showmeans=True)
        ax.set_xticks(range(1, len(labels) + 1), labels, rotation=45, ha="right", fontsize=7)
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_title(f"{cls} ({len(part) // max(1, len(labels))} markets)", fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(classes) :]:
        ax.axis("off")
    fig.suptitle(
        f"{title}\nscore = strategy / best fixed prices per category in hindsight (1 = as good; clipped to [-1, 3])",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(out_dir / "scores.png", dpi=110)
    plt.close(fig)
    return table


def strategy_specs(names: Iterable[str]) -> list[tuple[str, Mapping[str, Any] | None]]:
    """Strategy names at their defaults (the CLI's ``--strategies``)."""
    return [(n, None) for n in names]

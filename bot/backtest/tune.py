"""``pricebot tune``: search a strategy's declared parameters with Optuna on train markets, then
report the chosen parameters on test markets, so that the overfit gap is in plain sight.

- **Search space**: the strategy's own ``ParamSpec`` bounds (:func:`search_space`). Prices and
  price steps (``unit="nRLC"``) are searched from a tenth of the rails floor (or of the default,
  if lower) up to the rails ceiling, integers and floats within their declared bounds, always
  including the default, on a log scale when the range spans two orders of magnitude or more;
  booleans and strings with choices as categories. Tables, lists, ``int|None`` and unbounded
  parameters keep their defaults (listed in the report as not searched).
- **Sampler and pruner**: TPE (seeded), and a median pruner with the train markets as steps: a
  trial whose running aggregate after k markets is below the median of earlier trials at k stops.
  Markets are always visited in the same order, so the steps are comparable.
- **Objective**: an aggregate of the per-market scores over the train markets (:data:`AGGREGATES`;
  default ``cvar50``, the mean of the worse half: a parameter set must hold up where it does
  worst, not win big on one market).
- **Study**: in SQLite in the output directory, so an interrupted or extended run resumes (the
  trial budget counts the trials already there); parallel workers are processes sharing it.
- **Markets and score**: generated markets (the generator's frozen train and test splits,
  :func:`generated_markets`) are scored by the strategy benchmark's yardstick
  (:class:`YardstickScore`, references cached per market in ``.cache/yardstick``); scenario files
  x seeds by :class:`RatioToBestFixed`: net revenue / the best fixed price's net revenue in
  hindsight over the scenario's ``[references] price_grid`` within the rails, cached in
  ``references.json``. Any callable ``(Market, strategy, params) -> float`` can stand in
  (:data:`Scorer`).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Final, Literal

from bot.domain.errors import InputError
from bot.sim.scenario import Scenario

__all__ = [
    "AGGREGATES",
    "GENERATED",
    "Dim",
    "Market",
    "RatioToBestFixed",
    "Scorer",
    "YardstickScore",
    "aggregate",
    "generated_markets",
    "markets_of",
    "params_toml",
    "search_space",
    "tune",
]

Aggregate = Literal["mean", "cvar50", "min"]
AGGREGATES: tuple[Aggregate, ...] = ("mean", "cvar50", "min")


GENERATED: Final = "generated"
"""``Market.scenario`` of a market drawn by the generator (``bot.sim.generator``) from its seed."""


@dataclass(frozen=True, slots=True)
class Market:
    """One market to score on: a scenario file (or :data:`GENERATED`) and a seed, optionally
    shortened to ``days``."""

    scenario: str
    seed: int
    days: float | None = None

    @property
    def generated(self) -> bool:
        return self.scenario == GENERATED

    @property
    def key(self) -> str:
        if self.generated:
            from bot.sim.generator import GENERATOR_VERSION, market_class

            head = f"gen-v{GENERATOR_VERSION}/{market_class(self.seed)}"
        else:
            head = Path(self.scenario).stem
        return f"{head}/seed{self.seed}" + (f"/{self.days:g}d" if self.days is not None else "")


Scorer = Callable[[Market, str, Mapping[str, Any]], float]
"""Scores one strategy with one parameter set on one market (higher is better)."""


def generated_markets(
    split: Literal["train", "test"],
    n: int,
    days: float | None = None,
    classes: Sequence[str] | None = None,
) -> list[Market]:
    """The first ``n`` markets of the generator's frozen ``split`` (class-balanced by seed)."""
    from bot.sim.generator import split_seeds

    seeds = split_seeds(split, n, classes=tuple(classes)) if classes else split_seeds(split, n)
    return [Market(GENERATED, seed, days) for seed in seeds]


def markets_of(
    scenarios: Sequence[str | Path], seeds: Sequence[int], days: float | None
) -> list[Market]:
    """Every scenario x seed, scenarios outer (the order the pruner's steps follow)."""
    return [Market(str(s), seed, days) for s in scenarios for seed in seeds]


@lru_cache(maxsize=64)
def _scenario(market: Market) -> Scenario:
    from bot.backtest import prepare_scenario

    if market.generated:
        from bot.sim.generator import generate

        return prepare_scenario(generate(market.seed), market.days)
    return prepare_scenario(market.scenario, market.days)


def _best_fixed_revenue(market: Market) -> int:
    from bot.backtest.references import best_fixed

    best, _ = best_fixed(_scenario(market), market.seed)
    return best.revenue


def _net_revenue(market: Market, strategy: str, params: Mapping[str, Any]) -> int:
    from bot.backtest.engine import simulate

    return simulate(_scenario(market), strategy, params, market.seed, record=False).net_revenue


@dataclass(frozen=True, slots=True)
class RatioToBestFixed:
    """Net revenue over the best fixed price's in hindsight (the backtest's ratio_to_best_fixed).

    ``references`` maps :attr:`Market.key` to that reference revenue; a market whose reference
    earns nothing scores 1.0 when the strategy earns nothing either or more, else 0.0.
    """

    references: Mapping[str, int]
    description: ClassVar[str] = (
        "net revenue / the best fixed price's net revenue in hindsight (same market)"
    )

    def __call__(self, market: Market, strategy: str, params: Mapping[str, Any]) -> float:
        ref = self.references[market.key]
        net = _net_revenue(market, strategy, params)
        if ref <= 0:
            return 1.0 if net >= 0 else 0.0
        return net / ref

    @classmethod
    def build(cls, markets: Sequence[Market], cache: Path | None, jobs: int) -> RatioToBestFixed:
        """References for ``markets``, from ``cache`` (a JSON file) where already computed."""
        known: dict[str, int] = {}
        if cache is not None and cache.exists():
            known = {k: int(v) for k, v in json.loads(cache.read_text()).items()}
        todo = [m for m in dict.fromkeys(markets) if m.key not in known]

        def keep(market: Market, revenue: int) -> None:  # each as it comes: an interrupted
            known[market.key] = revenue  # run resumes with the references it had
            if cache is not None:
                cache.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")

        if jobs > 1 and len(todo) > 1:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for market, revenue in zip(todo, pool.map(_best_fixed_revenue, todo), strict=True):
                    keep(market, revenue)
        else:
            for market in todo:
                keep(market, _best_fixed_revenue(market))
        return cls(dict(known))


def _yardstick(args: tuple[Market, str]) -> None:
    from bot.backtest.bench import run_market

    market, cache = args
    run_market(market.seed, [], cache_dir=Path(cache), days=market.days)  # the reference only


@dataclass(frozen=True, slots=True)
class YardstickScore:
    """The strategy benchmark's score of a generated market (``bot.backtest.bench``): net
    revenue after gas / the best fixed prices per category in hindsight, or 1 + (strategy -
    reference) / upper bound where that reference earns almost nothing. References are cached
    per (generator version, yardstick version, seed) in ``cache_dir``."""

    cache_dir: str
    description: ClassVar[str] = (
        "the benchmark's yardstick score (bot.backtest.bench): after-gas net revenue / best fixed"
        " prices per category in hindsight"
    )

    def __call__(self, market: Market, strategy: str, params: Mapping[str, Any]) -> float:
        from bot.backtest.bench import run_market

        if not market.generated:
            raise InputError("--markets", "the yardstick scores generated markets only", market.key)
        got = run_market(
            market.seed, [(strategy, params)], cache_dir=Path(self.cache_dir), days=market.days
        )
        return got[0].score

    @classmethod
    def build(cls, markets: Sequence[Market], cache_dir: Path, jobs: int) -> YardstickScore:
        """Search the references the cache lacks first (tens of runs each), in parallel."""
        work = [(m, str(cache_dir)) for m in dict.fromkeys(markets)]
        if jobs > 1 and len(work) > 1:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                list(pool.map(_yardstick, work))
        else:
            for item in work:
                _yardstick(item)
        return cls(str(cache_dir))


def aggregate(scores: Sequence[float], kind: Aggregate) -> float:
    """``mean``; ``cvar50``: the mean of the worse half (rounded up); ``min``: the worst."""
    if not scores:
        raise ValueError("no scores to aggregate")
    if kind == "mean":
        return statistics.fmean(scores)
    if kind == "min":
        return min(scores)
    worst = sorted(scores)[: math.ceil(len(scores) / 2)]
    return statistics.fmean(worst)


# --------------------------------------------------------------------------- the search space


@dataclass(frozen=True, slots=True)
class Dim:
    """One searched parameter: ``int`` / ``float`` within [low, high], or one of ``choices``."""

    name: str
    kind: Literal["int", "float", "categorical"]
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[Any, ...] = ()


def search_space(
    strategy: str, floor: int, ceiling: int, only: Sequence[str] | None = None
) -> tuple[list[Dim], list[str]]:
    """The searched dimensions of ``strategy`` and the names of the parameters left at default.

    Prices (``unit="nRLC"``) are searched within [min(floor, default) / 10, ceiling] of the rails
    intersected with the declared bounds; every range includes the default; a range of 100x or
    more is searched on a log scale.
    """
    import strategies

    specs = strategies.get(strategy).param_specs()
    known = {s.name for s in specs}
    for name in only or ():
        if name not in known:
            raise InputError("--only", f"not a parameter of '{strategy}'; known: {sorted(known)}")
    dims: list[Dim] = []
    skipped: list[str] = []
    for spec in specs:
        if only and spec.name not in only:
            skipped.append(spec.name)
            continue
        if spec.kind == "bool":
            dims.append(Dim(spec.name, "categorical", choices=(False, True)))
            continue
        if spec.kind == "str" and spec.choices:
            dims.append(Dim(spec.name, "categorical", choices=tuple(spec.choices)))
            continue
        if spec.kind not in ("int", "float") or spec.min is None or spec.max is None:
            skipped.append(spec.name)
            continue
        low, high = float(spec.min), float(spec.max)
        default = spec.default if isinstance(spec.default, int | float) else None
        if spec.unit == "nRLC":
            # Prices and price steps: up to the rails' ceiling, down to a tenth of the floor or
            # of the default (a step is small), on a log scale.
            lowest = min(floor, default) if default else floor
            low, high = max(low, lowest / 10, 1.0), min(high, float(ceiling))
        if default is not None:  # the default is always inside (it is trial 0)
            low, high = min(low, float(default)), max(high, float(default))
        if low >= high:
            skipped.append(spec.name)
            continue
        log = low > 0 and high / low >= 100
        dims.append(Dim(spec.name, "int" if spec.kind == "int" else "float", low, high, log))
    return dims, skipped


def _suggest(trial: Any, dims: Sequence[Dim]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in dims:
        if d.kind == "categorical":
            out[d.name] = trial.suggest_categorical(d.name, list(d.choices))
        elif d.kind == "int":
            out[d.name] = trial.suggest_int(d.name, int(d.low), int(d.high), log=d.log)
        else:
            out[d.name] = trial.suggest_float(d.name, d.low, d.high, log=d.log)
    return out


# --------------------------------------------------------------------------- the study


@dataclass(frozen=True, slots=True)
class _Job:
    storage: str
    study: str
    strategy: str
    dims: tuple[Dim, ...]
    train: tuple[Market, ...]
    scorer: Scorer
    kind: Aggregate
    trials: int
    seed: int


def _objective(job: _Job) -> Callable[[Any], float]:
    import optuna

    def objective(trial: optuna.Trial) -> float:
        params = _suggest(trial, job.dims)
        scores: list[float] = []
        for step, market in enumerate(job.train):
            scores.append(job.scorer(market, job.strategy, params))
            trial.set_user_attr(f"score:{market.key}", scores[-1])
            value = aggregate(scores, job.kind)
            trial.report(value, step)
            if step < len(job.train) - 1 and trial.should_prune():  # a finished trial counts
                raise optuna.TrialPruned()
        return aggregate(scores, job.kind)

    return objective


def _worker(job: _Job) -> int:
    """One process's share: trials until the study holds ``job.trials`` finished ones."""
    import logging

    import optuna
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("pricebot").addHandler(logging.NullHandler())
    study = optuna.load_study(
        study_name=job.study,
        storage=job.storage,
        sampler=optuna.samplers.TPESampler(seed=job.seed),
        pruner=_pruner(),
    )
    done = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    left = job.trials - len(study.get_trials(deepcopy=False, states=done))
    if left <= 0:
        return 0
    study.optimize(
        _objective(job),
        n_trials=left,
        callbacks=[MaxTrialsCallback(job.trials, states=done)],
        catch=(InputError,),  # a parameter set the strategy refuses: a failed trial, not a crash
    )
    return left


def _pruner() -> Any:
    import optuna

    # Not before 4 trials have finished, never on the first market.
    return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1)


def _evaluate(args: tuple[Scorer, Market, str, dict[str, Any]]) -> float:
    import logging

    logging.getLogger("pricebot").addHandler(logging.NullHandler())
    scorer, market, strategy, params = args
    return scorer(market, strategy, params)


def _scores(
    scorer: Scorer,
    markets: Sequence[Market],
    strategy: str,
    params: dict[str, Any],
    jobs: int,
) -> dict[str, float]:
    work = [(scorer, m, strategy, params) for m in markets]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            found = list(pool.map(_evaluate, work))
    else:
        found = [_evaluate(w) for w in work]
    return {m.key: round(v, 4) for m, v in zip(markets, found, strict=True)}


def params_toml(strategy: str, params: Mapping[str, Any], comment: str) -> str:
    """A ``[strategy]`` snippet for a config file (config/example.toml's layout)."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += ["[strategy]", f'name = "{strategy}"', "", "[strategy.params]"]
    for key, value in sorted(params.items()):
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = repr(value)
        else:
            text = json.dumps(str(value))
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def tune(
    strategy: str,
    train: Sequence[Market],
    test: Sequence[Market],
    out: Path,
    *,
    trials: int = 40,
    seed: int = 1,
    jobs: int = 1,
    kind: Aggregate = "cvar50",
    only: Sequence[str] | None = None,
    scorer: Scorer | None = None,
    cache_dir: Path | None = None,
    command: str = "",
) -> dict[str, Any]:
    """Run (or resume) the study in ``out`` and write ``tune.json`` and ``params.toml`` there.

    Returns the report: the chosen parameters and the strategy's defaults, each with its
    per-market scores and aggregate on the train and on the test markets, the overfit gap
    (train - test aggregate of the chosen parameters) and the gain over the defaults per split.
    """
    import optuna
    from optuna.trial import TrialState

    from bot.backtest.engine import bot_config

    if not train or not test:
        raise InputError(
            "--train-seeds/--test-seeds", "need at least one train and one test market"
        )
    overlap = {m.key for m in train} & {m.key for m in test}
    if overlap:
        raise InputError("--test-seeds", "a market is both train and test", sorted(overlap))
    if kind not in AGGREGATES:
        raise InputError("--aggregate", f"must be one of {', '.join(AGGREGATES)}", kind)
    if trials < 1:
        raise InputError("--trials", "must be >= 1", trials)
    cfg = bot_config(_scenario(train[0]), strategy)
    dims, skipped = search_space(strategy, cfg.rails.floor, cfg.rails.ceiling, only)
    if not dims:
        raise InputError("strategy.name", "declares no parameter that can be searched", strategy)
    out.mkdir(parents=True, exist_ok=True)
    generated = {m.generated for m in [*train, *test]}
    if scorer is None and generated == {True}:
        from bot.backtest.yardstick import DEFAULT_CACHE_DIR

        scorer = YardstickScore.build([*train, *test], cache_dir or DEFAULT_CACHE_DIR, jobs)
    elif scorer is None and generated == {False}:
        scorer = RatioToBestFixed.build([*train, *test], out / "references.json", jobs)
    elif scorer is None:
        raise InputError("--markets/--scenario", "tune on generated markets or on scenario files")
    if isinstance(scorer, RatioToBestFixed | YardstickScore):
        description = scorer.description
    else:
        description = (scorer.__doc__ or repr(scorer)).strip().splitlines()[0]
    storage = f"sqlite:///{out / 'study.sqlite3'}"
    name = f"tune-{strategy}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    setup = {
        "strategy": strategy,
        "train": [m.key for m in train],
        "aggregate": kind,
        "space": [asdict(d) for d in dims],
    }
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        load_if_exists=True,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=_pruner(),
    )
    recorded = study.user_attrs.get("setup")
    if recorded is None:
        study.set_user_attr("setup", json.loads(json.dumps(setup)))
        import strategies as registry

        specs = {s.name: s for s in registry.get(strategy).param_specs()}
        study.enqueue_trial({d.name: specs[d.name].default for d in dims})  # defaults first
    elif recorded != json.loads(json.dumps(setup)):
        raise InputError(
            "--out",
            "holds a study of another setup (strategy, train markets, aggregate or space);"
            " use a new directory",
        )
    finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    resumed = len(study.get_trials(deepcopy=False, states=finished))
    job = _Job(storage, name, strategy, tuple(dims), tuple(train), scorer, kind, trials, seed)
    waiting = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
    if jobs > 1 and waiting:
        # The enqueued defaults first, in this process: two workers on SQLite may both take
        # the same waiting trial.
        _worker(replace(job, trials=min(trials, resumed + waiting)))
    if jobs > 1:
        workers = [
            _Job(storage, name, strategy, tuple(dims), tuple(train), scorer, kind, trials, seed + i)
            for i in range(jobs)
        ]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(_worker, workers))
    else:
        _worker(job)
    study = optuna.load_study(study_name=name, storage=storage)
    states = [t.state for t in study.trials]
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    if not complete:
        raise InputError("--trials", "no trial completed (every one failed or was pruned)")
    best = study.best_trial
    chosen = {**best.params}
    default_params: dict[str, Any] = {}
    sets = {"chosen": chosen, "default": default_params}
    report: dict[str, Any] = {
        "strategy": strategy,
        "seed": seed,
        "trials_requested": trials,
        "trials": {
            "total": len(states),
            "complete": states.count(TrialState.COMPLETE),
            "pruned": states.count(TrialState.PRUNED),
            "failed": states.count(TrialState.FAIL),
            "resumed_from": resumed,
        },
        "aggregate": kind,
        "score": description,
        "space": [asdict(d) for d in dims],
        "not_searched": skipped,
        "train_markets": [m.key for m in train],
        "test_markets": [m.key for m in test],
        "best_trial": best.number,
        "chosen_params": chosen,
        "command": command,
    }
    for label, params in sets.items():
        for split, markets in (("train", train), ("test", test)):
            per = _scores(scorer, markets, strategy, params, jobs)
            report[f"{label}_{split}"] = {
                "aggregate": round(aggregate(list(per.values()), kind), 4),
                "mean": round(statistics.fmean(per.values()), 4),
                "min": round(min(per.values()), 4),
                "per_market": per,
            }
    report["overfit_gap"] = round(
        report["chosen_train"]["aggregate"] - report["chosen_test"]["aggregate"], 4
    )
    # The gap above mixes overfitting with how hard each split happens to be; the gain over the
    # defaults on each split does not: tuning helped only if the test gain is positive.
    report["gain_over_default"] = {
        split: round(
            report[f"chosen_{split}"]["aggregate"] - report[f"default_{split}"]["aggregate"], 4
        )
        for split in ("train", "test")
    }
    report = json.loads(json.dumps(report))  # as written: lists, not tuples
    (out / "tune.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    comment = (
        f"pricebot tune {strategy}: {kind} of the score per market, "
        f"train {report['chosen_train']['aggregate']} ({len(train)} markets), "
        f"test {report['chosen_test']['aggregate']} ({len(test)} markets; defaults: "
        f"{report['default_test']['aggregate']}); seed {seed}, {len(states)} trials"
        + (f"\n{command}" if command else "")
    )
    (out / "params.toml").write_text(params_toml(strategy, chosen, comment))
    return report

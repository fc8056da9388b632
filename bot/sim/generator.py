"""A market generator: 3-day scenarios drawn from a documented distribution, by seed.

The shipped scenarios (config/scenarios/) are few and every strategy was tuned on them. To know
how a strategy does on markets it has never seen, ``generate(seed)`` draws a whole market (our
pool, categories, competitors, requesters, events) from the distribution described, parameter by
parameter with its range and whether it is sourced or assumed, in docs/generator.md. Each seed
belongs to one named market class (``market_class(seed)``: the class index is ``seed`` modulo
the number of classes, so any block of consecutive seeds is class-balanced) and the seeds are
split once, here, into a train range and a test range (``split_seeds``): tune
on train, report test.

FROZEN: the distribution and the split were committed before any tuning. Changing what any seed
draws needs ``GENERATOR_VERSION`` bumped (cached references are keyed on it) and a note in
docs/generator.md.

Pure: the standard library, ``bot.domain.networks`` and the scenario model; every draw comes from one
``random.Random`` seeded by (GENERATOR_VERSION, seed), in a fixed order.
"""

from __future__ import annotations

import math
import random
from typing import Any, Final

from bot.domain.networks import STANDARD_CATEGORIES
from bot.sim.scenario import Scenario, parse_scenario

__all__ = [
    "DAYS",
    "GENERATOR_VERSION",
    "MARKET_CLASSES",
    "STEP_S",
    "TEST_SEEDS",
    "TRAIN_SEEDS",
    "generate",
    "market_class",
    "split_of",
    "split_seeds",
]

GENERATOR_VERSION: Final = 1

DAYS: Final = 3.0
STEP_S: Final = 60.0  # the bot reprices once a step: schedule.reprice_seconds' default

# The named market classes, in the order that maps seeds to them (seed % len).
MARKET_CLASSES: Final[tuple[str, ...]] = (
    "stationary",  # fixed competitors, steady demand, normal capacity
    "ample",  # demand far below our capacity
    "scarcity",  # demand well above what we and the competitors can serve
    "undercut_fast",  # an undercutter repricing faster than our step
    "undercut_slow",  # an undercutter repricing slower than our step
    "random_walk",  # competitors whose prices wander
    "churn",  # competitors entering and leaving at random
    "captive_us",  # requesters naming our pool, waiting in the request book
    "surge",  # demand surges for a few hours
    "collapse",  # demand collapses and stays down
    "rival_leaves",  # a cheap, big rival leaves the market (regime shift)
    "capacity_drop",  # our pool loses workers for a while
    "publishers",  # most paying demand posts requests and waits (never self-matches)
)

# The frozen split: disjoint ranges; each is class-balanced in every block of len(MARKET_CLASSES).
TRAIN_SEEDS: Final = range(1_000, 101_000)
TEST_SEEDS: Final = range(1_000_000, 1_100_000)

_REFS = {c.id: c.work_clock_time_ref for c in STANDARD_CATEGORIES}
_XS = 0


def market_class(seed: int) -> str:
    """The named class a seed's market is drawn from."""
    return MARKET_CLASSES[seed % len(MARKET_CLASSES)]


def split_of(seed: int) -> str:
    """``train``, ``test`` or ``none`` (a seed outside both frozen ranges)."""
    if seed in TRAIN_SEEDS:
        return "train"
    if seed in TEST_SEEDS:
        return "test"
    return "none"


def _first(seeds: range, n: int, classes: tuple[str, ...] | None) -> list[int]:
    if n < 0 or n > len(seeds):
        raise ValueError(f"n must be in [0, {len(seeds)}], got {n}")
    if classes is None:
        return list(seeds[:n])
    unknown = set(classes) - set(MARKET_CLASSES)
    if unknown:
        raise ValueError(f"unknown market classes {sorted(unknown)}; known: {MARKET_CLASSES}")
    out = [s for s in seeds[: n * len(MARKET_CLASSES)] if market_class(s) in classes]
    return out[:n]


def split_seeds(split: str, n: int, classes: tuple[str, ...] | None = None) -> list[int]:
    """The first ``n`` seeds of ``split`` (``train``: tune on these; ``test``: report these),
    of ``classes`` only when given. (Not ``test_seeds``: pytest would collect that name.)"""
    if split == "train":
        return _first(TRAIN_SEEDS, n, classes)
    if split == "test":
        return _first(TEST_SEEDS, n, classes)
    raise ValueError(f"split must be 'train' or 'test', got {split!r}")


# --------------------------------------------------------------------------- draws


def _logu(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _nrlc(x: float) -> int:
    """A price in nRLC, rounded to 3 significant digits (readable scenarios), at least 1."""
    if x < 1:
        return 1
    unit: int = 10 ** max(0, math.floor(math.log10(x)) - 2)
    return max(1, round(x / unit) * unit)


class _Draw:
    """The market being drawn: one rng, the common base, then the class's features."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.cls = market_class(seed)
        self.rng = random.Random(f"pricebot-generator:v{GENERATOR_VERSION}:{seed}")
        self.competitors: list[dict[str, Any]] = []
        self.requesters: list[dict[str, Any]] = []

    # -- base ------------------------------------------------------------------------------

    def base(self) -> None:
        rng = self.rng
        k = rng.choices((1, 2, 3), weights=(0.4, 0.35, 0.25))[0]
        self.cats = [_XS, *sorted(rng.sample((1, 2, 3, 4), k - 1))]
        # Task durations: lognormal, median a share of the category's time reference.
        self.durations: dict[int, dict[str, float]] = {}
        self.mean_s: dict[int, float] = {}
        for c in self.cats:
            ref = _REFS[c]
            share = rng.uniform(0.3, 0.8) if c == _XS else rng.uniform(0.15, 0.45)
            median = round(ref * share)
            sigma = round(rng.uniform(0.3, 0.7), 2)
            self.durations[c] = {
                "median_s": median,
                "sigma": sigma,
                "min_s": max(1, median // 10),
                "max_s": 2 * ref,
            }
            self.mean_s[c] = median * math.exp(sigma * sigma / 2)
        self.workers = rng.randint(1, 4)
        self.slots_per_worker = rng.choice((1, 2))
        self.slots = self.workers * self.slots_per_worker
        # The market's price level per category: XS log-uniform 0.005-0.1 RLC, longer tasks dearer.
        p0 = _logu(rng, 5e6, 1e8)
        beta = rng.uniform(0.7, 1.0)
        self.level = {c: p0 * (_REFS[c] / _REFS[_XS]) ** beta for c in self.cats}
        # Paying contestable load (all paying demand, served by us alone) over our capacity.
        self.load = _logu(rng, 0.3, 1.2)
        shares = [rng.uniform(0.4, 0.8) if c == _XS else rng.uniform(0.1, 0.4) for c in self.cats]
        total = sum(shares)
        self.share = {c: s / total for c, s in zip(self.cats, shares, strict=True)}
        self.daily = round(rng.uniform(0.0, 0.4), 2)
        self.taker_share = rng.uniform(0.5, 0.8)
        self.publisher_share = rng.uniform(0.05, 0.25) if rng.random() < 0.5 else 0.0
        self.campaigns = rng.random() < 0.3
        self.n_fixed = {c: rng.randint(1, 3) for c in self.cats}
        self.guess = {c: self.level[c] * _logu(rng, 0.5, 2.0) for c in self.cats}

    def rate(self, c: int) -> float:
        """Paying contestable tasks per minute in category ``c`` for the drawn load."""
        return self.load * self.share[c] * self.slots * 60.0 / self.mean_s[c]

    # -- agents ----------------------------------------------------------------------------

    def fixed_competitors(self) -> None:
        rng = self.rng
        for c in self.cats:
            for j in range(self.n_fixed[c]):
                self.competitors.append(
                    {
                        "name": f"fixed-c{c}-{j}",
                        "kind": "fixed",
                        "category": c,
                        "price": _nrlc(self.level[c] * _logu(rng, 0.5, 2.0)),
                        "volume": rng.randint(1, 3),
                        "period_s": rng.choice((300, 600, 900, 1800, 3600)),
                    }
                )

    def demand(self, surges: list[dict[str, float]] | None = None) -> None:
        """Every category's requester populations (the common mix)."""
        rng = self.rng
        ev = {"surges": surges} if surges else {}
        for c in self.cats:
            lam = self.rate(c)
            p = self.level[c]
            paying = {
                "taker": self.taker_share,
                "capped": 1.0 - self.taker_share,
                "publisher": self.publisher_share,
            }
            norm = sum(paying.values())
            wtp = {"kind": "loguniform", "low": _nrlc(p / 4), "high": _nrlc(p * 8)}
            self.requesters.append(
                {
                    "name": f"takers-c{c}",
                    "kind": "taker",
                    "category": c,
                    "rate_per_min": round(lam * paying["taker"] / norm, 6),
                    "max_price": wtp,
                    "daily_amplitude": self.daily,
                    **ev,
                }
            )
            self.requesters.append(
                {
                    "name": f"capped-c{c}",
                    "kind": "capped",
                    "category": c,
                    "rate_per_min": round(lam * paying["capped"] / norm, 6),
                    "max_price": {
                        "kind": "choice",
                        "values": [_nrlc(p / 3), _nrlc(p * 3), _nrlc(p * 30)],
                        "weights": [0.2, 0.5, 0.3],
                    },
                    "daily_amplitude": self.daily,
                    **ev,
                }
            )
            if paying["publisher"] > 0:
                self.publishers(c, lam * paying["publisher"] / norm, ev)
            if self.campaigns:  # bursts of 10-200 XS tasks; fewer, longer tasks elsewhere
                high = max(10, round(200 * math.sqrt(_REFS[_XS] / _REFS[c])))
                self.requesters.append(
                    {
                        "name": f"campaign-c{c}",
                        "kind": "taker",
                        "category": c,
                        "rate_per_min": round(1.0 / (60.0 * rng.uniform(6.0, 24.0)), 6),
                        "max_price": {
                            "kind": "loguniform",
                            "low": _nrlc(p / 2),
                            "high": _nrlc(p * 4),
                        },
                        "volume": {"low": max(2, high // 20), "high": high, "log": True},
                        **ev,
                    }
                )
            self.requesters.append(
                {
                    "name": f"free-c{c}",
                    "kind": "free_only",
                    "category": c,
                    "rate_per_min": round(lam * rng.uniform(0.25, 1.0), 6),
                    "max_price": {"kind": "fixed", "value": 0},
                }
            )
            # Demand captive to one of the category's fixed competitors (it uses their volume).
            target = f"fixed-c{c}-{rng.randrange(self.n_fixed[c])}"
            self.requesters.append(
                {
                    "name": f"captive-other-c{c}",
                    "kind": "captive",
                    "category": c,
                    "target": target,
                    "rate_per_min": round(lam * rng.uniform(0.0, 1.0), 6),
                    "max_price": {"kind": "loguniform", "low": _nrlc(p), "high": _nrlc(p * 5)},
                }
            )

    def publishers(self, c: int, rate: float, ev: dict[str, Any], name: str = "") -> None:
        p = self.level[c]
        self.requesters.append(
            {
                "name": name or f"publishers-c{c}",
                "kind": "publisher",
                "category": c,
                "rate_per_min": round(rate, 6),
                "max_price": {"kind": "loguniform", "low": _nrlc(p / 4), "high": _nrlc(p * 8)},
                "patience_s": round(3600 * _logu(self.rng, 1.0, 12.0)),
                "daily_amplitude": self.daily,
                **ev,
            }
        )

    def undercutter(self, name: str, c: int, period_s: float) -> None:
        rng = self.rng
        p = self.level[c]
        self.competitors.append(
            {
                "name": name,
                "kind": "undercut",
                "category": c,
                "floor": _nrlc(p * _logu(rng, 0.2, 0.8)),
                "ceiling": _nrlc(p * rng.uniform(1.5, 3.0)),
                "step": _nrlc(p * rng.uniform(0.005, 0.03)),
                "reset": rng.random() < 0.6,
                "volume": rng.randint(1, 3),
                "period_s": round(period_s),
            }
        )

    def random_walker(self, name: str, c: int, **extra: Any) -> None:
        rng = self.rng
        p = self.level[c]
        self.competitors.append(
            {
                "name": name,
                "kind": "random_walk",
                "category": c,
                "start": _nrlc(p * _logu(rng, 0.5, 2.0)),
                "floor": _nrlc(p / 4),
                "ceiling": _nrlc(p * 4),
                "sigma": round(rng.uniform(0.02, 0.1), 3),
                "volume": rng.randint(1, 3),
                "period_s": rng.choice((300, 600, 900, 1800)),
                **extra,
            }
        )

    # -- classes ---------------------------------------------------------------------------

    def target_category(self) -> int:
        """The category a class's feature lands in: mostly XS, where demand is."""
        return _XS if self.rng.random() < 0.6 else self.rng.choice(self.cats)

    def apply_class(self) -> dict[str, Any]:
        """Draw the class's features; returns extra pool settings (capacity changes)."""
        rng = self.rng
        pool: dict[str, Any] = {}
        cls = self.cls
        hours = DAYS * 24
        if cls == "ample":
            self.load = _logu(rng, 0.03, 0.2)
        elif cls == "scarcity":
            self.load = rng.uniform(2.0, 4.0)
            self.n_fixed = dict.fromkeys(self.cats, 1)
        self.fixed_competitors()
        if cls == "scarcity":  # competitors sell little: one task per long period
            for comp in self.competitors:
                comp["volume"], comp["period_s"] = 1, rng.choice((1800, 3600))
        surges: list[dict[str, float]] = []
        if cls in ("undercut_fast", "undercut_slow"):
            c = self.target_category()
            # The fixed pools there sit at or above the level: the undercutters fight us, not them.
            for comp in self.competitors:
                if comp["category"] == c:
                    comp["price"] = _nrlc(self.level[c] * _logu(rng, 1.0, 2.0))
            fast = cls == "undercut_fast"
            for j in range(rng.randint(1, 2)):
                period = rng.uniform(15.0, 45.0) if fast else rng.uniform(300.0, 3600.0)
                self.undercutter(f"{cls.replace('_', '-')}-{j}", c, period)
        elif cls == "random_walk":
            for j in range(rng.randint(1, 3)):
                self.random_walker(f"walker-{j}", self.target_category())
        elif cls == "churn":
            for j in range(rng.randint(1, 3)):
                c = self.target_category()
                on, off = round(rng.uniform(4, 24), 1), round(rng.uniform(4, 24), 1)
                if rng.random() < 0.5:
                    self.random_walker(f"churner-{j}", c, mean_on_h=on, mean_off_h=off)
                else:
                    self.competitors.append(
                        {
                            "name": f"churner-{j}",
                            "kind": "fixed",
                            "category": c,
                            "price": _nrlc(self.level[c] * _logu(rng, 0.3, 1.5)),
                            "volume": rng.randint(1, 5),
                            "period_s": 300,
                            "mean_on_h": on,
                            "mean_off_h": off,
                        }
                    )
        elif cls == "surge":
            for _ in range(rng.randint(1, 3)):
                start = rng.uniform(0.0, hours - 8.0)
                surges.append(
                    {
                        "start_h": round(start, 2),
                        "end_h": round(start + rng.uniform(2.0, 8.0), 2),
                        "multiplier": round(rng.uniform(3.0, 10.0), 2),
                    }
                )
            surges.sort(key=lambda s: s["start_h"])
        elif cls == "collapse":
            surges.append(
                {
                    "start_h": round(rng.uniform(12.0, 48.0), 2),
                    "end_h": hours,
                    "multiplier": round(rng.uniform(0.05, 0.3), 3),
                }
            )
        elif cls == "rival_leaves":
            c = self.target_category()
            self.competitors.append(
                {
                    "name": "cheap-rival",
                    "kind": "fixed",
                    "category": c,
                    "price": _nrlc(self.level[c] * rng.uniform(0.3, 0.6)),
                    "volume": rng.randint(5, 20),
                    "period_s": 300,
                    "windows_h": [[0.0, round(rng.uniform(12.0, 48.0), 2)]],
                }
            )
        elif cls == "capacity_drop":
            self.workers = max(2, self.workers)  # one worker has nothing to lose but all
            self.slots = self.workers * self.slots_per_worker
            at = rng.uniform(6.0, 48.0)
            changes = [
                {
                    "at_h": round(at, 2),
                    "workers": max(1, round(self.workers * rng.uniform(0.0, 0.5))),
                }
            ]
            if rng.random() < 0.6:
                back = min(hours - 1.0, at + rng.uniform(6.0, 24.0))
                changes.append({"at_h": round(back, 2), "workers": self.workers})
            pool["capacity_changes"] = changes
        elif cls == "publishers":
            self.publisher_share = rng.uniform(1.0, 4.0)  # 50-80 % of paying demand
        self.demand(surges=surges)
        if cls == "captive_us":
            for c in self.cats:
                p = self.level[c]
                self.requesters.append(
                    {
                        "name": f"captive-us-c{c}",
                        "kind": "captive",
                        "category": c,
                        "target": "us",
                        "rate_per_min": round(self.rate(c) * rng.uniform(0.3, 1.0), 6),
                        "max_price": {
                            "kind": "loguniform",
                            "low": _nrlc(p * 2),
                            "high": _nrlc(p * 10),
                        },
                        "patience_s": round(3600 * rng.uniform(0.25, 2.0)),
                    }
                )
        return pool

    def scenario(self) -> Scenario:
        self.base()
        pool_extra = self.apply_class()
        prices = [self.level[c] for c in self.cats]
        floor = max(100_000, _nrlc(min(prices) / 20))
        ceiling = _nrlc(max(prices) * 20)
        max_lock = ceiling * 30 // 100
        doc: dict[str, Any] = {
            "scenario": {
                "name": f"gen-v{GENERATOR_VERSION}-{self.cls}-{self.seed}",
                "description": (
                    f"Generated market (generator v{GENERATOR_VERSION}), class {self.cls}: "
                    f"categories {self.cats}, {self.slots} slots, paying load "
                    f"{self.load:.2f} x capacity, XS price level {self.level[_XS] / 1e9:.4f} RLC."
                ),
                "days": DAYS,
                "step_s": STEP_S,
                "seed": self.seed,
            },
            "pool": {
                "workers": self.workers,
                "slots_per_worker": self.slots_per_worker,
                "stake_nrlc": max(1_000 * 10**9, 4 * self.slots * max_lock),
                "failure_rate": 0.002,
                "durations": {str(c): d for c, d in self.durations.items()},
                "categories": self.cats,
                **pool_extra,
            },
            "competitors": self.competitors,
            "requesters": self.requesters,
            "bot": {
                "strategy": {
                    "name": "fixed",
                    "params": {"prices": {str(c): _nrlc(self.guess[c]) for c in self.cats}},
                },
                "offers": [
                    {
                        "category": c,
                        "task_seconds": max(1, round(self.mean_s[c])),
                        "max_volume": 2 * self.slots,
                    }
                    for c in self.cats
                ],
                "rails": {"floor": floor, "ceiling": ceiling, "max_volume": 1000},
            },
            "sources": {
                "generator": f"bot.sim.generator v{GENERATOR_VERSION}, seed {self.seed}",
                "distribution": "docs/generator.md (sourced vs assumed, parameter by parameter)",
            },
        }
        return parse_scenario(doc, f"generated market {self.seed}")


def generate(seed: int) -> Scenario:
    """The market of ``seed``: a validated 3-day :class:`Scenario`, the same for the same seed."""
    return _Draw(seed).scenario()

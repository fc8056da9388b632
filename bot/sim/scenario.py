"""Backtest scenarios: a TOML file, validated by pydantic, turned into agent models.

Unknown keys are refused and every error names its key path (``requesters[2].max_price.low``), so a
typo never silently becomes a default. Prices are integer nRLC (TOML floats such as ``1e7`` are
accepted when whole). Times inside a scenario are hours since its start unless the key says ``_s``.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.domain.errors import InputError
from bot.domain.model import ZERO_ADDRESS, parse_tag
from bot.domain.networks import STANDARD_CATEGORIES
from bot.sim.agents import (
    EnteringLeaving,
    FixedCompetitor,
    IntDist,
    PriceDist,
    RandomWalkCompetitor,
    RequesterModel,
    UndercutCompetitor,
)

__all__ = [
    "DEFAULT_RLC_PER_ETH",
    "GAS_BASIS",
    "OUR_OWNER",
    "OUR_POOL",
    "CapacityChange",
    "ChainFaults",
    "CompetitorConfig",
    "Costs",
    "Duration",
    "DurationChange",
    "FaultRates",
    "Faults",
    "PoolConfig",
    "PriceDistConfig",
    "References",
    "RequesterConfig",
    "Scenario",
    "ScenarioMeta",
    "Surge",
    "VolumeConfig",
    "apply_override",
    "load_scenario",
    "parse_scenario",
    "pool_address",
    "requester_address",
    "scenario_hash",
]

OUR_POOL = "0x" + "e1" * 20
# anvil's well-known account #0: the owner key the simulated signer stands for.
OUR_OWNER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
HOUR_S = 3600.0

NonNegInt = Annotated[int, Field(ge=0)]

# Assumed, not sourced: ETH about 3,000 USD and RLC about 1 USD (2025 orders of magnitude).
DEFAULT_RLC_PER_ETH = 3_000.0
GAS_BASIS = (
    "gas_used x costs.gas_price_wei (default 0.01 gwei, Arbitrum One's documented L2 price floor;"
    " the L1 data fee is ignored) converted at costs.rlc_per_eth (default 3000: assumed)"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def pool_address(name: str) -> str:
    """A stable made-up address for a named simulated pool (or requester)."""
    return "0x" + hashlib.blake2b(name.encode(), digest_size=20).hexdigest()


def requester_address(name: str) -> str:
    return pool_address("requester:" + name)


def _tag(value: Any) -> int:
    return parse_tag(value, "tag")


class ScenarioMeta(_Strict):
    name: str
    description: str = ""
    days: Annotated[float, Field(gt=0, le=366)] = 30.0
    step_s: Annotated[float, Field(gt=0)] = 60.0
    start: float = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    seed: int = 1
    # The market's own events do not depend on what our bot does (bot.sim.market_sim, "common
    # random numbers"): rivals reprice at their own due times and each of our tasks draws its run
    # time from a stream of its own. Off (generator v1, every golden): a tick's API and
    # transaction latency moves the rivals' next repricing, and run times are drawn in start order.
    common_random_numbers: bool = False


class Duration(_Strict):
    """Lognormal task duration, clipped."""

    median_s: float = Field(gt=0)
    sigma: Annotated[float, Field(ge=0)] = 0.5
    min_s: Annotated[float, Field(gt=0)] = 1.0
    max_s: Annotated[float, Field(gt=0)] = 1e9

    @model_validator(mode="after")
    def _order(self) -> Duration:
        if self.min_s > self.max_s:
            raise ValueError("min_s must be <= max_s")
        return self


class CapacityChange(_Strict):
    at_h: float = Field(ge=0)
    workers: NonNegInt


class DurationChange(_Strict):
    """From ``at_h`` on, ``category``'s task durations drift to a new lognormal distribution.

    Over ``ramp_h`` hours (0: a step) median, sigma and clip bounds move linearly from the
    distribution in force at ``at_h`` to this one; ``sigma``, ``min_s`` and ``max_s`` left out
    keep their values from the distribution in force.
    """

    at_h: float = Field(ge=0)
    category: NonNegInt
    ramp_h: Annotated[float, Field(ge=0)] = 0.0
    median_s: float = Field(gt=0)
    sigma: Annotated[float, Field(ge=0)] | None = None
    min_s: Annotated[float, Field(gt=0)] | None = None
    max_s: Annotated[float, Field(gt=0)] | None = None

    def applied_to(self, d: Duration) -> Duration:
        """The distribution this change ends on, starting from ``d``."""
        return Duration(
            median_s=self.median_s,
            sigma=d.sigma if self.sigma is None else self.sigma,
            min_s=d.min_s if self.min_s is None else self.min_s,
            max_s=d.max_s if self.max_s is None else self.max_s,
        )


def _between(a: Duration, b: Duration, f: float) -> Duration:
    """``a`` moved a share ``f`` of the way to ``b`` (linearly; both valid, so is the result)."""
    return Duration.model_construct(
        median_s=a.median_s + f * (b.median_s - a.median_s),
        sigma=a.sigma + f * (b.sigma - a.sigma),
        min_s=a.min_s + f * (b.min_s - a.min_s),
        max_s=a.max_s + f * (b.max_s - a.max_s),
    )


class PoolConfig(_Strict):
    """Our pool: workers x slots, durations per category, stake, what we quote."""

    workers: Annotated[int, Field(ge=0)] = 4
    slots_per_worker: Annotated[int, Field(ge=1)] = 2
    stake_nrlc: NonNegInt = 1_000 * 10**9
    failure_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    durations: dict[str, Duration] = Field(default_factory=dict)
    capacity_changes: list[CapacityChange] = Field(default_factory=list)
    duration_changes: list[DurationChange] = Field(default_factory=list)
    categories: list[NonNegInt] = Field(default_factory=lambda: [0])
    tag: Any = 0
    trust: NonNegInt = 0

    @field_validator("durations")
    @classmethod
    def _keys(cls, v: dict[str, Duration]) -> dict[str, Duration]:
        for key in v:
            if not key.isdigit():
                raise ValueError(f"keys are category ids, got {key!r}")
        return v

    @field_validator("tag")
    @classmethod
    def _tag_ok(cls, v: Any) -> int:
        return _tag(v)

    @model_validator(mode="after")
    def _drift_in_order(self) -> PoolConfig:
        ends: dict[int, float] = {}
        reached: dict[int, Duration] = {}
        refs = {c.id: c.work_clock_time_ref for c in STANDARD_CATEGORIES}
        for i, c in enumerate(self.duration_changes):
            if c.at_h < ends.get(c.category, 0.0):
                raise ValueError(
                    f"duration_changes[{i}]: a category's changes must be in time order, each"
                    " at_h at or after the previous one's at_h + ramp_h"
                )
            ends[c.category] = c.at_h + c.ramp_h
            d = reached.get(c.category) or self.duration(c.category, refs.get(c.category, 3600))
            min_s = d.min_s if c.min_s is None else c.min_s
            max_s = d.max_s if c.max_s is None else c.max_s
            if min_s > max_s:
                raise ValueError(f"duration_changes[{i}]: min_s must be <= max_s")
            reached[c.category] = c.applied_to(d)
        return self

    def duration(self, category: int, work_clock_time_ref: int) -> Duration:
        """Configured, else 30 % of the category's time reference (calibration guess)."""
        found = self.durations.get(str(category))
        if found is not None:
            return found
        median = 0.3 * work_clock_time_ref
        return Duration(median_s=median, sigma=0.5, min_s=median / 10, max_s=work_clock_time_ref)

    def duration_at(self, category: int, work_clock_time_ref: int, at_h: float) -> Duration:
        """The distribution of a task of ``category`` started ``at_h`` hours into the run."""
        d = self.duration(category, work_clock_time_ref)
        for c in self.duration_changes:
            if c.category != category:
                continue
            if at_h < c.at_h:
                break
            target = c.applied_to(d)
            if c.ramp_h > 0 and at_h < c.at_h + c.ramp_h:
                return _between(d, target, (at_h - c.at_h) / c.ramp_h)
            d = target
        return d


class Costs(_Strict):
    """What actions cost: latency in simulated seconds, API requests, gas.

    Gas is paid in ETH by the gas wallet; the report converts it to nRLC at ``rlc_per_eth`` (an
    assumption, see docs/backtesting.md) unless ``cancel_cost_nrlc`` states the cost per cancel.
    """

    api_latency_s: Annotated[float, Field(ge=0)] = 0.2
    tx_latency_s: Annotated[float, Field(ge=0)] = 2.0
    gas_per_cancel: NonNegInt = 70_000
    gas_price_wei: NonNegInt = 10_000_000  # 0.01 gwei: Arbitrum One's documented L2 price floor
    requests_per_write: Annotated[int, Field(ge=1)] = 2  # GET /challenge + the write
    page_size: Annotated[int, Field(ge=10, le=1000)] = 1000
    rlc_per_eth: Annotated[float, Field(gt=0, le=1e9)] = DEFAULT_RLC_PER_ETH
    cancel_cost_nrlc: NonNegInt | None = None

    @property
    def nrlc_per_eth(self) -> int:
        return round(self.rlc_per_eth * 10**9)

    def gas_cost_nrlc(self, gas_used: int, cancels: int) -> int:
        """What the run's cancels cost in nRLC (floor), from gas or from the stated figure."""
        if self.cancel_cost_nrlc is not None:
            return cancels * self.cancel_cost_nrlc
        return gas_used * self.gas_price_wei * self.nrlc_per_eth // 10**18

    @property
    def per_cancel_nrlc(self) -> int:
        return self.gas_cost_nrlc(self.gas_per_cancel, 1)

    def gas_assumption(self) -> dict[str, Any]:
        """The figures behind ``gas_cost_nrlc``, for the summary (which of them is assumed)."""
        if self.cancel_cost_nrlc is not None:
            return {
                "cancel_cost_nrlc": self.cancel_cost_nrlc,
                "basis": "costs.cancel_cost_nrlc, stated by the scenario",
            }
        return {
            "gas_per_cancel": self.gas_per_cancel,
            "gas_price_wei": self.gas_price_wei,
            "rlc_per_eth": self.rlc_per_eth,
            "cancel_cost_nrlc": self.per_cancel_nrlc,
            "basis": GAS_BASIS,
        }


class FaultRates(_Strict):
    """Per-request probabilities that one HTTP exchange fails, by kind (they add up to <= 1)."""

    rate_limited: Annotated[float, Field(ge=0, le=1)] = 0.0  # HTTP 429 with Retry-After
    server_error: Annotated[float, Field(ge=0, le=1)] = 0.0  # HTTP 5xx
    timeout: Annotated[float, Field(ge=0, le=1)] = 0.0  # no answer within the client's timeout

    @model_validator(mode="after")
    def _sum(self) -> FaultRates:
        if self.total > 1:
            raise ValueError("rate_limited + server_error + timeout must be <= 1")
        return self

    @property
    def total(self) -> float:
        return self.rate_limited + self.server_error + self.timeout


class ChainFaults(_Strict):
    """Chain RPC failures: per JSON-RPC read attempt, and per cancel transaction."""

    read_error: Annotated[float, Field(ge=0, le=1)] = 0.0
    cancel_error: Annotated[float, Field(ge=0, le=1)] = 0.0
    cancel_mined_anyway: Annotated[float, Field(ge=0, le=1)] = 0.5


class Faults(_Strict):
    """Optional, seeded failures of the simulated marketplace, chain and core (default: none).

    Each port call is emulated as the live adapter makes it: up to ``attempts`` tries, a 429
    waiting its ``retry_after_s``, a 5xx or a timeout a jittered exponential backoff from
    ``backoff_s``; only when every try failed does the bot see the error, with the type the live
    adapter raises. A write that failed with a 5xx or a timeout was applied by the server anyway
    with probability ``write_applied_share`` (the client cannot know). Independent failures are
    mostly absorbed by those retries; outages (Poisson starts, exponential lengths of mean
    ``outage_mean_s``) are what the bot really sees: every try fails until the outage ends.
    """

    seed: int = 0
    attempts: Annotated[int, Field(ge=1, le=20)] = 4
    retry_after_s: Annotated[float, Field(ge=0)] = 5.0
    timeout_s: Annotated[float, Field(ge=0)] = 10.0
    backoff_s: Annotated[float, Field(ge=0)] = 0.5
    max_backoff_s: Annotated[float, Field(ge=0)] = 8.0
    receipt_timeout_s: Annotated[float, Field(ge=0)] = 300.0
    market_reads: FaultRates = FaultRates()
    market_writes: FaultRates = FaultRates()
    write_applied_share: Annotated[float, Field(ge=0, le=1)] = 0.5
    pool_metrics: Annotated[float, Field(ge=0, le=1)] = 0.0
    chain: ChainFaults = ChainFaults()
    market_outages_per_day: Annotated[float, Field(ge=0)] = 0.0
    chain_outages_per_day: Annotated[float, Field(ge=0)] = 0.0
    outage_mean_s: Annotated[float, Field(gt=0)] = 900.0

    @property
    def enabled(self) -> bool:
        return bool(
            self.market_reads.total
            or self.market_writes.total
            or self.pool_metrics
            or self.chain.read_error
            or self.chain.cancel_error
            or self.market_outages_per_day
            or self.chain_outages_per_day
        )


class CompetitorConfig(_Strict):
    """One competing order stream. Several entries with the same ``pool`` are one pool's orders."""

    name: str
    pool: str | None = None
    kind: Literal["fixed", "undercut", "random_walk"]
    category: NonNegInt = 0
    price: NonNegInt | None = None
    start: NonNegInt | None = None
    floor: NonNegInt = 0
    ceiling: NonNegInt | None = None
    step: Annotated[int, Field(ge=1)] = 1
    sigma: Annotated[float, Field(ge=0)] = 0.05
    volume: Annotated[int, Field(ge=1)] = 1
    tag: Any = 0
    trust: NonNegInt = 0
    period_s: Annotated[float, Field(gt=0)] = 300.0
    requester_restrict: str | None = None
    windows_h: list[tuple[float, float]] = Field(default_factory=list)
    mean_on_h: Annotated[float, Field(ge=0)] = 0.0
    mean_off_h: Annotated[float, Field(ge=0)] = 0.0
    reset: bool = True  # undercut: at the floor jump back to the ceiling (False: stay at the floor)

    @field_validator("tag")
    @classmethod
    def _tag_ok(cls, v: Any) -> int:
        return _tag(v)

    @model_validator(mode="after")
    def _kind_fields(self) -> CompetitorConfig:
        if self.kind == "fixed" and self.price is None:
            raise ValueError("a fixed competitor needs price")
        if self.kind in ("undercut", "random_walk") and self.ceiling is None:
            raise ValueError(f"a {self.kind} competitor needs ceiling")
        if self.kind == "random_walk" and self.start is None:
            raise ValueError("a random_walk competitor needs start")
        if self.ceiling is not None and self.floor > self.ceiling:
            raise ValueError("floor must be <= ceiling")
        return self

    @property
    def pool_name(self) -> str:
        return self.pool or self.name

    def build(
        self, origin: float
    ) -> FixedCompetitor | UndercutCompetitor | RandomWalkCompetitor | EnteringLeaving:
        pool = pool_address(self.pool_name)
        inner: FixedCompetitor | UndercutCompetitor | RandomWalkCompetitor
        if self.kind == "fixed":
            assert self.price is not None
            inner = FixedCompetitor(
                pool=pool,
                category=self.category,
                price=self.price,
                volume=self.volume,
                tag=self.tag,
                trust=self.trust,
                requesterrestrict=(
                    requester_address(self.requester_restrict)
                    if self.requester_restrict
                    else ZERO_ADDRESS
                ),
                period_s=self.period_s,
            )
        elif self.kind == "undercut":
            assert self.ceiling is not None
            inner = UndercutCompetitor(
                pool=pool,
                category=self.category,
                floor=self.floor,
                ceiling=self.ceiling,
                step=self.step,
                volume=self.volume,
                tag=self.tag,
                trust=self.trust,
                period_s=self.period_s,
                reset=self.reset,
            )
        else:
            assert self.ceiling is not None and self.start is not None
            inner = RandomWalkCompetitor(
                pool=pool,
                category=self.category,
                start=self.start,
                floor=self.floor,
                ceiling=self.ceiling,
                sigma=self.sigma,
                volume=self.volume,
                tag=self.tag,
                trust=self.trust,
                period_s=self.period_s,
            )
        if self.windows_h or (self.mean_on_h and self.mean_off_h):
            return EnteringLeaving(
                inner,
                origin=origin,
                windows=tuple((a * HOUR_S, b * HOUR_S) for a, b in self.windows_h),
                mean_on_s=self.mean_on_h * HOUR_S,
                mean_off_s=self.mean_off_h * HOUR_S,
            )
        return inner


class PriceDistConfig(_Strict):
    kind: Literal["fixed", "uniform", "loguniform", "choice"] = "fixed"
    value: NonNegInt = 0
    low: NonNegInt = 0
    high: NonNegInt = 0
    values: list[NonNegInt] = Field(default_factory=list)
    weights: list[float] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> PriceDistConfig:
        self.build()
        return self

    def build(self) -> PriceDist:
        try:
            return PriceDist(
                self.kind, self.value, self.low, self.high, tuple(self.values), tuple(self.weights)
            )
        except InputError as exc:
            raise ValueError(exc.rule) from exc


class VolumeConfig(_Strict):
    low: Annotated[int, Field(ge=1)] = 1
    high: Annotated[int, Field(ge=1)] = 1
    log: bool = False

    @model_validator(mode="after")
    def _check(self) -> VolumeConfig:
        if self.low > self.high:
            raise ValueError("low must be <= high")
        return self


class Surge(_Strict):
    start_h: float = Field(ge=0)
    end_h: float = Field(gt=0)
    multiplier: float = Field(ge=0)


class RequesterConfig(_Strict):
    name: str
    kind: Literal["captive", "free_only", "taker", "capped", "publisher"]
    category: NonNegInt = 0
    rate_per_min: float = Field(ge=0)
    max_price: PriceDistConfig = PriceDistConfig()
    volume: VolumeConfig = VolumeConfig()
    tag: Any = 0
    trust: NonNegInt = 0
    target: str | None = None  # "us" or a competitor's name, for captives
    daily_amplitude: Annotated[float, Field(ge=0, le=1)] = 0.0
    surges: list[Surge] = Field(default_factory=list)
    patience_s: Annotated[float, Field(ge=0)] = 0.0
    adversarial_share: Annotated[float, Field(ge=0, le=1)] = 0.0

    @field_validator("tag")
    @classmethod
    def _tag_ok(cls, v: Any) -> int:
        return _tag(v)

    @model_validator(mode="after")
    def _kind_fields(self) -> RequesterConfig:
        if self.kind == "captive" and not self.target:
            raise ValueError("a captive requester needs target ('us' or a competitor name)")
        if self.kind != "captive" and self.target:
            raise ValueError("only captive requesters have a target")
        if self.kind == "free_only" and self.max_price.build().maximum != 0:
            raise ValueError("a free_only requester has max_price 0")
        if self.kind == "publisher" and self.patience_s <= 0:
            raise ValueError("a publisher waits in the request book: patience_s must be > 0")
        return self

    def build(self, origin: float) -> RequesterModel:
        target = ZERO_ADDRESS
        if self.target:
            target = OUR_POOL if self.target == "us" else pool_address(self.target)
        return RequesterModel(
            name=self.name,
            kind=self.kind,
            category=self.category,
            rate_per_min=self.rate_per_min,
            max_price=self.max_price.build(),
            volume=IntDist(self.volume.low, self.volume.high, self.volume.log),
            tag=self.tag,
            trust=self.trust,
            target_pool=target,
            requester=requester_address(self.name),
            app=pool_address("app:" + self.name),
            daily_amplitude=self.daily_amplitude,
            surges=tuple((s.start_h * HOUR_S, s.end_h * HOUR_S, s.multiplier) for s in self.surges),
            patience_s=self.patience_s,
            adversarial_share=self.adversarial_share,
            origin=origin,
        )


class References(_Strict):
    """How the hindsight references are searched (prices outside the rails are skipped)."""

    price_grid: list[NonNegInt] = Field(
        default_factory=lambda: [
            1_000_000,
            5_000_000,
            10_000_000,
            25_000_000,
            50_000_000,
            100_000_000,
            250_000_000,
            1_000_000_000,
        ]
    )


class Scenario(_Strict):
    """A whole scenario file. ``bot`` is handed to the bot's own config loader unchanged."""

    scenario: ScenarioMeta
    pool: PoolConfig = PoolConfig()
    costs: Costs = Costs()
    competitors: list[CompetitorConfig] = Field(default_factory=list)
    requesters: list[RequesterConfig] = Field(default_factory=list)
    references: References = References()
    faults: Faults = Faults()
    bot: dict[str, Any] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross(self) -> Scenario:
        names = [c.name for c in self.competitors]
        if len(set(names)) != len(names):
            raise ValueError("competitor names must be unique")
        pools = {c.pool_name for c in self.competitors}
        requesters = [r.name for r in self.requesters]
        if len(set(requesters)) != len(requesters):
            raise ValueError("requester names must be unique")
        for r in self.requesters:
            if r.target and r.target != "us" and r.target not in pools:
                raise ValueError(f"requester {r.name!r}: target {r.target!r} is not a pool")
        for c in self.competitors:
            if c.requester_restrict and c.requester_restrict not in requesters:
                raise ValueError(
                    f"competitor {c.name!r}: requester_restrict {c.requester_restrict!r}"
                    " is not a requester"
                )
        return self

    @property
    def origin(self) -> float:
        return self.scenario.start

    @property
    def end(self) -> float:
        return self.scenario.start + self.scenario.days * 86_400.0


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-after") or part.startswith("function-"):
            continue
        else:
            out += ("." if out else "") + part
    return out or "scenario"


def parse_scenario(data: dict[str, Any], source: str = "scenario") -> Scenario:
    """Validate a parsed TOML document; the first error becomes an InputError naming its key."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise InputError(f"{source}: {_loc(tuple(err['loc']))}", msg) from exc


def apply_override(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` (dotted; a list item by index or by its ``name``) in a raw scenario document.

    ``competitors.prod-paid.price`` or ``competitors[2].price`` or ``pool.workers``: how a
    sensitivity sweep moves one figure (the calibration's unknown P_prod) without editing files.
    """
    parts = [p for p in path.replace("[", ".").replace("]", "").split(".") if p]
    if not parts:
        raise InputError("--set", "must look like PATH=VALUE", path)
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if part.isdigit() and int(part) < len(node):
                index = int(part)
            else:
                names = [item.get("name") if isinstance(item, dict) else None for item in node]
                if part not in names:
                    raise InputError("--set", f"{path}: no list item named or numbered {part!r}")
                index = names.index(part)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        else:
            raise InputError("--set", f"{path}: {part!r} is inside a value, not a table")


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, apply ``overrides`` (see :func:`apply_override`), validate."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError as exc:
        raise InputError("--scenario", "file not found", str(p)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(p), f"not valid TOML: {exc}") from exc
    for key, value in (overrides or {}).items():
        apply_override(data, key, value)
    return parse_scenario(data, p.name)


def scenario_hash(scenario: Scenario) -> str:
    """Hash of the validated content (comments and key order do not change it).

    Keys added after scenarios were first hashed are left out while they hold their defaults,
    so a scenario that does not use them keeps its hash (and old sweep manifests stay valid).
    """
    exclude: dict[str, Any] = {}
    costs = {
        k
        for k in ("rlc_per_eth", "cancel_cost_nrlc")
        if getattr(scenario.costs, k) == Costs.model_fields[k].default
    }
    if costs:
        exclude["costs"] = costs
    if scenario.faults == Faults():
        exclude["faults"] = True
    if not scenario.pool.duration_changes:
        exclude["pool"] = {"duration_changes"}
    if all(c.reset for c in scenario.competitors):
        exclude["competitors"] = {"__all__": {"reset"}}
    if not scenario.scenario.common_random_numbers:
        exclude["scenario"] = {"common_random_numbers"}
    blob = scenario.model_dump_json(exclude=exclude or None).encode()
    return hashlib.sha256(blob).hexdigest()

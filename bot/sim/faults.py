"""Seeded failures of the simulated marketplace, chain and core, as the live adapters surface them.

A backtest without faults never exercises what keeps the live bot safe when its inputs fail: the
samplers' last-good values and staleness, the rails' kill switch, the executor's failed steps and
the journal that keeps tracking a signed order whose publish or cancel went wrong. With a
``[faults]`` table (``bot.sim.scenario.Faults``) the simulator's ports are replaced by the
subclasses below, which emulate each call as the live adapter makes it:

- **marketplace** (``bot.adapters.market_api``): up to ``attempts`` HTTP tries; a 429 holds for
  its ``Retry-After``, a 5xx or a timeout backs off (jittered exponential); every try counts
  against the API budget and costs simulated time (a timeout costs ``timeout_s``). Publish and
  unpublish are idempotent there, so they are retried like reads; a failed write try was applied
  by the server anyway with probability ``write_applied_share``. When every try failed the bot
  sees ``RateLimited`` (429) or ``TransientError`` (5xx, timeout), as from the live client.
- **chain reads** (``bot.adapters.chain_rpc``): fast failures (5xx, refused: the RPC pool fails
  over) retried up to ``attempts`` times, then ``TransientError``. ``owner()`` is never failed:
  the executor reads it outside any error handling, where the live service's job handler (not
  the backtest loop) would skip the tick.
- **cancels** (``bot.adapters.chain_wallet``): a failed cancel either never left (the RPC was
  down: fast, no gas) or was mined while the wallet could not see its receipt (it waited
  ``receipt_timeout_s``, gas paid, the order closed); both raise ``TransientError``.
- **core /metrics** (``bot.adapters.core_metrics``): a failed read raises ``TransientError``.
- **outages**: windows (Poisson starts, exponential lengths) in which every marketplace try
  answers 5xx, or every RPC call fails; independent faults are mostly absorbed by the retries,
  outages are what makes data stale and writes fail.

Without a ``[faults]`` table none of this is installed: the hot path has no extra check.
The draws come from their own generator, so the demand stream is the same with or without faults.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

from bot.domain.errors import RateLimited, TransientError
from bot.domain.model import (
    BookEntry,
    ChainOrderStatus,
    Deal,
    OwnOrder,
    PoolUtilization,
    RequestOrderView,
    SignedWorkerpoolOrder,
    Stake,
)
from bot.engine.ports import BookQuery, CancelOutcome
from bot.sim.market_sim import MarketSim, SimChain, SimMarket, SimPoolMetrics
from bot.sim.scenario import FaultRates, Faults

__all__ = [
    "FAULT_COUNTERS",
    "FaultInjector",
    "FaultyChain",
    "FaultyMarket",
    "FaultyPoolMetrics",
    "install_faults",
    "outage_windows",
]

T = TypeVar("T")

FAULT_COUNTERS = (
    "market_read_429",
    "market_read_5xx",
    "market_read_timeout",
    "market_read_outage",
    "market_write_429",
    "market_write_5xx",
    "market_write_timeout",
    "market_write_outage",
    "market_writes_applied_despite_error",
    "chain_read_error",
    "cancel_error",
    "cancel_mined_despite_error",
    "pool_metrics_error",
    "calls_retried_ok",
    "surfaced_market_read",
    "surfaced_market_write",
    "surfaced_chain_read",
    "surfaced_cancel",
    "surfaced_pool_metrics",
)


class FaultInjector:
    """The seeded draws and the adapter-like retry loop shared by the faulty ports."""

    def __init__(self, sim: MarketSim, faults: Faults, seed: int) -> None:
        self.sim = sim
        self.cfg = faults
        self.rng = random.Random(f"{seed}:faults:{faults.seed}")
        self.counts: dict[str, int] = dict.fromkeys(FAULT_COUNTERS, 0)
        sim.counters.faults = self.counts
        start, end = sim.scenario.origin, sim.scenario.end
        self.market_down = outage_windows(
            faults.market_outages_per_day,
            faults.outage_mean_s,
            start,
            end,
            f"{seed}:{faults.seed}:m",
        )
        self.chain_down = outage_windows(
            faults.chain_outages_per_day,
            faults.outage_mean_s,
            start,
            end,
            f"{seed}:{faults.seed}:c",
        )
        self.counts["market_outages"] = len(self.market_down)
        self.counts["market_down_s"] = round(sum(b - a for a, b in self.market_down))
        self.counts["chain_outages"] = len(self.chain_down)
        self.counts["chain_down_s"] = round(sum(b - a for a, b in self.chain_down))
        self._market_starts = [a for a, _ in self.market_down]
        self._chain_starts = [a for a, _ in self.chain_down]

    def market_is_down(self) -> bool:
        return _inside(self.market_down, self._market_starts, self.sim.clock.t)

    def chain_is_down(self) -> bool:
        return _inside(self.chain_down, self._chain_starts, self.sim.clock.t)

    def _kind(self, rates: FaultRates) -> str | None:
        u = self.rng.random()
        if u < rates.rate_limited:
            return "429"
        u -= rates.rate_limited
        if u < rates.server_error:
            return "5xx"
        u -= rates.server_error
        if u < rates.timeout:
            return "timeout"
        return None

    def _backoff(self, attempt: int) -> float:
        cfg = self.cfg
        return self.rng.uniform(0.0, min(cfg.max_backoff_s, cfg.backoff_s * 2**attempt))

    def market_call(
        self,
        where: str,
        op: Callable[[], T],
        *,
        write: bool = False,
        apply: Callable[[], None] | None = None,
    ) -> T:
        """``op`` as the market client runs it: tries, waits, then the live error types."""
        cfg = self.cfg
        sim = self.sim
        clock = sim.clock
        rates = cfg.market_writes if write else cfg.market_reads
        side = "write" if write else "read"
        requests = sim.costs.requests_per_write if write else 1
        error: TransientError | None = None
        for attempt in range(cfg.attempts):
            down = self.market_is_down()
            kind = "5xx" if down else self._kind(rates)
            if kind is None:
                if attempt:
                    self.counts["calls_retried_ok"] += 1
                return op()
            self.counts[f"market_{side}_{'outage' if down else kind}"] += 1
            sim.counters.count_api(clock.t, requests)
            if kind == "timeout":
                clock.t += cfg.timeout_s
                error = TransientError(f"{where}: timed out (simulated, {cfg.timeout_s:g} s)")
            else:
                clock.t += sim.costs.api_latency_s
                if kind == "429":
                    error = RateLimited(
                        f"{where}: HTTP 429: rate limited (simulated)",
                        retry_after=cfg.retry_after_s,
                    )
                else:
                    error = TransientError(f"{where}: HTTP 503: simulated server error")
            if (
                write
                and not down
                and kind != "429"
                and apply is not None
                and self.rng.random() < cfg.write_applied_share
            ):
                apply()  # the server did it; the answer was lost
                self.counts["market_writes_applied_despite_error"] += 1
            if attempt + 1 < cfg.attempts:
                clock.t += cfg.retry_after_s if kind == "429" else self._backoff(attempt)
        self.counts[f"surfaced_market_{side}"] += 1
        assert error is not None
        raise error

    def chain_read(self, what: str, op: Callable[[], T]) -> T:
        cfg = self.cfg
        clock = self.sim.clock
        for attempt in range(cfg.attempts):
            if not self.chain_is_down() and self.rng.random() >= cfg.chain.read_error:
                if attempt:
                    self.counts["calls_retried_ok"] += 1
                return op()
            self.counts["chain_read_error"] += 1
            clock.t += self.sim.costs.api_latency_s
            if attempt + 1 < cfg.attempts:
                clock.t += self._backoff(attempt)
        self.counts["surfaced_chain_read"] += 1
        raise TransientError(f"{what}: HTTP 503 from the RPC (simulated, every RPC failed)")


class FaultyMarket(SimMarket):
    """``SimMarket`` behind the market client's failure modes."""

    def __init__(self, sim: MarketSim, faults: FaultInjector) -> None:
        super().__init__(sim)
        self.faults = faults

    def workerpool_orders(self, query: BookQuery) -> list[BookEntry]:
        return self.faults.market_call(
            "GET /workerpoolorders", lambda: SimMarket.workerpool_orders(self, query)
        )

    def workerpool_order(self, order_hash: str) -> BookEntry | None:
        return self.faults.market_call(
            "GET /workerpoolorders/{hash}", lambda: SimMarket.workerpool_order(self, order_hash)
        )

    def our_orders(self, workerpool: str) -> list[OwnOrder]:
        return self.faults.market_call(
            "GET /workerpoolorders?workerpool", lambda: SimMarket.our_orders(self, workerpool)
        )

    def request_orders(
        self, category: int | None = None, workerpool: str | None = None
    ) -> list[RequestOrderView]:
        return self.faults.market_call(
            "GET /requestorders", lambda: SimMarket.request_orders(self, category, workerpool)
        )

    def deals(self, workerpool: str, since: float | None = None) -> list[Deal]:
        return self.faults.market_call(
            "GET /deals", lambda: SimMarket.deals(self, workerpool, since)
        )

    def publish(self, signed: SignedWorkerpoolOrder) -> str:
        sim = self.sim

        def apply() -> None:
            sim.publish(signed)

        return self.faults.market_call(
            "POST /workerpoolorders",
            lambda: SimMarket.publish(self, signed),
            write=True,
            apply=apply,
        )

    def unpublish(self, order_hash: str) -> None:
        sim = self.sim
        self.faults.market_call(
            "PUT /workerpoolorders",
            lambda: SimMarket.unpublish(self, order_hash),
            write=True,
            apply=lambda: sim.unpublish(order_hash),
        )

    def unpublish_all(self, workerpool: str) -> list[str]:
        sim = self.sim

        def apply() -> None:
            for o in sim.own_valid():
                if o.published:
                    sim.unpublish(o.entry.order_hash)

        return self.faults.market_call(
            "PUT /workerpoolorders",
            lambda: SimMarket.unpublish_all(self, workerpool),
            write=True,
            apply=apply,
        )


class FaultyChain(SimChain):
    """``SimChain`` behind the RPC pool's and the gas wallet's failure modes."""

    def __init__(self, sim: MarketSim, faults: FaultInjector) -> None:
        super().__init__(sim)
        self.faults = faults

    def consumed(self, order_hash: str) -> int:
        return self.faults.chain_read("viewConsumed", lambda: SimChain.consumed(self, order_hash))

    def consumed_many(self, order_hashes: Sequence[str]) -> dict[str, int]:
        return self.faults.chain_read(
            "viewConsumed (batch)", lambda: SimChain.consumed_many(self, order_hashes)
        )

    def order_status(self, signed: SignedWorkerpoolOrder) -> ChainOrderStatus:
        return self.faults.chain_read("viewConsumed", lambda: SimChain.order_status(self, signed))

    def stake(self, account: str) -> Stake:
        return self.faults.chain_read("viewAccount", lambda: SimChain.stake(self, account))

    def gas_balance(self) -> int:
        return self.faults.chain_read("eth_getBalance", lambda: SimChain.gas_balance(self))

    def cancel(self, signed: SignedWorkerpoolOrder) -> CancelOutcome:
        inj = self.faults
        cfg = inj.cfg
        down = inj.chain_is_down()
        if not down and inj.rng.random() >= cfg.chain.cancel_error:
            return SimChain.cancel(self, signed)
        inj.counts["cancel_error"] += 1
        inj.counts["surfaced_cancel"] += 1
        clock = self.sim.clock
        if not down and inj.rng.random() < cfg.chain.cancel_mined_anyway:
            inj.counts["cancel_mined_despite_error"] += 1
            SimChain.cancel(self, signed)  # mined: gas paid, the order closed
            clock.t += max(0.0, cfg.receipt_timeout_s - self.sim.costs.tx_latency_s)
            raise TransientError(
                f"manageWorkerpoolOrder: not mined after {cfg.receipt_timeout_s:.0f} s "
                "(simulated: the receipt could not be read)"
            )
        clock.t += self.sim.costs.api_latency_s
        raise TransientError(
            "eth_sendRawTransaction: HTTP 503 from the RPC (simulated, nothing was sent)"
        )


class FaultyPoolMetrics(SimPoolMetrics):
    def __init__(self, sim: MarketSim, faults: FaultInjector) -> None:
        super().__init__(sim)
        self.faults = faults

    def utilization(self) -> PoolUtilization:
        inj = self.faults
        if inj.rng.random() < inj.cfg.pool_metrics:
            inj.counts["pool_metrics_error"] += 1
            inj.counts["surfaced_pool_metrics"] += 1
            self.sim.clock.t += inj.cfg.timeout_s
            raise TransientError("core /metrics: timed out (simulated)")
        return SimPoolMetrics.utilization(self)


def outage_windows(
    per_day: float, mean_s: float, start: float, end: float, key: str
) -> list[tuple[float, float]]:
    """Outages as (from, to): Poisson starts at ``per_day``, exponential lengths; disjoint."""
    if per_day <= 0:
        return []
    rng = random.Random(f"outages:{key}")
    out: list[tuple[float, float]] = []
    t = start
    while True:
        t += rng.expovariate(per_day / 86_400.0)
        if t >= end:
            return out
        length = rng.expovariate(1.0 / mean_s)
        out.append((t, t + length))
        t += length


def _inside(windows: list[tuple[float, float]], starts: list[float], t: float) -> bool:
    i = bisect.bisect_right(starts, t) - 1
    return i >= 0 and t < windows[i][1]


def install_faults(sim: MarketSim, seed: int) -> FaultInjector:
    """Replace ``sim``'s market, chain and metrics ports by their faulty twins."""
    inj = FaultInjector(sim, sim.scenario.faults, seed)
    sim.market = FaultyMarket(sim, inj)
    sim.chain = FaultyChain(sim, inj)
    sim.metrics = FaultyPoolMetrics(sim, inj)
    return inj

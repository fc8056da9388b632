"""``/metrics``: the frozen view and the journal as Prometheus families, built at scrape time.

Why a custom collector rather than module-level Counters: every figure comes from one place
(the view the service published, or the journal itself), so the scrape can never disagree with
``/api/v1/status`` or the journal, and nothing is kept in global state between two services in
one process (tests). Names follow Prometheus conventions: ``pricebot_`` prefix, base units
(seconds, RLC), ``_total`` counters, bounded labels (category, tag, action, outcome, source,
state; never an order hash or an address), and every known label combination is emitted even
at zero, so a rate() never starts from a missing series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from bot.ops._reader import JournalReader
from bot.ops._view import DURATION_BUCKETS, INVARIANTS, SOURCES, OpsView, offer_figures

__all__ = ["ACTION_KINDS", "ACTION_OUTCOMES", "ORDER_STATES", "OpsCollector", "registry_for"]

ACTION_KINDS: tuple[str, ...] = ("sign", "publish", "unpublish", "cancel", "adopt")
ACTION_OUTCOMES: tuple[str, ...] = ("ok", "dry-run", "skipped", "failed")
ORDER_STATES: tuple[str, ...] = ("signed", "published", "unpublished", "closed")
NRLC = 1e9


def _label(outcome: str) -> str:
    return outcome.replace("-", "_")


class OpsCollector(Collector):
    """Yields every ``pricebot_`` family from the current view, the journal and the alert counts."""

    def __init__(
        self,
        view: Callable[[], OpsView],
        reader: JournalReader | None,
        alerts_sent: Callable[[], dict[tuple[str, str], int]] | None = None,
    ) -> None:
        self._view = view
        self._reader = reader
        self._alerts_sent = alerts_sent

    def collect(self) -> Iterator[Metric]:
        v = self._view()
        info = InfoMetricFamily("pricebot_build", "Version, strategy and network of this bot.")
        info.add_metric([], {"version": v.version, "strategy": v.strategy, "network": v.network})
        yield info
        yield _gauge("pricebot_paused", "1 while paused (sampling, not acting).", float(v.paused))
        yield _gauge("pricebot_live", "1 when acting for real, 0 in dry-run.", float(v.live))
        yield _gauge(
            "pricebot_start_time_seconds", "When the service started (Unix time).", v.started_at
        )
        cycles = CounterMetricFamily(
            "pricebot_cycles", "Reprice jobs run, by result.", labels=["result"]
        )
        cycles.add_metric(["ok"], v.cycles_ok)
        cycles.add_metric(["paused"], v.cycles_paused)
        cycles.add_metric(["error"], v.cycles_error)
        yield cycles
        yield CounterMetricFamily(
            "pricebot_missed_runs",
            "Scheduled runs that started too late (misfires).",
            v.missed_runs,
        )
        buckets = []
        cumulative = 0
        for bound, count in zip((*DURATION_BUCKETS, float("inf")), v.duration_counts, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound == float("inf") else str(bound), cumulative))
        yield HistogramMetricFamily(
            "pricebot_cycle_duration_seconds",
            "Duration of reprice jobs.",
            buckets=buckets,
            sum_value=v.duration_sum,
        )
        yield _gauge(
            "pricebot_last_success_timestamp_seconds",
            "When the last reprice job succeeded (Unix time; 0 = never).",
            v.last_success_at or 0.0,
        )
        up = GaugeMetricFamily(
            "pricebot_source_up", "1 when the source's last read succeeded.", labels=["source"]
        )
        last = GaugeMetricFamily(
            "pricebot_source_last_sample_timestamp_seconds",
            "Oldest successful read among the source's parts (Unix time; 0 = never).",
            labels=["source"],
        )
        for source in SOURCES:
            up.add_metric([source], float(v.source_up(source)))
            last.add_metric([source], v.source_last_sample(source) or 0.0)
        yield up
        yield last
        yield from self._offers(v)
        yield from self._stake_and_deals(v)
        yield from self._service(v)
        yield from self._journal(v)
        yield from self._alerts()

    def _offers(self, v: OpsView) -> Iterator[Metric]:
        labels = ["category", "tag"]
        ours = GaugeMetricFamily(
            "pricebot_order_price_rlc",
            "Our cheapest listed price per offer (NaN: none).",
            labels=labels,
        )
        best = GaugeMetricFamily(
            "pricebot_best_competitor_price_rlc",
            "The cheapest competing order per offer (NaN: none).",
            labels=labels,
        )
        volume = GaugeMetricFamily(
            "pricebot_valid_volume_tasks",
            "Tasks our valid orders still offer (listed or not).",
            labels=labels,
        )
        capacity = GaugeMetricFamily(
            "pricebot_capacity_tasks",
            "Tasks the pool can take within the window (NaN: utilization unknown).",
            labels=labels,
        )
        orders = GaugeMetricFamily(
            "pricebot_valid_orders",
            "Our orders still valid on chain, listed or not.",
            labels=[*labels, "listed"],
        )
        for f in offer_figures(v):
            key = [str(f.category), hex(f.tag)]
            ours.add_metric(key, _rlc(f.our_price))
            best.add_metric(key, _rlc(f.best_competitor))
            volume.add_metric(key, f.valid_volume)
            capacity.add_metric(key, float("nan") if f.capacity is None else f.capacity)
            orders.add_metric([*key, "true"], f.listed_orders)
            orders.add_metric([*key, "false"], f.unlisted_valid_orders)
        yield from (ours, best, volume, capacity, orders)

    def _stake_and_deals(self, v: OpsView) -> Iterator[Metric]:
        stake = None if v.snapshot is None else v.snapshot.stake
        required = sum(f.stake_required for f in offer_figures(v))
        s = GaugeMetricFamily(
            "pricebot_stake_rlc", "The owner's stake (NaN: unknown).", labels=["kind"]
        )
        s.add_metric(["free"], _rlc(None if stake is None else stake.free))
        s.add_metric(["locked"], _rlc(None if stake is None else stake.locked))
        s.add_metric(["required"], required / NRLC)
        yield s
        deals = GaugeMetricFamily(
            "pricebot_recent_deals",
            "Deals of our pool in the sampler's window.",
            labels=["category"],
        )
        revenue = GaugeMetricFamily(
            "pricebot_recent_revenue_rlc",
            "Price x volume of those deals (RLC, before the scheduler's share).",
            labels=["category"],
        )
        per: dict[int, tuple[int, int]] = {o.category: (0, 0) for o in v.offers}
        for d in () if v.snapshot is None else v.snapshot.deals:
            n, rlc = per.get(d.category, (0, 0))
            per[d.category] = (n + 1, rlc + d.price * d.volume)
        for category, (n, nrlc) in sorted(per.items()):
            deals.add_metric([str(category)], n)
            revenue.add_metric([str(category)], nrlc / NRLC)
        yield deals
        yield revenue

    def _service(self, v: OpsView) -> Iterator[Metric]:
        facts = v.facts
        http = CounterMetricFamily(
            "pricebot_http_requests",
            "HTTP requests sent (each attempt), by source; chain: JSON-RPC calls.",
            labels=["source"],
        )
        retries = CounterMetricFamily(
            "pricebot_http_retries", "HTTP requests retried, by source.", labels=["source"]
        )
        limited = CounterMetricFamily(
            "pricebot_rate_limited", "HTTP 429 answers, by source.", labels=["source"]
        )
        for source in SOURCES:  # each client counts its own (chain: JSON-RPC calls)
            http.add_metric([source], facts.http_requests.get(source, 0))
            retries.add_metric([source], facts.http_retries.get(source, 0))
            limited.add_metric([source], facts.rate_limited.get(source, 0))
        yield from (http, retries, limited)
        yield _gauge(
            "pricebot_gas_wallet_balance_eth",
            "The gas wallet's balance (NaN: not watched or unreadable).",
            float("nan") if facts.gas_wei is None else facts.gas_wei / 1e18,
        )
        violations = CounterMetricFamily(
            "pricebot_invariant_violations",
            "Invariants broken for 3 cycles in a row (each pauses the bot).",
            labels=["invariant"],
        )
        for name in sorted(set(INVARIANTS) | set(v.invariant_violations)):
            violations.add_metric([name], v.invariant_violations.get(name, 0))
        yield violations
        yield CounterMetricFamily(
            "pricebot_task_deadline_misses",
            "Tasks of our pool whose contribution deadline passed uncontributed (seen since start).",
            len(v.missed_tasks_seen),
        )

    def _journal(self, v: OpsView) -> Iterator[Metric]:
        if self._reader is None:
            return
        deals = CounterMetricFamily(
            "pricebot_deals",
            "Our pool's deals over the journal's whole history (recorded snapshots).",
            labels=["category"],
        )
        revenue = CounterMetricFamily(
            "pricebot_revenue_rlc",
            "Price x volume of those deals (RLC, before the scheduler's share).",
            labels=["category"],
        )
        totals = self._reader.deals_by_category()
        for category in sorted({o.category for o in v.offers} | set(totals)):
            t = totals.get(category)
            deals.add_metric([str(category)], 0 if t is None else t.deals)
            revenue.add_metric([str(category)], 0.0 if t is None else t.revenue_nrlc / NRLC)
        yield deals
        yield revenue
        fills = self._reader.fills_by_day().values()
        yield CounterMetricFamily(
            "pricebot_fills",
            "Waiting requests our bot filled with matchOrders (journalled fills, whole history).",
            sum(f.fills for f in fills),
        )
        yield CounterMetricFamily(
            "pricebot_fill_revenue_rlc",
            "Price x volume of those fills (RLC, before the scheduler's share; in the deals too).",
            sum(f.revenue_nrlc for f in fills) / NRLC,
        )
        yield CounterMetricFamily(
            "pricebot_match_gas",
            "Gas units the gas wallet paid for those matches.",
            sum(f.gas for f in fills),
        )
        actions = CounterMetricFamily(
            "pricebot_actions",
            "Actions journalled, by kind and outcome.",
            labels=["action", "outcome"],
        )
        counts = self._reader.actions_by_outcome()
        keys = {(k, o) for k in ACTION_KINDS for o in ACTION_OUTCOMES} | set(counts)
        for kind, outcome in sorted(keys):
            actions.add_metric([kind, _label(outcome)], counts.get((kind, outcome), 0))
        yield actions
        orders = GaugeMetricFamily(
            "pricebot_journal_orders", "Signed orders in the journal, by state.", labels=["state"]
        )
        states = self._reader.orders_by_state()
        for state in sorted(set(ORDER_STATES) | set(states)):
            orders.add_metric([state], states.get(state, 0))
        yield orders
        yield CounterMetricFamily(
            "pricebot_decisions",
            "Decisions journalled (one per tick).",
            self._reader.decisions_count(),
        )

    def _alerts(self) -> Iterator[Metric]:
        sent = CounterMetricFamily(
            "pricebot_alerts_sent", "Alert posts, by sink and outcome.", labels=["sink", "outcome"]
        )
        for (sink, outcome), n in sorted(
            (self._alerts_sent() if self._alerts_sent else {}).items()
        ):
            sent.add_metric([sink, outcome], n)
        yield sent


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _rlc(nrlc: int | None) -> float:
    return float("nan") if nrlc is None else nrlc / NRLC


def registry_for(collector: OpsCollector) -> CollectorRegistry:
    """A private registry (not the process-global one) holding only our collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry

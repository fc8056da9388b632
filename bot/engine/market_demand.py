"""How many marketplace requests a schedule needs: the one place that counts requests per job.

The marketplace limits each client address to 100 requests a minute, and the bot's own token
bucket (``bot.adapters.rate_budget``) keeps it under a configured budget. A schedule that needs
more than the budget does not fail loudly: jobs wait for tokens, run late and APScheduler skips
them (the sandbox's 2 s / 4 s schedule needed about 180 a minute against 90 and repriced every
8 s instead of 4). ``config check`` compares this count with the budget before the bot starts.

Requests per job, each answer assumed to fit one page (1,000 orders, the API's maximum):

- a sample (the ``sample`` job, and the start of every ``reprice`` tick): one book query per
  offered (category, tag) slot, one for our own orders, one request-book query per offered
  category, one for our deals (``bot.engine.samplers.sample_snapshot``; a test pins the two);
- a reprice tick, with fills on: the fill book (one request-book query, one app-order query per
  app named in ``fill_apps``; dataset orders are read per dataset the requests name, not counted);
- a reprice tick's writes at most: a publish and an unpublish per offer, and a re-read of each
  request it fills (``fills.max_per_tick``) - the peak, not the steady state;
- a reconcile: one query for our own orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MarketDemand",
    "market_demand",
    "sample_reads",
]


def sample_reads(slots: Iterable[tuple[int, int]]) -> int:
    """Marketplace requests of one sample for these offered (category, tag) slots."""
    distinct = dict.fromkeys(slots)
    categories = {category for category, _tag in distinct}
    return len(distinct) + 1 + len(categories) + 1


@dataclass(frozen=True, slots=True)
class MarketDemand:
    """Marketplace requests per job and per minute of a schedule."""

    per_sample: int
    per_fill_book: int
    max_writes_per_tick: int
    per_reconcile: int
    samples_per_minute: float
    ticks_per_minute: float
    reconciles_per_minute: float

    @property
    def steady_per_minute(self) -> float:
        """Every job's reads: what the schedule needs whatever the market does."""
        return (
            self.samples_per_minute * self.per_sample
            + self.ticks_per_minute * self.per_fill_book
            + self.reconciles_per_minute * self.per_reconcile
        )

    @property
    def peak_per_minute(self) -> float:
        """The reads plus every offer repriced (and every fill re-read) at every tick."""
        return self.steady_per_minute + self.ticks_per_minute * self.max_writes_per_tick

    def explain(self) -> str:
        """One line: the jobs, their rates and their requests."""
        fills = (
            f" + fill book {self.per_fill_book} x {self.ticks_per_minute:g}/min"
            if self.per_fill_book
            else ""
        )
        return (
            f"{self.samples_per_minute:g} samples/min x {self.per_sample} reads{fills}"
            f" + {self.reconciles_per_minute:g} reconciles/min x {self.per_reconcile}"
            f" = {self.steady_per_minute:.1f} requests/min"
            f" (peak {self.peak_per_minute:.1f} with up to {self.max_writes_per_tick} writes"
            f" in each of {self.ticks_per_minute:g} ticks/min)"
        )


def market_demand(
    *,
    slots: Iterable[tuple[int, int]],
    offers: int,
    sample_seconds: float,
    reprice_seconds: float,
    reconcile_seconds: float,
    fill_apps: int | None,
    fills_per_tick: int = 0,
) -> MarketDemand:
    """The requests a schedule needs for ``offers`` offers on these (category, tag) ``slots``.

    ``fill_apps`` (the distinct apps the offers may fill) is None when fills are off.

    Samples a minute: the ``reprice`` job samples at every tick, and the ``sample`` job runs in
    between only when it is more frequent (``bot.app.service.PricebotService.start``).
    """
    pairs = list(dict.fromkeys(slots))
    ticks = 60.0 / reprice_seconds
    samples = ticks + (60.0 / sample_seconds if sample_seconds < reprice_seconds else 0.0)
    fill_book = 0 if fill_apps is None else 1 + fill_apps
    writes = 2 * offers + (fills_per_tick if fill_apps is not None else 0)
    return MarketDemand(
        per_sample=sample_reads(pairs),
        per_fill_book=fill_book,
        max_writes_per_tick=writes,
        per_reconcile=1,
        samples_per_minute=samples,
        ticks_per_minute=ticks,
        reconciles_per_minute=60.0 / reconcile_seconds,
    )

"""``portfolio``: choose, per offer, the logic that fits the market it faces.

Idea: one pool sells in several categories that are not the same market. Where requesters shop
among several pools, the price that wins them is set by the cheapest rival; where nobody else
sells, there is no rival to follow and the price has to be *learnt* from what sells; where
requesters wait in the book with a visible max price, the book says what they pay. So, for each
offer, every decision:

1. **book**: compatible request orders are open - the ``demand`` logic (the highest price whose
   expected matched volume, after cheaper rivals, fills the free capacity), never below the
   contested price of branch 2: a request waiting with a cap under the cheapest rival is one
   nobody serves, and reaching it would sell all our volume at that lower posted price;
2. **contested**: a paid, unrestricted rival is visible (restricted and free orders serve
   requesters we cannot win; prices below ``outlier_ratio`` x the median are ignored) - undercut
   the cheapest by ``step`` nRLC, never below ``floor``;
3. **contested, rival out of stock**: none is visible now, but one was within
   ``rival_memory_seconds`` - undercut the last price seen. A rival that sold its last unit is
   back at its next reprice; treating the gap as a monopoly would raise the price (on-chain
   cancels) only to drop it minutes later;
4. **alone**: no rival for ``rival_memory_seconds`` - Thompson sampling over ``grid`` with the
   free capacity as the inventory constraint (the ``bandit`` logic, its own state per offer). In
   a thin market the revenue-best posted price is far above any cost-based price (a few
   requesters with a high willingness to pay bring most of the money), and only experiments can
   find it. The prior is optimistic about high prices (``prior_elasticity`` 0.5 < 1: the prior
   revenue grows with the price) and weak (``prior_strength`` 1 period), so the learner starts
   at the dear end and comes down as empty periods accumulate; each new arm is at most
   ``max_arm_move`` grid steps from the last (a far jump is a staircase of re-signed orders and
   cancels on the rails' max step). It learns only while the offer is priced this way: deals
   made while following a rival say nothing about the monopoly price.

**Exposure.** Undercutting lists our cheapest price; a burst requester (a campaign of hundreds of
tasks with a high cap) arriving then takes the whole listed volume at that price and fills the
pool, although it would have waited in the book and paid its own cap (branch 1). Once the rival
price has held for ``exposure_after_seconds``, a contested offer lists at most ``exposure``
tasks at once (the planner tops it up as it sells). While the rival price keeps moving (a price
war) the full capacity is listed: every order will soon be replaced, and each extra order would
be one more cancel.

**Price wars.** While the cheapest rival price keeps moving (it has not held for
``exposure_after_seconds``), rivals with fewer than ``war_min_volume`` tasks left are not
followed: a rival down to its last task is gone after the next buyer, and following it down
costs a re-signed order, a cancel of our dearer one, and a lower price on every task we list, to
win that one task.

Parameters: ``step``, ``floor``, ``outlier_ratio``, ``rival_memory_seconds``, ``exposure``,
``exposure_after_seconds``, ``war_min_volume`` (contested side), ``grid``, ``prior_rate``,
``prior_elasticity``, ``prior_strength``, ``period_seconds``, ``max_arm_move`` (the learner, as in
``bandit``). The book branch uses ``demand``'s defaults. Every raise must pay for its cancels
(the rails' gate, factor 1: bot.pricing.rails.gate_raise).

When to use it: a pool that offers several categories or faces markets that change shape (rivals
coming and going, campaigns waiting in the book, categories nobody else serves); one default
configuration that does not need to be told which market is which.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import InputError
from bot.pricing.ledger import offer_capacity
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies.bandit import BanditParams, BanditStrategy
from strategies.base import MAX_PRICE, Decision, Strategy, param, quote_for, under
from strategies.competitive import CompetitiveParams, relevant_competitors
from strategies.demand import DemandParams, DemandStrategy

__all__ = ["PortfolioParams", "PortfolioStrategy"]

DEFAULT_GRID = (
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
)


@dataclass(frozen=True, slots=True)
class PortfolioParams:
    step: int = param(1, min=0, max=MAX_PRICE, doc="undercut step in nRLC", unit="nRLC")
    floor: int = param(1_000_000, min=0, max=MAX_PRICE, doc="never undercut below", unit="nRLC")
    outlier_ratio: float = param(0.2, min=0.0, max=1.0, doc="ignore rivals < ratio x median")
    rival_memory_seconds: float = param(
        6 * 3600.0, min=0.0, max=30 * 86400.0, doc="a rival seen this recently still counts"
    )
    war_min_volume: int = param(
        2, min=1, max=10_000, doc="while rival prices move, ignore rivals with less remaining"
    )
    exposure: int = param(
        10, min=0, max=100_000, doc="contested: list at most this volume at once (0: capacity)"
    )
    exposure_after_seconds: float = param(
        600.0, min=0.0, max=86400.0, doc="contested: limit exposure once the rival price held"
    )
    grid: tuple[int, ...] = param(
        DEFAULT_GRID, min=0, max=MAX_PRICE, doc="learner's price arms when alone", unit="nRLC"
    )
    prior_rate: float = param(2.0, min=1e-6, max=1000.0, doc="prior tasks/period, cheapest arm")
    prior_elasticity: float = param(0.5, min=0.0, max=5.0, doc="prior demand falls as p^-e")
    prior_strength: float = param(1.0, min=0.01, max=10_000.0, doc="prior weight in periods")
    period_seconds: float = param(
        7200.0, min=1.0, max=7 * 86400.0, doc="learner: how long an arm is held"
    )
    max_arm_move: int = param(
        1, min=0, max=100, doc="learner: new arm at most this many grid steps away (0: any)"
    )

    def __post_init__(self) -> None:
        if list(self.grid) != sorted(set(self.grid)):
            raise InputError("strategy.params.grid", "must be strictly ascending", self.grid)


def _key(offer: Offer) -> str:
    return f"{offer.category}:{offer.tag}:{offer.trust}"


class PortfolioStrategy(Strategy[PortfolioParams]):
    name = "portfolio"
    Params = PortfolioParams

    def __init__(self, params: PortfolioParams | None = None) -> None:
        super().__init__(params)
        p = self.params
        self._rivals = CompetitiveParams(outlier_ratio=p.outlier_ratio)
        self._war_rivals = CompetitiveParams(
            outlier_ratio=p.outlier_ratio, min_remaining=p.war_min_volume
        )
        self._book = DemandStrategy(DemandParams())
        self._learner = BanditStrategy(
            BanditParams(
                grid=p.grid,
                prior_rate=p.prior_rate,
                prior_elasticity=p.prior_elasticity,
                prior_strength=p.prior_strength,
                period_seconds=p.period_seconds,
                max_arm_move=p.max_arm_move,
            )
        )

    def initial_state(self) -> dict[str, Any]:
        return {"rivals": {}, "modes": {}, "learner": {}}

    def decide(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        state: dict[str, Any],
        rng: random.Random,
    ) -> Decision:
        p = self.params
        seen: dict[str, list[float]] = dict(state.get("rivals", {}))
        modes: dict[str, str] = {}
        old_modes: dict[str, str] = state.get("modes", {})
        learner: dict[str, Any] = dict(state.get("learner", {}))
        quotes = []
        for offer in offers:
            key = _key(offer)
            rivals, _ = relevant_competitors(snapshot.competitors_for(offer), self._rivals)
            if rivals:
                # [cheapest price, seen at, that price unchanged since]
                last = seen.get(key)
                since = snapshot.at
                if last is not None and len(last) > 2 and last[0] == rivals[0].price:
                    since = last[2]
                seen[key] = [rivals[0].price, snapshot.at, since]
            memory = seen.get(key)
            if snapshot.demand_for(offer):
                modes[key] = "book"
                got = self._book.decide(snapshot, [offer], {}, rng).quotes[0]
                price, why = got.price, f"book: {got.reason}"
                if rivals and price < rivals[0].price - p.step:
                    price = under(rivals[0].price, p.step, p.floor)
                    why += f"; held at {price}, {p.step} nRLC under the cheapest rival"
                quotes.append(quote_for(offer, price, got.volume, why))
                continue
            if rivals or (memory is not None and snapshot.at - memory[1] <= p.rival_memory_seconds):
                modes[key] = "contested"
                assert memory is not None
                target, at = int(memory[0]), memory[1]
                volume = offer_capacity(snapshot.utilization, offer, snapshot.tasks)
                steady_for = snapshot.at - (memory[2] if len(memory) > 2 else snapshot.at)
                steady = steady_for >= p.exposure_after_seconds
                if p.exposure and steady:
                    volume = min(volume, p.exposure)
                how = "cheapest" if rivals else f"last seen {snapshot.at - at:.0f}s ago,"
                if rivals and not steady and p.war_min_volume > 1:
                    big, _ = relevant_competitors(rivals, self._war_rivals)
                    if big and big[0].price != target:
                        how = f"cheapest with {p.war_min_volume}+ left (prices moving)"
                        target = big[0].price
                price = under(target, p.step, p.floor)
                why = f"contested: {p.step} nRLC under the {how} rival at {target}"
                if price == p.floor and target - p.step < p.floor:
                    why += f"; raised to floor {p.floor}"
                quotes.append(quote_for(offer, price, volume, f"{why}; volume {volume}"))
                continue
            modes[key] = "alone"
            mine = learner.get(key)
            if mine and old_modes.get(key) != "alone":
                # back from following a rival: its deals are not evidence about these arms
                mine = {"alpha": mine["alpha"], "beta": mine["beta"], "since": snapshot.at}
            got_d = self._learner.decide(snapshot, [offer], {key: mine} if mine else {}, rng)
            learner[key] = got_d.state[key]
            got = got_d.quotes[0]
            quotes.append(quote_for(offer, got.price, got.volume, f"alone: {got.reason}"))
        return Decision(tuple(quotes), {"rivals": seen, "modes": modes, "learner": learner})

"""``bandit``: Thompson sampling over a price grid with capacity as the inventory constraint.

Idea (Ferreira, Simchi-Levi & Wang, "Online Network Revenue Management Using Thompson
Sampling", Operations Research 66(6), 2018): treat each grid price as an arm with an unknown
demand rate ``theta_k`` (tasks sold per ``period_seconds``), keep a Gamma posterior per arm, and
each decision:

1. **update**: the tasks our pool sold since the last decision (our deals in the offer's
   category) and the time elapsed are credited to the arm nearest the price we actually had
   listed (rails may have moved it); nothing is learnt while nothing was listed;
2. **sample** ``theta_k`` from each posterior, then make the samples non-increasing in price by
   lifting each arm to at least the rate sampled for any dearer arm (a lower price never sells
   less: demand seen at a high price is evidence for every cheaper arm; the monotone prior that
   makes thin-demand exploration cheap, Misra, Schwartz & Abernethy 2019);
3. **optimise** the linear program ``max sum_k p_k theta_k x_k`` s.t. ``sum_k theta_k x_k <= c``,
   ``sum_k x_k <= 1``, ``x >= 0``, where ``c`` is what the free capacity can absorb per period
   (capacity x period / contribution window). Plain Thompson sampling that ignores ``c`` sells
   out at low prices; the LP mixes at most two neighbouring arms;
4. **pick** the arm at random with probabilities ``x`` (the rest of the mass: the dearest arm),
   and **hold** it for ``period_seconds``: each new price is a new signed order (and, going up,
   an on-chain cancel), so arms are played per period, not per decision.

The prior mean of arm ``k`` is ``prior_rate x (p_0 / p_k) ^ prior_elasticity`` tasks per period,
worth ``prior_strength`` periods of observation. Parameters: ``grid`` (nRLC, ascending),
``prior_rate``, ``prior_elasticity``, ``prior_strength``, ``period_seconds``. State per offer:
Gamma parameters per arm, the arm played and since when.

When to use it: a pool with real but unknown price sensitivity and enough deals to learn from;
backtest it first, as it explores (sells at random grid prices) while it learns.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import InputError
from bot.pricing.ledger import offer_capacity
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies.base import MAX_PRICE, Decision, Strategy, param, quote_for

__all__ = ["BanditParams", "BanditStrategy", "solve_lp"]

DEFAULT_GRID = (
    1_000_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    1_000_000_000,
)


@dataclass(frozen=True, slots=True)
class BanditParams:
    grid: tuple[int, ...] = param(
        DEFAULT_GRID, min=0, max=MAX_PRICE, doc="price arms, nRLC", unit="nRLC"
    )
    prior_rate: float = param(2.0, min=1e-6, max=1000.0, doc="prior tasks/period, cheapest arm")
    prior_elasticity: float = param(1.0, min=0.0, max=5.0, doc="prior demand falls as p^-e")
    prior_strength: float = param(5.0, min=0.01, max=10_000.0, doc="prior weight in periods")
    period_seconds: float = param(
        14400.0, min=1.0, max=7 * 86400.0, doc="how long an arm is held; unit of demand rates"
    )
    max_arm_move: int = param(
        0, min=0, max=100, doc="a new arm at most this many grid steps from the last (0: any)"
    )

    def __post_init__(self) -> None:
        if list(self.grid) != sorted(set(self.grid)):
            raise InputError("strategy.params.grid", "must be strictly ascending", self.grid)


def solve_lp(prices: Sequence[int], theta: Sequence[float], c: float) -> list[float]:
    """Optimal x of max sum p.theta.x s.t. sum theta.x <= c, sum x <= 1, x >= 0.

    With one resource constraint plus the simplex, an optimum uses at most two arms: try every
    single arm (scaled down to fit ``c``) and every pair straddling ``c``.
    """
    n = len(prices)
    top = max(range(n), key=lambda k: prices[k] * theta[k])
    if theta[top] <= c:  # capacity does not bind: the unconstrained best arm is optimal
        best = [0.0] * n
        best[top] = 1.0
        return best
    best_value = -1.0
    best = [0.0] * n
    for k in range(n):
        xk = 1.0 if theta[k] <= c else (c / theta[k] if theta[k] > 0 else 1.0)
        value = prices[k] * theta[k] * xk
        if value > best_value:
            best_value, best = value, [0.0] * n
            best[k] = xk
    for i in range(n):
        if theta[i] >= c:
            continue
        for j in range(n):
            if theta[j] <= c:
                continue
            xj = (c - theta[i]) / (theta[j] - theta[i])
            xi = 1.0 - xj
            value = prices[i] * theta[i] * xi + prices[j] * theta[j] * xj
            if value > best_value:
                best_value, best = value, [0.0] * n
                best[i], best[j] = xi, xj
    return best


def _nearest(grid: Sequence[int], price: int) -> int:
    return min(range(len(grid)), key=lambda k: (abs(grid[k] - price), k))


class BanditStrategy(Strategy[BanditParams]):
    name = "bandit"
    Params = BanditParams

    def _prior(self) -> tuple[list[float], list[float]]:
        p = self.params
        p0 = max(p.grid[0], 1)
        alpha = [
            p.prior_strength * p.prior_rate * (p0 / max(g, 1)) ** p.prior_elasticity for g in p.grid
        ]
        return alpha, [p.prior_strength] * len(p.grid)

    def _draw_arm(
        self,
        grid: Sequence[int],
        alpha: list[float],
        beta: list[float],
        held: Any,
        capacity: int,
        offer: Offer,
        rng: random.Random,
    ) -> tuple[int, str]:
        """A new arm by Thompson sampling under the capacity constraint, and why."""
        p = self.params
        per_period = capacity * p.period_seconds / offer.contribution_window
        theta = [rng.gammavariate(a, 1.0 / b) for a, b in zip(alpha, beta, strict=True)]
        for k in range(len(theta) - 2, -1, -1):
            theta[k] = max(theta[k], theta[k + 1])
        lo, hi = 0, len(grid) - 1
        if p.max_arm_move and held is not None and 0 <= int(held) < len(grid):
            lo = max(0, int(held) - p.max_arm_move)
            hi = min(len(grid) - 1, int(held) + p.max_arm_move)
        x = [0.0] * lo + solve_lp(grid[lo : hi + 1], theta[lo : hi + 1], per_period)
        x += [0.0] * (len(grid) - len(x))
        draw = rng.random()
        arm = hi
        acc = 0.0
        for k, xk in enumerate(x):
            acc += xk
            if draw < acc:
                arm = k
                break
        mean = alpha[arm] / beta[arm]
        return arm, (
            f"Thompson arm {grid[arm]} (p={x[arm]:.2f}, sampled rate "
            f"{theta[arm]:.3f}/period, mean {mean:.3f}; capacity {per_period:.2f}/period)"
        )

    def decide(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        state: dict[str, Any],
        rng: random.Random,
    ) -> Decision:
        p = self.params
        grid = p.grid
        new_state: dict[str, Any] = {}
        quotes = []
        for offer in offers:
            key = f"{offer.category}:{offer.tag}:{offer.trust}"
            mine = state.get(key)
            if not mine or len(mine.get("alpha", ())) != len(grid):
                alpha, beta = self._prior()
                since = snapshot.at
            else:
                alpha, beta = list(mine["alpha"]), list(mine["beta"])
                since = float(mine["since"])
            listed = snapshot.current_price(offer.slot)
            learnt = ""
            if listed is not None and snapshot.at > since:
                arm = _nearest(grid, listed)
                sold = sum(
                    d.volume
                    for d in snapshot.own_deals(since, offer.category)
                    if d.tag & ~offer.tag == 0
                )
                alpha[arm] += sold
                beta[arm] += (snapshot.at - since) / p.period_seconds
                learnt = f"; credited {sold} sold to arm {grid[arm]}"
            capacity = offer_capacity(snapshot.utilization, offer, snapshot.tasks)
            held = mine.get("arm") if mine else None
            chosen_at = float(mine.get("chosen_at", since)) if mine else snapshot.at
            if (
                held is not None
                and 0 <= int(held) < len(grid)
                and snapshot.at - chosen_at < p.period_seconds
            ):
                arm = int(held)
                why = (
                    f"holding Thompson arm {grid[arm]} for its period "
                    f"({snapshot.at - chosen_at:.0f}s of {p.period_seconds:.0f}s){learnt}"
                )
            else:
                arm, why = self._draw_arm(grid, alpha, beta, held, capacity, offer, rng)
                why += learnt
                chosen_at = snapshot.at
            quotes.append(quote_for(offer, grid[arm], capacity, why))
            new_state[key] = {
                "alpha": alpha,
                "beta": beta,
                "since": snapshot.at,
                "arm": arm,
                "chosen_at": chosen_at,
            }
        return Decision(tuple(quotes), new_state)

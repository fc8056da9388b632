"""``utilization``: a PI controller on pool utilization against a target.

Idea: price is a toll on a queue (Naor 1969): when the pool is busier than the target, raise it;
when idle, lower it. A proportional-integral controller in log-price space drives a multiplier
``m`` applied to each category's base price::

    e      = utilization - target            (utilization counts the backlog: may exceed 1)
    I     += e                                (only outside the deadband, see anti-windup)
    log m  = kp x e + ki x I + saturation_gain x ((u - saturation) / (1 - saturation))^2 [u > sat]

- **smoothing and pace**: the controller sees an exponentially weighted average of utilization
  (``smoothing`` = weight of the newest reading) and steps at most every ``interval_seconds``;
  in between the price holds. Utilization jumps whenever a deal lands, and a controller that
  chased every jump would re-sign (and, going up, cancel on chain) an order every minute;
- **deadband**: within ``|e| <= deadband`` nothing moves (no churn, the order keeps its place);
- **separate up/down rates**: one step moves the price up by at most ``rate_up`` and down by
  at most ``rate_down`` (relative) - raise fast when saturating, fall slowly (AWS spot lesson);
- **anti-windup**: when ``m`` sits at ``min_multiplier`` / ``max_multiplier`` the integral does not
  grow further in that direction, so the price leaves the bound as soon as the error turns;
- **convex increase near saturation**: past ``saturation`` an extra quadratic term raises the price
  steeply, since selling the last slots risks timeouts and stake seizure.

Parameters: ``target``, ``deadband``, ``kp``, ``ki``, ``rate_up``, ``rate_down``, ``smoothing``,
``interval_seconds``, ``saturation``,
``saturation_gain``, ``min_multiplier``, ``max_multiplier``, ``price`` / ``prices`` (base price
per category, nRLC). State: ``{"log_m", "integral", "u_avg", "stepped_at"}``.

When to use it: a pool with mostly captive demand (requesters who name the pool), where the
market gives no price signal but the queue does. Abstains when utilization is unknown.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import InputError
from bot.pricing.ledger import offer_capacity
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies.base import MAX_PRICE, Decision, Strategy, param, quote_for, table

__all__ = ["UtilizationParams", "UtilizationStrategy", "step_controller"]


@dataclass(frozen=True, slots=True)
class UtilizationParams:
    target: float = param(0.8, min=0.05, max=1.0, doc="utilization to aim for")
    deadband: float = param(0.1, min=0.0, max=0.5, doc="no change while |u - target| <= this")
    kp: float = param(1.0, min=0.0, max=20.0, doc="proportional gain (log-price per unit error)")
    ki: float = param(0.05, min=0.0, max=5.0, doc="integral gain per controller step")
    rate_up: float = param(0.10, min=0.0, max=1.0, doc="max relative rise per controller step")
    rate_down: float = param(0.05, min=0.0, max=0.99, doc="max relative fall per step")
    smoothing: float = param(0.05, min=0.01, max=1.0, doc="EWMA weight of the newest reading")
    interval_seconds: float = param(1800.0, min=0.0, max=86400.0, doc="seconds between steps")
    saturation: float = param(0.9, min=0.5, max=0.999, doc="convex rise starts above this")
    saturation_gain: float = param(2.0, min=0.0, max=20.0, doc="extra log-price at full load")
    min_multiplier: float = param(0.1, min=0.001, max=1.0, doc="lowest price / base price")
    max_multiplier: float = param(10.0, min=1.0, max=1000.0, doc="highest price / base price")
    price: int = param(10_000_000, min=1, max=MAX_PRICE, doc="base nRLC per task", unit="nRLC")
    prices: dict[int, int] = table(  # noqa: RUF009
        min=1, max=MAX_PRICE, doc="base nRLC per task by category", unit="nRLC"
    )

    def __post_init__(self) -> None:
        if self.min_multiplier > self.max_multiplier:
            raise InputError(
                "strategy.params.min_multiplier", "must be <= max_multiplier", self.min_multiplier
            )


def step_controller(
    p: UtilizationParams, u: float, log_m: float, integral: float
) -> tuple[float, float, str]:
    """One controller step: new (log_m, integral) and a reason; pure and cheap."""
    e = u - p.target
    if abs(e) <= p.deadband + 1e-12:
        return log_m, integral, f"utilization {u:.0%} within {p.deadband:.0%} of target"
    new_integral = integral + e
    convex = 0.0
    if u > p.saturation:
        convex = p.saturation_gain * ((u - p.saturation) / (1 - p.saturation)) ** 2
    desired = p.kp * e + p.ki * new_integral + convex
    up = math.log1p(p.rate_up)
    down = math.log1p(-p.rate_down)
    moved = min(max(desired, log_m + down), log_m + up)
    low, high = math.log(p.min_multiplier), math.log(p.max_multiplier)
    clamped = min(max(moved, low), high)
    why = f"utilization {u:.0%} vs target {p.target:.0%}"
    if (clamped >= high and e > 0) or (clamped <= low and e < 0):
        new_integral = integral  # anti-windup: do not push further into the bound
        why += "; at bound, integral held"
    if convex:
        why += "; near saturation"
    return clamped, new_integral, why


class UtilizationStrategy(Strategy[UtilizationParams]):
    name = "utilization"
    Params = UtilizationParams
    # A controller nudges the price up by a few percent at a time: each nudge must pay three
    # times its cancels (bot.pricing.rails.gate_raise).
    raise_gain_factor = 3.0

    def initial_state(self) -> dict[str, Any]:
        return {"log_m": 0.0, "integral": 0.0, "u_avg": None, "stepped_at": None}

    def decide(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        state: dict[str, Any],
        rng: random.Random,
    ) -> Decision:
        util = snapshot.utilization
        if util is None:
            return Decision((), state, abstain=True, reason="utilization unknown (stale)")
        p = self.params
        log_m = float(state.get("log_m", 0.0))
        integral = float(state.get("integral", 0.0))
        prev_avg = state.get("u_avg")
        u_avg = (
            util.ratio
            if prev_avg is None
            else p.smoothing * util.ratio + (1 - p.smoothing) * float(prev_avg)
        )
        stepped_at = state.get("stepped_at")
        if stepped_at is None or snapshot.at - float(stepped_at) >= p.interval_seconds:
            log_m, integral, why = step_controller(p, u_avg, log_m, integral)
            stepped_at = snapshot.at
        else:
            why = f"holding until the next controller step (smoothed utilization {u_avg:.0%})"
        m = math.exp(log_m)
        quotes = []
        for offer in offers:
            base = p.prices.get(offer.category, p.price)
            price = round(base * m)
            volume = offer_capacity(util, offer, snapshot.tasks)
            quotes.append(
                quote_for(offer, price, volume, f"{why}: x{m:.3f} of base {base}; volume {volume}")
            )
        new_state = {"log_m": log_m, "integral": integral, "u_avg": u_avg, "stepped_at": stepped_at}
        return Decision(tuple(quotes), new_state)

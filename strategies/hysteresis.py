"""Raise only when it pays for its cancels.

The planner must cancel on chain every order of ours that is cheaper than the wanted price
(unpublishing alone leaves it matchable at the old price), so each price increase costs one cancel
per cheaper order. A strategy that follows a noisy signal upwards (an undercutting competitor that
moves by a few steps, a controller nudging the price) pays that gas for a raise worth a fraction
of it. :func:`gate_raise` holds the current price unless the raise is worth it: the extra revenue
of the volume the cancelled orders still hold, ``sum((new - old) x remaining)``, must reach
``gain_factor x cancel_cost x cancelled orders``. The gain is an upper bound (the dearer order may
sell less), hence a factor >= 1. Drops are never held: they are what keeps us competitive.
``gain_factor = 0`` turns the gate off.
"""

from __future__ import annotations

from bot.pricing.rails import DEFAULT_CANCEL_GAS_COST_NRLC
from bot.pricing.snapshot import MarketSnapshot, Offer

__all__ = ["cancel_cost_param", "gate_raise"]


def cancel_cost_param() -> int:
    """The ``cancel_cost`` parameter every raise-gated strategy declares (same bounds, same doc).

    Its default is the config's ``rails.cancel_gas_cost`` (``bot.config.settings.strategy_of`` passes
    it in unless ``strategy.params`` sets its own), so the planner and the strategy weigh a
    cancel alike.
    """
    from strategies.base import MAX_PRICE, param

    return param(
        DEFAULT_CANCEL_GAS_COST_NRLC,
        min=0,
        max=MAX_PRICE,
        doc="gas of one on-chain cancel, in nRLC (default: rails.cancel_gas_cost)",
        unit="nRLC",
    )


def gate_raise(
    snapshot: MarketSnapshot,
    offer: Offer,
    price: int,
    *,
    gain_factor: float,
    cancel_cost: int,
) -> tuple[int, str]:
    """The price to quote (``price`` or the held one) and a reason suffix ("" when unchanged)."""
    if gain_factor <= 0:
        return price, ""
    orders = snapshot.own_by_slot.get(offer.slot, ())
    cheaper = [o for o in orders if o.price < price and o.remaining > 0]
    listed = [o for o in cheaper if o.published]
    if not listed:
        return price, ""
    gain = sum((price - o.price) * o.remaining for o in cheaper)
    cost = gain_factor * cancel_cost * len(cheaper)
    if gain >= cost:
        return price, ""
    held = max(listed, key=lambda o: (o.published_at, o.order_hash)).price
    return held, (
        f"; raise to {price} held at {held}: gain {gain} nRLC < {gain_factor:g} x cancel gas "
        f"{cancel_cost} x {len(cheaper)}"
    )

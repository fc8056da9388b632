"""Deprecated (goes in 0.3): the raise gate is a rail now, :func:`bot.pricing.rails.gate_raise`.

Since 0.2 the rails hold every strategy's raise unless it pays for its cancels, with the factor the
strategy declares (``Strategy.raise_gain_factor``, default 1) or ``rails.raise_gain_factor``, and
the config's ``rails.cancel_gas_cost``: a plug-in gets the gate without calling anything. This
module keeps a 0.1 plug-in that still calls the gate itself importing for one release; importing
it warns. Delete the call and the ``cancel_cost`` parameter from such a plug-in.
"""

from __future__ import annotations

import warnings

from bot.pricing import rails
from bot.pricing.snapshot import MarketSnapshot, Offer

__all__ = ["cancel_cost_param", "gate_raise"]

warnings.warn(
    "strategies.hysteresis is deprecated and goes in 0.3: the rails gate every strategy's raises "
    "now (bot.pricing.rails.gate_raise, Strategy.raise_gain_factor, rails.cancel_gas_cost)",
    DeprecationWarning,
    stacklevel=2,
)


def cancel_cost_param() -> int:
    """The 0.1 ``cancel_cost`` parameter (``bot.config.settings.strategy_of`` still fills it from
    ``rails.cancel_gas_cost`` for a plug-in that declares it, until 0.3)."""
    from strategies.base import MAX_PRICE, param

    return param(
        rails.DEFAULT_CANCEL_GAS_COST_NRLC,
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
    """The 0.1 call: :func:`bot.pricing.rails.gate_raise` for ``offer``, its detail as a reason
    suffix ("" when the price is unchanged)."""
    held, detail = rails.gate_raise(
        snapshot, offer.slot, price, gain_factor=gain_factor, cancel_cost=cancel_cost
    )
    return held, f"; {detail}" if detail else ""

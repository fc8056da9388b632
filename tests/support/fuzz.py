"""How hard the fuzz tests (tests/unit/*/test_fuzz_*.py) push: ``small`` in ``make test``,
``large`` in ``make fuzz`` (``PRICEBOT_FUZZ=large``).

``large`` runs each payload property 1,500 times (7 payload properties: 10,500 cases), each
config property 600 times (1,200 configs) and the hostile-price property 1,000 times per built-in
strategy; ``small`` a few dozen each, so ``make test`` stays quick. No deadline: a loaded machine
is no bug. Nothing here changes the settings of any other Hypothesis test.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["EXAMPLES", "PROFILE", "fuzz_settings"]

PROFILE = os.environ.get("PRICEBOT_FUZZ", "small")
if PROFILE not in ("small", "large"):
    raise RuntimeError(f"PRICEBOT_FUZZ: must be 'small' or 'large' (got {PROFILE!r})")

EXAMPLES: dict[str, int] = (
    {"payload": 1500, "config": 600, "prices": 1000}
    if PROFILE == "large"
    else {"payload": 60, "config": 40, "prices": 60}
)


def fuzz_settings(kind: str) -> settings:
    """The Hypothesis settings of one fuzz property of ``kind`` (payload, config, prices)."""
    return settings(
        max_examples=EXAMPLES[kind], deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )

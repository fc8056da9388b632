"""Hypothesis profiles for the fuzz suite: ``small`` in ``make test``, ``large`` in ``make fuzz``.

``large`` (``PRICEBOT_FUZZ=large``) runs each payload property 1,500 times (7 payload models:
10,500 cases) and each config property 600 times (1,200 configs); ``small`` runs a tenth or less
so ``make test`` stays quick. The tests read their example counts from :data:`EXAMPLES`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("PRICEBOT_FUZZ", "small")
if PROFILE not in ("small", "large"):
    raise RuntimeError(f"PRICEBOT_FUZZ: must be 'small' or 'large' (got {PROFILE!r})")

EXAMPLES = (
    {"payload": 1500, "config": 600, "prices": 1000}
    if PROFILE == "large"
    else {
        "payload": 60,
        "config": 40,
        "prices": 60,
    }
)

for name in ("small", "large"):
    settings.register_profile(
        name, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False
    )
settings.load_profile(PROFILE)

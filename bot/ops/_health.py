"""Is the bot healthy? A pure verdict over the frozen view and the time now.

Why these two rules: a scheduler that stopped running (a hung RPC call, a dead thread) is only
seen as missing runs, so the verdict is based on the last *successful* cycle and allows two
periods (Prometheus's advice for batch jobs: alert after two missed runs). A source that keeps
failing does not fail the cycle (the sampler reuses its last value), so staleness past the
rails' limit is checked on its own: that is when the rails stop acting on the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.timefmt import when
from bot.ops._view import PART_SOURCE, OpsView

__all__ = ["STARTUP_GRACE_SECONDS", "Health", "health", "startup_limit"]

STARTUP_GRACE_SECONDS = 300.0
"""Added to two periods before the first cycle: reconcile runs first and may read many orders."""


def startup_limit(view: OpsView) -> float:
    """How long after start a first successful cycle may take before the bot counts as stalled."""
    return 2 * view.reprice_seconds + STARTUP_GRACE_SECONDS


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    reason: str
    last_success_at: float | None
    age_seconds: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "failing",
            "reason": self.reason,
            "last_success_ts": self.last_success_at,
            "last_success": None
            if self.last_success_at is None or self.age_seconds is None
            else when(self.last_success_at, self.last_success_at + self.age_seconds),
            "age_s": None if self.age_seconds is None else round(self.age_seconds, 3),
        }


def health(view: OpsView, now: float) -> Health:
    """200-worthy (``ok``) or not, with the reason a person reads first."""
    limit = 2 * view.reprice_seconds
    last = view.last_success_at
    age = None if last is None else max(0.0, now - last)
    if view.stopping:
        return Health(False, "the service is stopping", last, age)
    if last is None:
        since_start = now - view.started_at
        if since_start <= startup_limit(view):
            return Health(True, "starting: no cycle yet", last, age)
        why = f": {view.last_error}" if view.last_error else ""
        return Health(
            False, f"no successful cycle in {since_start:.0f}s since start{why}", last, age
        )
    assert age is not None
    if age > limit:
        why = f"; last error: {view.last_error}" if view.last_error else ""
        return Health(
            False,
            f"no successful cycle for {age:.0f}s (more than 2 periods of "
            f"{view.reprice_seconds}s){why}",
            last,
            age,
        )
    snap = view.snapshot
    stale = sorted(() if snap is None else snap.stale)
    if stale:
        assert snap is not None
        parts = []
        for part in stale:
            sampled = view.part_sampled_at(part)
            old = "never read" if sampled is None else f"{float(snap.at) - sampled:.0f}s old"
            source = PART_SOURCE.get(part, part)
            parts.append(f"{part} ({source}, {old})")
        return Health(
            False,
            f"stale past the rails' limit of {view.stale_limit_seconds}s: " + ", ".join(parts),
            last,
            age,
        )
    state = "paused (sampling, not acting)" if view.paused else "cycles succeed"
    return Health(True, state, last, age)

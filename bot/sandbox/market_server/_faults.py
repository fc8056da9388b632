"""Fault injection: what an unreliable marketplace does to a client, on demand.

Faults are set from the server config or at run time through ``POST /_admin/faults``; they are
validated pydantic models so a typo in a test fails loudly instead of injecting nothing. A
route key is ``"<METHOD> <path template>"`` such as ``"GET /workerpoolorders"``,
``"GET /workerpoolorders/:id"``, ``"POST /workerpoolorders"``, ``"GET /challenge"``, or ``"*"``
for every route. The random draws come from one seeded generator so a run can be replayed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["FaultConfig", "RouteFault", "route_key"]


class RouteFault(BaseModel):
    """Faults for one route. Rates are probabilities in [0, 1] drawn per request.

    ``malformed_rate`` answers 200 with ``{"ok": true}`` and nothing else, as a half-deployed
    server or a proxy's page would: the client must refuse it and not ask again at once.
    ``applied_error_rate`` serves the request for real (a publish is stored, an unpublish
    applied) and then answers ``error_status`` anyway, as a gateway timing out on a slow backend
    does: the client cannot tell a write that failed from one that went through.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = 500
    latency: float = Field(default=0.0, ge=0.0, le=60.0)
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    stale_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    malformed_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    applied_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    @field_validator("error_status")
    @classmethod
    def _server_error(cls, value: int) -> int:
        if value not in (500, 502, 503, 504):
            raise ValueError("must be one of 500, 502, 503, 504")
        return value


class FaultConfig(BaseModel):
    """All injected faults.

    ``burst_429`` answers the next N requests (any route) with 429 and
    ``Retry-After: retry_after``; the count goes down as they are served. ``clients``, when
    not empty, limits every fault to those client keys (the rate limiter's: ``X-Real-IP`` by
    default), so a test can hurt the bot and spare the simulated agents.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    routes: dict[str, RouteFault] = Field(default_factory=dict)
    clients: list[str] = Field(default_factory=list)
    burst_429: int = Field(default=0, ge=0)
    retry_after: int = Field(default=1, ge=0, le=3600)
    seed: int = 0

    @field_validator("routes")
    @classmethod
    def _keys(cls, value: dict[str, RouteFault]) -> dict[str, RouteFault]:
        for key in value:
            if key == "*":
                continue
            method, _, path = key.partition(" ")
            if method not in ("GET", "POST", "PUT") or not path.startswith("/"):
                raise ValueError(f"route key {key!r} must be '*' or '<GET|POST|PUT> /path'")
        return value

    def for_route(self, key: str) -> RouteFault | None:
        return self.routes.get(key) or self.routes.get("*")


def route_key(method: str, path: str) -> str:
    """``GET /workerpoolorders/0xab..`` -> ``GET /workerpoolorders/:id``."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return f"{method} /"
    head = "/" + parts[0]
    return f"{method} {head}/:id" if len(parts) > 1 else f"{method} {head}"

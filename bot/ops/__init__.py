"""The owner's view of the running bot from afar: health, readiness, metrics, a read-only API,
alerts, and the control calls (pause, resume, reload, cancel) the service carries out.

It reads (a frozen view the service publishes after each job, and its own read-only journal
connection); what it changes is the pause flag, and it forwards reload and cancel requests to
the service, which applies them under its own lock. It never imports the executor or the
adapters' write paths (an import-linter contract says so).
"""

from bot.domain.timefmt import age_text, when
from bot.ops._alerts import (
    AlertDispatcher,
    AlertEvent,
    Sink,
    events_between,
    render,
    sinks_from_config,
)
from bot.ops._api import status_json
from bot.ops._client import OpsClient, base_url
from bot.ops._health import Health, health
from bot.ops._hub import Controls, OpsHub
from bot.ops._notify import SystemdNotifier
from bot.ops._pause import PauseFlag
from bot.ops._preflight import Check, PreflightInput, preflight_checks, readiness
from bot.ops._reader import DealTotals, JournalReader
from bot.ops._reload import LIVE_KEYS, RESTART_KEYS, ReloadPlan, plan_reload
from bot.ops._server import ENDPOINT_FILE, OpsServer, build_app
from bot.ops._view import (
    OfferFigures,
    OpsView,
    ServiceFacts,
    StepView,
    TickOutcome,
    offer_figures,
)
from bot.ops._wiring import OpsRuntime, build_ops, initial_view, package_version

__all__ = [
    "ENDPOINT_FILE",
    "LIVE_KEYS",
    "RESTART_KEYS",
    "AlertDispatcher",
    "AlertEvent",
    "Check",
    "Controls",
    "DealTotals",
    "Health",
    "JournalReader",
    "OfferFigures",
    "OpsClient",
    "OpsHub",
    "OpsRuntime",
    "OpsServer",
    "OpsView",
    "PauseFlag",
    "PreflightInput",
    "ReloadPlan",
    "ServiceFacts",
    "Sink",
    "StepView",
    "SystemdNotifier",
    "TickOutcome",
    "age_text",
    "base_url",
    "build_app",
    "build_ops",
    "events_between",
    "health",
    "initial_view",
    "offer_figures",
    "package_version",
    "plan_reload",
    "preflight_checks",
    "readiness",
    "render",
    "sinks_from_config",
    "status_json",
    "when",
]

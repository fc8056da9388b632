"""The owner's view of the running bot from afar: health, metrics, a read-only API, alerts, pause.

It reads (a frozen view the service publishes after each job, and its own read-only journal
connection); the only thing it changes is the pause flag. It never imports the executor or the
adapters' write paths (an import-linter contract says so).
"""

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
from bot.ops._hub import OpsHub
from bot.ops._notify import SystemdNotifier
from bot.ops._pause import PauseFlag
from bot.ops._reader import JournalReader
from bot.ops._server import ENDPOINT_FILE, OpsServer, build_app
from bot.ops._text import age_text, when
from bot.ops._view import OfferFigures, OpsView, offer_figures
from bot.ops._wiring import OpsRuntime, build_ops, initial_view, package_version

__all__ = [
    "ENDPOINT_FILE",
    "AlertDispatcher",
    "AlertEvent",
    "Health",
    "JournalReader",
    "OfferFigures",
    "OpsClient",
    "OpsHub",
    "OpsRuntime",
    "OpsServer",
    "OpsView",
    "PauseFlag",
    "Sink",
    "SystemdNotifier",
    "age_text",
    "base_url",
    "build_app",
    "build_ops",
    "events_between",
    "health",
    "initial_view",
    "offer_figures",
    "package_version",
    "render",
    "sinks_from_config",
    "status_json",
    "when",
]

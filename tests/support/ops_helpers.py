"""The service on the fake world with its real ops surface, and a webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.journal import SqliteJournal
from bot.app.service import PricebotService, Runtime
from bot.config.schema import config_from_mapping
from bot.config.settings import cycle_settings
from bot.engine.cycle import CyclePorts, make_executor
from bot.ops import OpsRuntime, build_ops
from strategies import create
from tests.support.fakes import NETWORK, POOL, ChainView, FakeSigner, FakeWorld

TOKEN = "test-ops-token-0123"


def config_toml(tmp_path: Path, *, floor: int = 1000, extra: str = "") -> str:
    """The same config as :func:`ops_config`, as the TOML file a reload reads again."""
    return f"""network = "local"
chain_id = {NETWORK.chain_id}
hub = "{NETWORK.hub}"
workerpool = "{POOL}"

[strategy]
name = "competitive"
params = {{ step = 1000, floor = 1000 }}

[[offers]]
category = 0
task_seconds = 300
max_volume = 10

[rails]
floor = {floor}
max_step = 0.5
stale_after_seconds = 5

[schedule]
sample_seconds = 1
reprice_seconds = 1
reconcile_seconds = 60
record_seconds = 1

[service]
journal_dir = "{tmp_path}"
low_stake_warning = "1 RLC"

[ops]
port = 0

[alerts]
sinks = [{{ kind = "json", url_env = "TEST_HOOK_URL" }}]
{extra}"""


def ops_config(tmp_path: Path, **ops: Any) -> Any:
    return config_from_mapping(
        {
            "network": "local",
            "chain_id": NETWORK.chain_id,
            "hub": NETWORK.hub,
            "workerpool": POOL,
            "strategy": {"name": "competitive", "params": {"step": 1000, "floor": 1000}},
            "offers": [{"category": 0, "task_seconds": 300, "max_volume": 10}],
            "rails": {"floor": 1000, "max_step": 0.5, "stale_after_seconds": 5},
            "schedule": {
                "sample_seconds": 1,
                "reprice_seconds": 1,
                "reconcile_seconds": 60,
                "record_seconds": 1,
            },
            "service": {"journal_dir": str(tmp_path), "low_stake_warning": "1 RLC"},
            "ops": {"port": 0, **ops},
            "alerts": {"sinks": [{"kind": "json", "url_env": "TEST_HOOK_URL"}]},
        }
    )


def make_service(
    tmp_path: Path,
    world: FakeWorld,
    hook_url: str,
    *,
    token: str | None = TOKEN,
    extra_env: dict[str, str] | None = None,
    config_path: Path | None = None,
    **ops: Any,
) -> tuple[PricebotService, OpsRuntime]:
    cfg = ops_config(tmp_path, **ops)
    journal = SqliteJournal(tmp_path / "journal-live.sqlite")
    ports = CyclePorts(world.clock, world, world, ChainView(world), FakeSigner(), world, journal)
    settings = cycle_settings(cfg, live=True)
    executor = make_executor(ports, settings)
    strategy = create("competitive", {"step": 1000, "floor": 1000})
    runtime = Runtime(cfg, NETWORK, ports, settings, strategy, executor, journal, [journal.close])
    env = {"TEST_HOOK_URL": hook_url, **(extra_env or {})}
    if token is not None:
        env["PRICEBOT_OPS_TOKEN"] = token
    ops_runtime = build_ops(
        cfg,
        settings,
        journal_path=journal.path,
        clock=world.clock.now,
        environ=env,
        expected_owner=FakeSigner().address,
    )
    service = PricebotService(runtime, seed=1, ops=ops_runtime, config_path=config_path)
    return service, ops_runtime


@contextmanager
def serving(
    tmp_path: Path, world: FakeWorld, hook_url: str, **kw: Any
) -> Iterator[tuple[PricebotService, OpsRuntime, str]]:
    """The service of :func:`make_service` with its ops server started (stopped and the journal
    closed on the way out, whatever the test did)."""
    service, ops = make_service(tmp_path, world, hook_url, **kw)
    url = ops.start()
    assert url is not None
    try:
        yield service, ops, url
    finally:
        ops.stop()
        service.runtime.close()


class Receiver:
    """A webhook receiver on 127.0.0.1: keeps every JSON body it is sent."""

    def __init__(self) -> None:
        bodies: list[dict[str, Any]] = []
        self.bodies = bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.bodies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def metric_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """A /metrics page parsed by prometheus_client: (name, sorted labels) -> value."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out

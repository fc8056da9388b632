"""Start and stop a local anvil node on a free loopback port.

anvil comes from npm (``@foundry-rs/anvil``, fetched by ``make setup`` into ``.cache/``); it is a
single static binary that answers JSON-RPC within about 0.1 s, supports ``evm_snapshot`` /
``evm_revert``, mining controls and ``anvil_setCode`` / ``anvil_setStorageAt`` (which the hub
relocation needs). A node is always run under a context manager so the process is stopped even
when the code using it fails.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.domain.errors import ConfigError, InputError, TransientError

__all__ = [
    "ANVIL_KEYS",
    "DEFAULT_CHAIN_ID",
    "AnvilNode",
    "anvil_binary",
    "cache_dir",
    "free_port",
    "repo_root",
    "rpc_batch",
    "rpc_call",
    "run_anvil",
]

DEFAULT_CHAIN_ID = 31337
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0

# anvil's default mnemonic ("test test ... junk") accounts #0-#9: well-known public test keys.
ANVIL_KEYS: tuple[str, ...] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)


def repo_root() -> Path:
    """The checkout this package runs from (bot/sandbox/anvil.py -> three levels up)."""
    return Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Where ``make setup`` put third-party tools: ``$PRICEBOT_CACHE`` or ``<repo>/.cache``."""
    env = os.environ.get("PRICEBOT_CACHE")
    return Path(env) if env else repo_root() / ".cache"


def anvil_binary() -> Path:
    """The anvil binary from the npm platform package, or a ConfigError saying how to get it."""
    base = cache_dir() / "npm" / "node_modules" / "@foundry-rs"
    for candidate in sorted(base.glob("anvil-linux-*/bin/anvil")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ConfigError(
        f"anvil not found under {base}/anvil-linux-*/bin/ : run `make setup` "
        "(or set PRICEBOT_CACHE to a folder that holds npm/node_modules/@foundry-rs)"
    )


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc_call(url: str, method: str, params: Sequence[Any] = (), timeout: float = 10.0) -> Any:
    """One raw JSON-RPC call: for anvil-only methods web3.py has no wrapper for."""
    try:
        resp = httpx.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise TransientError(f"{method} on {url}: {exc}") from exc
    body = resp.json()
    if "error" in body:
        raise ConfigError(f"{method} on {url} failed: {body['error']}")
    return body["result"]


def rpc_batch(
    url: str, calls: Sequence[tuple[str, Sequence[Any]]], timeout: float = 30.0
) -> list[Any]:
    """Many JSON-RPC calls in one HTTP request (e.g. the ~150 storage writes of a relocation)."""
    payload = [
        {"jsonrpc": "2.0", "id": i, "method": method, "params": list(params)}
        for i, (method, params) in enumerate(calls)
    ]
    if not payload:
        return []
    try:
        resp = httpx.post(url, json=payload, timeout=timeout)
    except httpx.HTTPError as exc:
        raise TransientError(f"JSON-RPC batch on {url}: {exc}") from exc
    answers = sorted(resp.json(), key=lambda a: int(a["id"]))
    errors = [a["error"] for a in answers if "error" in a]
    if errors:
        raise ConfigError(f"JSON-RPC batch on {url} failed: {errors[0]}")
    return [a["result"] for a in answers]


@dataclass(frozen=True, slots=True)
class AnvilNode:
    """A running anvil: where to reach it and which chain id it reports."""

    rpc_url: str
    port: int
    chain_id: int
    pid: int

    def call(self, method: str, *params: Any) -> Any:
        return rpc_call(self.rpc_url, method, params)

    def snapshot(self) -> str:
        return str(self.call("evm_snapshot"))

    def revert(self, snapshot_id: str) -> None:
        if not self.call("evm_revert", snapshot_id):
            raise ConfigError(f"evm_revert({snapshot_id}) refused: snapshot unknown or used")


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_ready(proc: subprocess.Popen[bytes], url: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            rpc_call(url, "eth_chainId", timeout=1.0)
            return proc.poll() is None
        except (TransientError, ValueError):
            time.sleep(0.02)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_TIMEOUT_S)


@contextlib.contextmanager
def run_anvil(
    chain_id: int = DEFAULT_CHAIN_ID,
    *,
    port: int | None = None,
    state_file: Path | None = None,
    extra_args: Sequence[str] = (),
    attempts: int = 3,
) -> Iterator[AnvilNode]:
    """Run anvil on 127.0.0.1 until the block exits; the process is stopped even on failure.

    ``state_file`` is passed as ``--state`` (loaded if present, written back on exit). A port
    picked by the OS can be taken by someone else before anvil binds it, so a start that dies
    early is retried on a fresh port.
    """
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise InputError("chain_id", "must be a positive integer", chain_id)
    binary = anvil_binary()
    last_err = ""
    for _ in range(attempts if port is None else 1):
        chosen = port if port is not None else free_port()
        if _listening(chosen):  # else we would take another node's answers for our own
            if port is not None:
                raise ConfigError(f"127.0.0.1:{port} is already in use: choose another --port")
            continue
        args = [
            str(binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(chosen),
            "--chain-id",
            str(chain_id),
            "--silent",
        ]
        if state_file is not None:
            args += ["--state", str(state_file)]
        args += list(extra_args)
        # stderr goes to a file, not a pipe: a pipe nobody drains could block a chatty node
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors
            )
            try:
                url = f"http://127.0.0.1:{chosen}"
                if _wait_ready(proc, url, time.monotonic() + READY_TIMEOUT_S):
                    yield AnvilNode(rpc_url=url, port=chosen, chain_id=chain_id, pid=proc.pid)
                    return
                _stop(proc)
                errors.seek(0)
                last_err = errors.read().decode(errors="replace")[-500:]
            finally:
                _stop(proc)
    raise ConfigError(f"anvil did not start on 127.0.0.1: {last_err.strip() or 'no output'}")

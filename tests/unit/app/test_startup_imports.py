"""Commands start without web3, eth-account or py_ecc (issue #20).

Structural, not timed: a fresh interpreter runs the command and lists what it imported. web3
costs ~0.7 s to import; any part of eth-account imports eth-keyfile, whose py_ecc.bls computes
BLS12-381 pairing constants at import (0.3-0.5 s) that the bot never uses. Commands that need
no chain import none of them; ``once --live`` and the service (which do) reach the chain
through the adapter's own JSON-RPC client and transaction signer, so they import none either.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("web3", "eth_account", "eth_keyfile", "py_ecc", "aiohttp", "apscheduler")
CHAIN_HEAVY = ("web3", "eth_account", "eth_keyfile", "py_ecc", "aiohttp", "requests")
"""What the live path must not import (APScheduler is the service's scheduler)."""
OWNER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil #1
ORDER = {
    "workerpool": "0xdc975c2c24f484d36f4c5adcbeaa5e3151ce6248",
    "workerpoolprice": 20000000,
    "volume": 1,
    "tag": "0x" + "00" * 32,
    "category": 0,
    "trust": 0,
    "apprestrict": "0x" + "00" * 20,
    "datasetrestrict": "0x" + "00" * 20,
    "requesterrestrict": "0x" + "00" * 20,
    "salt": "0x" + "11" * 32,
}

# Runs the CLI as `pricebot` would, then prints the heavy top-level packages it imported.
PROBE = """
import json, sys
from bot.app.cli import main
sys.argv = ["pricebot", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
names = json.loads(os.environ["HEAVY"])  # packages; a dotted name counts with its submodules
heavy = sorted({h for h in names for m in sys.modules if m == h or m.startswith(h + ".")})
sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
"""


def imported(*args: str, heavy: tuple[str, ...] = HEAVY, probe: str = PROBE) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HEAVY=json.dumps(heavy))
    env["PRICEBOT_PRIVATE_KEY"] = OWNER_KEY
    env["PRICEBOT_GAS_PRIVATE_KEY"] = OWNER_KEY
    proc = subprocess.run(
        [sys.executable, "-c", "import os\n" + probe, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    line = [x for x in proc.stderr.splitlines() if x.startswith("HEAVY=")]
    assert line, proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]
    return list(json.loads(line[-1].removeprefix("HEAVY=")))


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["order", "hash", "-n", "bellecour", "{order}"],
        ["order", "sign", "-n", "bellecour", "{order}"],
        ["order", "verify", "-n", "bellecour", "{signed}"],
        ["config", "check", str(ROOT / "config" / "example.toml")],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_commands_without_a_chain_import_no_web3_nor_bls(
    command: list[str], tmp_path: Path
) -> None:
    order = tmp_path / "order.json"
    order.write_text(json.dumps(ORDER))
    signed = tmp_path / "signed.json"
    from bot.domain.model import WorkerpoolOrder
    from bot.domain.networks import get_network
    from bot.domain.signing import sign_order

    network = get_network("bellecour")
    s = sign_order(network, WorkerpoolOrder(**ORDER), OWNER_KEY)
    signed.write_text(json.dumps({**ORDER, "sign": s.sign, "orderHash": s.order_hash}))
    args = [a.format(order=order, signed=signed) for a in command]
    assert imported(*args) == []


def test_once_live_imports_no_web3(tmp_path: Path) -> None:
    """``once --live`` builds every live adapter (chain, wallet, task feed, marketplace, core)
    before its first request; here the endpoints are a closed port, so it stops at the chain's
    verification, after those imports."""
    from bot.sandbox.anvil import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    text = (ROOT / "config" / "sandbox.toml").read_text()
    text = re.sub(r"^(rpc_urls = )\[.*?\]", rf'\1["{dead}"]', text, flags=re.M)
    text = re.sub(r'^((?:market|core)_url = )".*?"', rf'\1"{dead}"', text, flags=re.M)
    text = re.sub(
        r'^journal_dir = ".*?"', f'journal_dir = "{tmp_path / "journal"}"', text, flags=re.M
    )
    config = tmp_path / "live.toml"
    config.write_text(text)
    # nor APScheduler (``once`` never schedules: the service builds its scheduler on first use)
    # nor the ops surface (its server, metrics and alerts serve the running service only)
    heavy = (*CHAIN_HEAVY, "apscheduler", "bot.ops", "prometheus_client")
    assert imported("once", "--live", "-c", str(config), heavy=heavy) == []


SERVICE_PROBE = """
import importlib, json, sys
from bot.app.crash_loop import _PRELOAD
for name in _PRELOAD:
    importlib.import_module(name)
names = json.loads(os.environ["HEAVY"])  # packages; a dotted name counts with its submodules
heavy = sorted({h for h in names for m in sys.modules if m == h or m.startswith(h + ".")})
sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
"""


def test_the_service_imports_no_web3() -> None:
    """What ``pricebot run`` loads before its first request (the crash loop's preload list)."""
    assert imported(heavy=CHAIN_HEAVY, probe=SERVICE_PROBE) == []

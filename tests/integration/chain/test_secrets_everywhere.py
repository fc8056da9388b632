"""The keys never leave the process: every command, every outcome, every file, grepped.

Replaces a check of a fake signer's hard-coded repr with the real thing: the real ``pricebot``
script runs every command against the local chain and marketplace, with the owner and gas keys
in the environment and the owner key in a keystore, on the happy paths, the failing ones (wrong
key, malformed key, key pasted into the config, dead RPC, bad password) and a crashing one (the
journal directory is a file), with verbose logging where a command has it. Then every byte
written (stdout, stderr, journals with their -wal/-shm files, anything else under the test's
directory, including copies taken while ``run`` was live) and what the marketplace and the core
serve afterwards is searched for each key: with or without 0x, in any case, and as raw bytes.
Zero hits.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from eth_account import Account

from tests.integration.sandbox.test_live_local import RIVAL_PRICE, Stack, stack  # noqa: F401 - the fixture
from tests.plugins.chain import OWNER_KEY, RELAYER_KEY, STRANGER_KEY

pytestmark = [pytest.mark.chain]

KEYS = {"owner": OWNER_KEY, "gas": RELAYER_KEY, "stranger": STRANGER_KEY}
SCRIPT = Path(sys.executable).with_name("pricebot")
PASSWORD = "correct horse battery staple"


def leaks(data: bytes) -> list[str]:
    """Which of KEYS ``data`` holds, as hex (0x or not, any case) or as the raw 32 bytes."""
    low = data.lower()
    found = []
    for name, key in KEYS.items():
        digits = key.removeprefix("0x").lower()
        if digits.encode() in low or bytes.fromhex(digits) in data:
            found.append(name)
    return found


class Recorder:
    """Runs the real script and keeps everything it printed, for the final grep."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.outputs: list[tuple[str, bytes]] = []

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        result = subprocess.run(
            [str(SCRIPT), *args],
            input=stdin,
            capture_output=True,
            env={**self.env, **(env or {})},
            timeout=180,
            check=False,
        )
        self.outputs.append((" ".join(args), result.stdout + b"\n" + result.stderr))
        return result


def write_config(live: Stack, name: str, replace: dict[str, str]) -> str:
    text = live.config_path.read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = live.config_path.with_name(name)
    path.write_text(text)
    return str(path)


def run_until_published(run: Recorder, config: str, copies: Path, live: Stack) -> int:
    """``run --live -v``; copy every journal file (and its -wal) while it is live; SIGTERM."""
    out_file, err_file = copies.with_suffix(".out"), copies.with_suffix(".err")
    with out_file.open("wb") as out, err_file.open("wb") as err:
        proc = subprocess.Popen(
            [str(SCRIPT), "run", "--config", config, "--live", "-v"],
            env=run.env,
            stdout=out,
            stderr=err,
        )
        try:
            deadline = time.time() + 90
            while time.time() < deadline and proc.poll() is None:
                if err_file.read_bytes().count(b"decision") >= 2:  # two ticks are in the WAL
                    break
                time.sleep(0.3)
            copies.mkdir()
            for file in live.journal_dir.rglob("*"):
                if file.is_file():
                    shutil.copy(file, copies / file.name)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    run.outputs.append(("run --live -v", out_file.read_bytes() + b"\n" + err_file.read_bytes()))
    assert b"decision" in err_file.read_bytes(), err_file.read_bytes()[-3000:]
    assert any(p.name.endswith("-wal") for p in copies.iterdir()), "no WAL seen while live"
    return proc.returncode


def offline_commands(run: Recorder, live: Stack, tmp_path: Path, keystore: Path) -> None:
    """The commands that write nothing the live ones read (no chain write, no shared journal):
    orders signed offline, keys refused before any connection, a config refused on load, a
    journal directory that is a file. They run beside the live sequence (each command is its own
    process, so the two lanes share the two cores: 164 s against 222 s side by side at load 14);
    each still asserts its own exit code, and its output joins the final grep."""
    cfg = str(live.config_path)
    assert run("config", "check", cfg).returncode == 0
    assert run("strategies").returncode == 0

    # -- orders, offline --------------------------------------------------------------------------
    order = tmp_path / "order.json"
    assert run("order", "init", "-n", "bellecour", "--workerpool", live.workerpool, "--out",
               str(order)).returncode == 0  # fmt: skip
    signed = run("order", "sign", "-n", "bellecour", str(order))
    assert signed.returncode == 0
    (tmp_path / "signed.json").write_bytes(signed.stdout)
    assert run("order", "verify", "-n", "bellecour", str(tmp_path / "signed.json")).returncode == 0
    assert run("order", "hash", "-n", "bellecour", str(order)).returncode == 0
    legacy = json.loads(order.read_text()) | {"tag": ["tee", "gramine"], "trust": 1}
    (tmp_path / "legacy.json").write_text(json.dumps(legacy))
    assert run("order", "sign", "-n", "bellecour", str(tmp_path / "legacy.json")).returncode == 3

    # -- the owner key from a keystore, offline ----------------------------------------------------
    no_owner_env = {"PRICEBOT_PRIVATE_KEY": ""}
    sign_ks = ("order", "sign", "-n", "bellecour", str(order), "--keystore", str(keystore))
    password = keystore.with_name("owner.password")
    assert run(*sign_ks, "--password-file", str(password), env=no_owner_env).returncode == 0
    wrong = tmp_path / "wrong.password"
    wrong.write_text("nope")
    assert run(*sign_ks, "--password-file", str(wrong), env=no_owner_env).returncode == 2

    # -- failing paths refused before any connection -----------------------------------------------
    for broken in (OWNER_KEY + "0", OWNER_KEY[:-1], "0X" + OWNER_KEY[2:].upper() + "zz"):
        env = {"PRICEBOT_PRIVATE_KEY": broken}
        assert run("once", "--config", cfg, "--live", "-v", env=env).returncode == 2
        assert run("order", "sign", "-n", "bellecour", str(order), env=env).returncode == 2
    pasted = write_config(live, "pasted.toml", {'floor = "0.001 RLC"': f'floor = "0X{OWNER_KEY}"'})
    assert run("config", "check", pasted).returncode == 2
    assert run("once", "--config", pasted, "--live", "-v").returncode == 2

    # -- a crashing path: the journal directory is a file -----------------------------------------
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    crash = write_config(live, "crash.toml", {str(live.journal_dir): str(blocker)})
    assert run("once", "--config", crash, "--live", "-v").returncode != 0


def test_no_key_in_any_output_log_or_file(stack: Stack, tmp_path: Path) -> None:  # noqa: F811
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PRICEBOT_")}
    run = Recorder({**base_env, **stack.env})
    cfg = str(stack.config_path)
    stack.publish_rival(RIVAL_PRICE)
    # A real pbkdf2 keystore; 8,192 rounds rather than eth-account's 1,000,000, which cost each
    # command that opens it about a second of CPU and tests nothing more about leaks.
    keystore = tmp_path / "owner.keystore.json"
    keystore.write_text(
        json.dumps(Account.encrypt(OWNER_KEY, PASSWORD, kdf="pbkdf2", iterations=8192))
    )
    password = tmp_path / "owner.password"
    password.write_text(PASSWORD + "\n")

    with ThreadPoolExecutor(max_workers=1) as beside:
        offline = beside.submit(offline_commands, run, stack, tmp_path, keystore)

        # -- happy paths, keys from the environment ---------------------------------------------
        assert run("config", "check", cfg, "--online").returncode == 0
        assert run("once", "--config", cfg, "-v").returncode == 0  # dry-run
        assert run("once", "--config", cfg, "--live", "-v").returncode == 0
        assert run("status", "--config", cfg).returncode == 0
        assert run("record", "--config", cfg, "--count", "2").returncode == 0
        from bot.adapters.journal import journal_path

        recorded = str(journal_path(stack.journal_dir, live=False))
        replay = ("backtest", "--replay", recorded, "--config", cfg, "--no-references")
        assert run(*replay, "--out", str(tmp_path / "replay")).returncode == 0
        assert run_until_published(run, cfg, tmp_path / "while-live", stack) == 0
        assert run("withdraw", "--config", cfg, "--cancel").returncode == 0
        assert run("prune", "--config", cfg, "--keep-days", "1").returncode == 0

        # -- the owner key from a keystore, on line ----------------------------------------------
        ks_cfg = write_config(
            stack,
            "keystore.toml",
            {
                'owner = { env = "PRICEBOT_PRIVATE_KEY" }': (
                    f'owner = {{ keystore = "{keystore}", password_file = "{password}" }}'
                )
            },
        )
        no_owner_env = {"PRICEBOT_PRIVATE_KEY": ""}
        assert run("config", "check", ks_cfg, "--online", env=no_owner_env).returncode == 0
        assert run("once", "--config", ks_cfg, "--live", "-v", env=no_owner_env).returncode == 0
        assert run("status", "--config", ks_cfg, env=no_owner_env).returncode == 0

        # -- failing paths that reach the chain or the journal ------------------------------
        stranger = {"PRICEBOT_PRIVATE_KEY": STRANGER_KEY}  # not the pool's owner
        assert run("once", "--config", cfg, "--live", "-v", env=stranger).returncode != 0
        assert run("run", "--config", cfg, "--live", "-v", env=stranger).returncode == 2
        assert run("config", "check", cfg, "--online", env=stranger).returncode == 1
        dead_rpc = write_config(stack, "dead.toml", {stack.poco.rpc_url: "http://127.0.0.1:9"})
        assert run("once", "--config", dead_rpc, "--live", "-v").returncode != 0
        offline.result()  # its assertion errors surface here

    # -- what the services serve: the marketplace's answers and the core's /metrics ----------------
    import httpx

    from bot.config.schema import load_config

    chain_id = stack.poco.chain_id
    core_url = load_config(stack.config_path, check_strategy=False).endpoints.core_url
    assert core_url is not None
    for url in (
        f"{stack.market.url}/workerpoolorders?chainId={chain_id}&workerpool={stack.workerpool}",
        f"{stack.market.url}/workerpoolorders?chainId={chain_id}",
        f"{stack.market.url}/deals?chainId={chain_id}",
        f"{core_url.rstrip('/')}/metrics",
    ):
        answer = httpx.get(url, timeout=30)
        run.outputs.append((f"GET {url}", answer.content))

    # -- the grep ----------------------------------------------------------------------------------
    hits = [(what, leaks(out)) for what, out in run.outputs if leaks(out)]
    assert hits == [], hits
    pasted = tmp_path / "pasted.toml"
    ours = {keystore, pasted}  # what the test itself wrote: encrypted, or the bad config
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p not in ours]
    journals = [p for p in files if ".sqlite" in p.name or p.name.endswith(("-wal", "-shm"))]
    assert journals, "no journal file was written"
    bad_files = [(str(p), leaks(p.read_bytes())) for p in files if leaks(p.read_bytes())]
    assert bad_files == [], bad_files

"""The `pricebot order` and `pricebot config` contracts, through CliRunner and the real script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from typer.testing import CliRunner

from bot.app.cli import app
from bot.domain.networks import get_network
from bot.domain.order_io import order_from_mapping
from bot.domain.signing import hash_order, recover_signer
from tests.support import vectors as v

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config" / "example.toml"
PUBLIC = ["arbitrum-mainnet", "arbitrum-sepolia-testnet", "bellecour"]
LOCAL_133 = ["--network", "local", "--chain-id", "133", "--hub", v.BELLECOUR_HUB]
ENV1 = {"PRICEBOT_PRIVATE_KEY": v.ANVIL_KEY_1, "PRICEBOT_KEYSTORE_PASSWORD": None}
FIELDS = list(v.GOLDEN_ORDER)

runner = CliRunner()


def write(tmp_path: Path, data: Any, name: str = "order.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def invoke(*args: str, env: dict[str, str | None] | None = None, input: str | None = None) -> Any:
    result = runner.invoke(app, list(args), env=env or {"PRICEBOT_PRIVATE_KEY": None}, input=input)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result


# -- order hash -------------------------------------------------------------------------------


@pytest.mark.parametrize("network", PUBLIC)
def test_hash_sdk_vector_on_each_public_network(tmp_path: Path, network: str) -> None:
    result = invoke("order", "hash", "--network", network, write(tmp_path, v.SDK_ORDER))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == v.SDK_HASH[network]


def test_hash_reads_stdin_and_iexec_json(tmp_path: Path) -> None:
    doc = json.dumps({"order": {"workerpoolorder": {**v.GOLDEN_ORDER, "workerpoolprice": "1 RLC"}}})
    result = invoke("order", "hash", "-n", "bellecour", "-", input=doc)
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == v.GOLDEN_HASH


def test_hash_applies_no_rule(tmp_path: Path) -> None:
    gramine = {**v.GOLDEN_ORDER, "tag": ["tee", "gramine"]}
    result = invoke("order", "hash", "-n", "bellecour", write(tmp_path, gramine))
    assert result.exit_code == 0
    expected = hash_order(get_network("bellecour"), order_from_mapping(gramine))
    assert result.stdout.splitlines()[-1] == expected


def test_hash_local_needs_chain_id_and_hub(tmp_path: Path) -> None:
    result = invoke("order", "hash", "-n", "local", write(tmp_path, v.COMMONS_ORDER))
    assert result.exit_code == 2 and "--chain-id" in result.stderr and result.stdout == ""
    result = invoke("order", "hash", *LOCAL_133, write(tmp_path, v.COMMONS_ORDER))
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == v.COMMONS_DIGEST


def test_hash_errors_name_the_field(tmp_path: Path) -> None:
    no_salt = {k: val for k, val in v.GOLDEN_ORDER.items() if k != "salt"}
    result = invoke("order", "hash", "-n", "bellecour", write(tmp_path, no_salt))
    assert result.exit_code == 2 and "salt: is required" in result.stderr
    result = invoke(
        "order", "hash", "-n", "bellecour", write(tmp_path, {**v.GOLDEN_ORDER, "volume": -2})
    )
    assert result.exit_code == 2 and "volume:" in result.stderr
    (tmp_path / "bad.json").write_text("{nope")
    result = invoke("order", "hash", "-n", "bellecour", str(tmp_path / "bad.json"))
    assert result.exit_code == 2 and "not valid JSON" in result.stderr
    result = invoke("order", "hash", "-n", "bellecour", str(tmp_path / "absent.json"))
    assert result.exit_code == 2 and "cannot read" in result.stderr


# -- order sign -------------------------------------------------------------------------------


def test_sign_golden_vector_prints_one_json_object(tmp_path: Path) -> None:
    result = invoke("order", "sign", "-n", "bellecour", write(tmp_path, v.GOLDEN_ORDER), env=ENV1)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1
    out = json.loads(result.stdout)
    assert list(out) == [*FIELDS, "sign", "orderHash"]
    assert out["sign"] == v.GOLDEN_SIGN and out["orderHash"] == v.GOLDEN_HASH
    assert out["salt"] == v.GOLDEN_ORDER["salt"]  # kept as given


def test_sign_chain_133_public_vector(tmp_path: Path) -> None:
    env = {"PRICEBOT_PRIVATE_KEY": v.COMMONS_KEY}
    result = invoke("order", "sign", *LOCAL_133, write(tmp_path, v.COMMONS_ORDER), env=env)
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["sign"] == v.COMMONS_SIGN and out["orderHash"] == v.COMMONS_DIGEST


def test_sign_without_salt_draws_a_fresh_one(tmp_path: Path) -> None:
    no_salt = write(tmp_path, {k: val for k, val in v.GOLDEN_ORDER.items() if k != "salt"})
    outs = [
        json.loads(invoke("order", "sign", "-n", "bellecour", no_salt, env=ENV1).stdout)
        for _ in range(2)
    ]
    assert outs[0]["salt"] != outs[1]["salt"]
    assert outs[0]["orderHash"] != outs[1]["orderHash"]
    for out in outs:
        assert recover_signer(out["orderHash"], out["sign"]) == v.ANVIL_ADDR_1


def test_sign_numbers_as_strings(tmp_path: Path) -> None:
    result = invoke(
        "order",
        "sign",
        "-n",
        "bellecour",
        "--numbers",
        "str",
        write(tmp_path, v.GOLDEN_ORDER),
        env=ENV1,
    )
    out = json.loads(result.stdout)
    assert out["workerpoolprice"] == "1000000000" and out["orderHash"] == v.GOLDEN_HASH


@pytest.mark.parametrize(
    ("network", "tag", "trust", "rule"),
    [
        ("bellecour", ["tee", "gramine"], 1, "bellecour-gramine-reserved"),
        ("bellecour", ["tee", "tdx"], 1, "bellecour-tag"),
        ("arbitrum-mainnet", ["tee", "scone"], 1, "arbitrum-legacy-tee"),
        ("arbitrum-sepolia-testnet", ["tee", "tdx"], 0, "tee-trust"),
        ("arbitrum-mainnet", ["tdx"], 0, "arbitrum-tag"),
    ],
)
def test_sign_refused_by_rule_exits_3_with_nothing_on_stdout(
    tmp_path: Path, network: str, tag: list[str], trust: int, rule: str
) -> None:
    file = write(tmp_path, {**v.GOLDEN_ORDER, "tag": tag, "trust": trust})
    result = invoke("order", "sign", "-n", network, file, env=ENV1)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert f"[{rule}]" in result.stderr


def test_sign_refused_category(tmp_path: Path) -> None:
    result = invoke(
        "order",
        "sign",
        "-n",
        "arbitrum-mainnet",
        write(tmp_path, {**v.GOLDEN_ORDER, "category": 9}),
        env=ENV1,
    )
    assert (result.exit_code, result.stdout) == (3, "") and "[category-unknown]" in result.stderr


def test_sign_rule_checked_before_the_key(tmp_path: Path) -> None:
    file = write(tmp_path, {**v.GOLDEN_ORDER, "tag": ["tee", "gramine"], "trust": 1})
    result = invoke("order", "sign", "-n", "bellecour", file)  # no key at all
    assert result.exit_code == 3


def test_sign_without_key_is_a_config_error(tmp_path: Path) -> None:
    result = invoke("order", "sign", "-n", "bellecour", write(tmp_path, v.GOLDEN_ORDER))
    assert result.exit_code == 2 and result.stdout == ""
    assert "PRICEBOT_PRIVATE_KEY is not set" in result.stderr


def test_sign_with_keystore(tmp_path: Path) -> None:
    keystore = tmp_path / "ks.json"
    keystore.write_text(
        json.dumps(Account.encrypt(v.ANVIL_KEY_1, "pw", kdf="pbkdf2", iterations=16))
    )
    password = tmp_path / "pw.txt"
    password.write_text("pw\n")
    file = write(tmp_path, v.GOLDEN_ORDER)
    args = ["order", "sign", "-n", "bellecour", file, "--keystore", str(keystore)]
    result = invoke(*args, "--password-file", str(password))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sign"] == v.GOLDEN_SIGN
    result = invoke(*args, env={"PRICEBOT_KEYSTORE_PASSWORD": "pw"})
    assert json.loads(result.stdout)["sign"] == v.GOLDEN_SIGN
    result = invoke(*args, env={"PRICEBOT_KEYSTORE_PASSWORD": "wrong"})
    assert result.exit_code == 2 and "wrong password" in result.stderr


def test_sign_output_never_contains_the_key(tmp_path: Path) -> None:
    result = invoke("order", "sign", "-n", "bellecour", write(tmp_path, v.GOLDEN_ORDER), env=ENV1)
    assert v.ANVIL_KEY_1[2:] not in result.output


# -- order verify -----------------------------------------------------------------------------


def test_verify_prints_signer(tmp_path: Path) -> None:
    signed = {**v.COMMONS_ORDER, "sign": v.COMMONS_SIGN, "orderHash": v.COMMONS_DIGEST}
    result = invoke("order", "verify", *LOCAL_133, write(tmp_path, signed))
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == v.COMMONS_ADDRESS
    compact = {**v.COMMONS_ORDER, "sign": v.COMMONS_SIGN_2098}
    result = invoke(
        "order", "verify", *LOCAL_133, write(tmp_path, compact), "--expect", v.COMMONS_ADDRESS
    )
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == v.COMMONS_ADDRESS


def test_verify_marketplace_record(tmp_path: Path) -> None:
    record = {
        "orderHash": v.GOLDEN_HASH,
        "chainId": 134,
        "status": "open",
        "order": {**v.GOLDEN_ORDER, "sign": v.GOLDEN_SIGN},
    }
    result = invoke("order", "verify", "-n", "bellecour", write(tmp_path, record))
    assert result.exit_code == 0 and result.stdout.strip() == v.ANVIL_ADDR_1


def test_verify_refusals(tmp_path: Path) -> None:
    signed = {**v.GOLDEN_ORDER, "sign": v.GOLDEN_SIGN, "orderHash": v.GOLDEN_HASH}
    result = invoke("order", "verify", "-n", "arbitrum-mainnet", write(tmp_path, signed))
    assert result.exit_code == 2 and "orderHash: does not match" in result.stderr
    result = invoke(
        "order", "verify", "-n", "bellecour", write(tmp_path, signed), "--expect", v.ANVIL_ADDR_0
    )
    assert result.exit_code == 2 and "expected" in result.stderr
    result = invoke("order", "verify", "-n", "bellecour", write(tmp_path, v.GOLDEN_ORDER))
    assert result.exit_code == 2 and "sign: is required" in result.stderr
    result = invoke(
        "order", "verify", "-n", "bellecour", write(tmp_path, {**v.GOLDEN_ORDER, "sign": "0x1234"})
    )
    assert result.exit_code == 2 and "sign:" in result.stderr


# -- order init -------------------------------------------------------------------------------


def test_init_then_sign(tmp_path: Path) -> None:
    out = tmp_path / "tpl.json"
    result = invoke(
        "order",
        "init",
        "-n",
        "arbitrum-mainnet",
        "--workerpool",
        v.GOLDEN_ORDER["workerpool"],
        "--price",
        "0.25 RLC",
        "--tag",
        "tee,tdx",
        "--trust",
        "1",
        "--category",
        "2",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    template = json.loads(out.read_text())
    assert template["workerpoolprice"] == 250_000_000 and template["tag"].endswith("09")
    assert len(template["salt"]) == 66 and template["salt"] != v.ZERO32
    signed = json.loads(
        invoke("order", "sign", "-n", "arbitrum-mainnet", str(out), env=ENV1).stdout
    )
    assert signed["salt"] == template["salt"]
    again = invoke("order", "init", "-n", "arbitrum-mainnet", "--out", str(out))
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_init_placeholder_template_must_be_filled_in_before_signing(tmp_path: Path) -> None:
    out = tmp_path / "tpl.json"
    assert invoke("order", "init", "-n", "bellecour", "--out", str(out)).exit_code == 0
    result = invoke("order", "sign", "-n", "bellecour", str(out), env=ENV1)
    assert result.exit_code == 3 and result.stdout == "" and "[workerpool-zero]" in result.stderr


def test_init_iexec_format_and_fresh_salts() -> None:
    first = json.loads(invoke("order", "init", "-n", "bellecour", "--format", "iexec").stdout)
    second = json.loads(invoke("order", "init", "-n", "bellecour", "--format", "iexec").stdout)
    body = first["order"]["workerpoolorder"]
    assert body["tag"] == [] and body["volume"] == "1"
    assert body["salt"] != second["order"]["workerpoolorder"]["salt"]


def test_init_refuses_forbidden_terms() -> None:
    result = invoke("order", "init", "-n", "bellecour", "--tag", "tee,gramine", "--trust", "1")
    assert (
        result.exit_code == 3
        and result.stdout == ""
        and "[bellecour-gramine-reserved]" in result.stderr
    )


# -- config check -----------------------------------------------------------------------------


def test_config_check_example() -> None:
    result = invoke("config", "check", str(EXAMPLE))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "floor 1000000 nRLC (0.001 RLC/task)" in text
    assert "strategy  robust" in text  # the default strategy
    assert "raise gate: a raise must gain 1 x its cancels' gas (robust's own)" in text
    assert "ceiling   cat 1 (S, 1200 s): 1000000000 nRLC = 1 RLC/task = 3 RLC/h" in text


def test_config_check_fixed_single_price_and_inexact_hourly(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text(
        f'network = "bellecour"\nworkerpool = "{v.GOLDEN_ORDER["workerpool"]}"\n'
        '[strategy]\nname = "fixed"\n[strategy.params]\nprice = 100000000\n'
        "[[offers]]\ncategory = 3\n"
    )
    result = invoke("config", "check", str(file))
    assert result.exit_code == 0, result.stderr
    assert "cat 3 (L, 10800 s): 100000000 nRLC = 0.1 RLC/task = ~0.033333333 RLC/h" in result.stdout


def test_config_check_shows_the_fill_policy_and_refuses_a_bad_listing_key(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    on = EXAMPLE.read_text().replace("enabled = false", "enabled = true")
    assert "fills:" not in invoke("config", "check", str(EXAMPLE)).stdout  # off: no line
    file.write_text(on.replace("raise_margin = 3 ", "raise_margin = 2.5 "))
    result = invoke("config", "check", str(file))
    assert result.exit_code == 0, result.stderr
    assert "listing raised when fills earn 2.5 x the posted sales at risk" in result.stdout
    assert "its last 8, back to 72 h" in result.stdout
    assert "a fill must earn its gas and 1 x the posted sales it displaces" in result.stdout
    file.write_text(on.replace("thin_memory_hours = 72 ", "thin_memory_hours = 2 "))
    result = invoke("config", "check", str(file))
    assert result.exit_code == 2 and result.stdout == ""
    assert "fills.thin_memory_hours: must be at least fills.memory_hours" in result.stderr


def test_config_check_refusal(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('floor = "0.001 RLC"', 'floor = "2 RLC"')
    file = tmp_path / "c.toml"
    file.write_text(text)
    result = invoke("config", "check", str(file))
    assert result.exit_code == 2 and result.stdout == ""
    assert "rails.floor: must be <= rails.ceiling" in result.stderr


@pytest.mark.parametrize(
    ("key", "new"),
    [("cancel_cost", "rails.cancel_gas_cost"), ("raise_gain_factor", "rails.raise_gain_factor")],
)
def test_config_check_names_a_moved_key(tmp_path: Path, key: str, new: str) -> None:
    """0.1's gate params are refused (exit 2) naming the [rails] key that replaced them."""
    file = tmp_path / "c.toml"
    file.write_text(
        f'network = "bellecour"\nworkerpool = "{v.GOLDEN_ORDER["workerpool"]}"\n'
        f'[strategy]\nname = "competitive"\n[strategy.params]\n{key} = 3\n'
        "[[offers]]\ncategory = 3\n"
    )
    result = invoke("config", "check", str(file))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"strategy.params.{key}: moved to {new} in 0.2.0" in result.stderr


@pytest.mark.parametrize(
    ("rails", "line"),
    [
        ("", "raise gate: off (factor 0, competitive's own)"),
        (
            '[rails]\nraise_gain_factor = 2\ncancel_gas_cost = "0.01 RLC"\n',
            "raise gate: a raise must gain 2 x its cancels' gas (rails.raise_gain_factor), "
            "10000000 nRLC (0.01 RLC) per cancel",
        ),
    ],
)
def test_config_check_shows_the_raise_gate(tmp_path: Path, rails: str, line: str) -> None:
    file = tmp_path / "c.toml"
    file.write_text(
        f'network = "bellecour"\nworkerpool = "{v.GOLDEN_ORDER["workerpool"]}"\n'
        f'[strategy]\nname = "competitive"\n[[offers]]\ncategory = 3\n{rails}'
    )
    result = invoke("config", "check", str(file))
    assert result.exit_code == 0, result.stderr
    assert line in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["order"],
        ["order", "hash"],
        ["order", "sign"],
        ["order", "verify"],
        ["order", "init"],
        ["config"],
        ["config", "check"],
    ],
)
def test_help_everywhere(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0 and "Usage" in result.stdout


# -- the real console script ------------------------------------------------------------------


def pricebot(*args: str, key: str | None = v.ANVIL_KEY_1) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("pricebot")
    env = {k: val for k, val in os.environ.items() if not k.startswith("PRICEBOT_")}
    if key is not None:
        env["PRICEBOT_PRIVATE_KEY"] = key
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


@pytest.mark.parametrize("network", PUBLIC)
def test_console_script_contract(tmp_path: Path, network: str) -> None:
    good = write(tmp_path, v.SDK_ORDER, "good.json")
    # Forbidden everywhere: TEE with a legacy framework or without trust 1.
    bad_tag = ["tee", "gramine"] if network == "bellecour" else ["tee", "scone"]
    bad = write(tmp_path, {**v.SDK_ORDER, "tag": bad_tag, "trust": 1}, "bad.json")

    signed = pricebot("order", "sign", "--network", network, good)
    assert signed.returncode == 0, signed.stderr
    assert len(signed.stdout.strip().splitlines()) == 1
    out = json.loads(signed.stdout)
    assert list(out) == [*FIELDS, "sign", "orderHash"]
    assert out["orderHash"] == v.SDK_HASH[network]
    assert recover_signer(out["orderHash"], out["sign"]) == v.ANVIL_ADDR_1

    refused = pricebot("order", "sign", "--network", network, bad)
    assert refused.returncode == 3
    assert refused.stdout == ""
    assert "legacy" in refused.stderr or "reserved" in refused.stderr


def test_console_script_exit_codes_for_errors(tmp_path: Path) -> None:
    good = write(tmp_path, v.GOLDEN_ORDER)
    assert pricebot("order", "sign", "-n", "bellecour", good, key=None).returncode == 2
    usage = pricebot("order", "hash")  # missing FILE: a usage error
    assert usage.returncode == 2 and "Missing" in usage.stderr

"""Hostile order, keystore and password files: one ``error:`` line, exit 2, nothing signed.

Each case here crashed (exit 139), printed a traceback (exit 1, which systemd restarts forever) or
signed something it should have refused before the fix. The crash cases run the real console
script in a subprocess, since a segfault would take the test process down with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from bot.adapters.keys import KeySource, load_key
from bot.domain.errors import ConfigError
from tests.support import vectors as v

PASSWORD = "correct horse"


def pricebot(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    script = Path(sys.executable).with_name("pricebot")
    base = {k: val for k, val in os.environ.items() if not k.startswith("PRICEBOT_")}
    base["PRICEBOT_PRIVATE_KEY"] = v.ANVIL_KEY_1
    return subprocess.run(
        [str(script), *args],
        input=stdin,
        capture_output=True,
        env={**base, **(env or {})},
        timeout=120,
        check=False,
    )


def assert_one_error(result: subprocess.CompletedProcess[bytes], *needles: str) -> str:
    """Exit 2, nothing on stdout, exactly one ``error:`` line on stderr holding every needle."""
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, (result.returncode, err[-2000:])
    assert result.stdout == b""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err[-2000:]
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def order_file(tmp_path: Path, name: str, body: bytes | str | dict[str, Any]) -> str:
    path = tmp_path / name
    if isinstance(body, dict):
        body = json.dumps(body)
    path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
    return str(path)


# -- order files -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["hash", "sign", "verify"])
def test_deeply_nested_order_file_is_an_error_not_a_segfault(tmp_path: Path, command: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = order_file(tmp_path, "deep.json", deep)
    assert_one_error(pricebot("order", command, "-n", "arbitrum-mainnet", path), "nested")
    assert_one_error(
        pricebot("order", command, "-n", "arbitrum-mainnet", "-", stdin=deep.encode()), "nested"
    )


def test_number_over_4300_digits_names_the_field(tmp_path: Path) -> None:
    text = json.dumps(v.GOLDEN_ORDER)[:-1] + ', "volume": ' + "9" * 5000 + "}"
    path = order_file(tmp_path, "big.json", text.replace('"volume": 3,', ""))
    line = assert_one_error(pricebot("order", "sign", "-n", "bellecour", path), "volume:")
    assert len(line) < 400  # the 5,000 digits are not echoed
    quoted = order_file(tmp_path, "q.json", {**v.GOLDEN_ORDER, "workerpoolprice": "9" * 5000})
    line = assert_one_error(pricebot("order", "sign", "-n", "bellecour", quoted), "workerpoolprice")
    assert len(line) < 400


@pytest.mark.parametrize("command", ["hash", "sign", "verify"])
def test_non_utf8_order_file_is_an_error(tmp_path: Path, command: str) -> None:
    path = order_file(tmp_path, "latin1.json", b'{"workerpool": "\xff"}')
    assert_one_error(pricebot("order", command, "-n", "bellecour", path), "not UTF-8")
    assert_one_error(
        pricebot("order", command, "-n", "bellecour", "-", stdin=b"\xff\xfe"), "not UTF-8"
    )


@pytest.mark.parametrize(
    ("sign", "rule"),
    [
        ("0xabc", "even"),
        ("0x" + "00" * 32 + "11" * 32 + "1b", "r and s"),  # r = 0
        ("0x" + "11" * 32 + "00" * 32 + "1c", "r and s"),  # s = 0
        ("0x" + "ff" * 32 + "11" * 32 + "1b", "r and s"),  # r above the curve order
    ],
)
def test_verify_of_broken_signatures_is_an_error(tmp_path: Path, sign: str, rule: str) -> None:
    path = order_file(tmp_path, "s.json", {**v.GOLDEN_ORDER, "sign": sign})
    assert_one_error(pricebot("order", "verify", "-n", "bellecour", path), "sign:", rule)


def test_signature_with_no_recoverable_signer_is_an_error() -> None:
    from bot.domain.errors import InputError
    from bot.domain.signing import recover_signer

    # r = 5 is not the x coordinate of any curve point: nothing recovers
    with pytest.raises(InputError, match="no signer can be recovered"):
        recover_signer(v.GOLDEN_HASH, "0x" + format(5, "064x") + "11" * 32 + "1b")


def test_unicode_digits_are_not_numbers(tmp_path: Path) -> None:
    for field, value in (("workerpoolprice", "١٢"), ("volume", "٣"), ("category", "０")):
        path = order_file(tmp_path, "u.json", {**v.GOLDEN_ORDER, field: value})
        assert_one_error(pricebot("order", "sign", "-n", "bellecour", path), f"{field}:")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("volume", "3\n"),
        ("workerpoolprice", "5 nRLC\n"),
        ("workerpool", v.GOLDEN_ORDER["workerpool"] + "\n"),
        ("salt", v.GOLDEN_ORDER["salt"] + "\n"),
    ],
)
def test_trailing_newline_is_refused(tmp_path: Path, field: str, value: str) -> None:
    path = order_file(tmp_path, "nl.json", {**v.GOLDEN_ORDER, field: value})
    assert_one_error(pricebot("order", "sign", "-n", "bellecour", path), f"{field}:")


def test_bad_eip55_checksum_is_refused_and_nothing_signed(tmp_path: Path) -> None:
    good = "0x9DEB16F7861123CE34AE755F48D30697eD066793"  # a valid checksum (the SDK vector)
    bad = good[:-1] + "4"  # one mistyped digit: the case pattern no longer matches
    path = order_file(tmp_path, "cs.json", {**v.SDK_ORDER, "workerpool": bad})
    assert_one_error(pricebot("order", "sign", "-n", "bellecour", path), "workerpool:", "EIP-55")
    for fine in (good, good.lower(), "0x" + good[2:].upper()):
        ok = order_file(tmp_path, "ok.json", {**v.SDK_ORDER, "workerpool": fine})
        assert pricebot("order", "hash", "-n", "bellecour", ok).returncode == 0
    path = order_file(tmp_path, "v.json", {**v.GOLDEN_ORDER, "sign": v.GOLDEN_SIGN})
    expect = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9"  # anvil 1, last digit mistyped
    assert_one_error(
        pricebot("order", "verify", "-n", "bellecour", path, "--expect", expect), "--expect:"
    )
    hub = "0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7F"  # the Bellecour hub, last letter's case off
    assert_one_error(
        pricebot("order", "hash", "-n", "local", "--chain-id", "133", "--hub", hub, path),
        "--hub:",
        "EIP-55",
    )


def test_oversized_order_file_is_refused_unparsed(tmp_path: Path) -> None:
    path = order_file(tmp_path, "huge.json", " " * (2 << 20))
    assert_one_error(pricebot("order", "hash", "-n", "bellecour", path), "larger than")


# -- keystores and password files --------------------------------------------------------------


def keystore(tmp_path: Path, **change: Any) -> Path:
    data = Account.encrypt(v.ANVIL_KEY_1, PASSWORD, kdf="pbkdf2", iterations=16)
    data["crypto"]["kdfparams"].update(change)
    path = tmp_path / "owner.json"
    path.write_text(json.dumps(data))
    return path


def load(path: Path, **source: str) -> Any:
    return load_key(
        KeySource(keystore=str(path), **source), environ={"PRICEBOT_KEYSTORE_PASSWORD": PASSWORD}
    )


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"prf": "hmac-md5"}, "prf"),
        ({"prf": "sha256"}, "prf"),  # eth-keyfile fails an assert on this one
        ({"c": 10**12}, "kdfparams.c"),  # would hang the bot at start-up
        ({"c": 0}, "kdfparams.c"),
        ({"dklen": 10**9}, "dklen"),
        ({"salt": "zz"}, "salt"),
    ],
)
def test_hostile_keystore_params_are_refused(
    tmp_path: Path, change: dict[str, Any], rule: str
) -> None:
    with pytest.raises(ConfigError, match=rule):
        load(keystore(tmp_path, **change))


def test_scrypt_cost_is_bounded(tmp_path: Path) -> None:
    data = Account.encrypt(v.ANVIL_KEY_1, PASSWORD, kdf="scrypt", iterations=2)
    path = tmp_path / "s.json"
    for params, ok in (({"n": 2}, True), ({"n": 1 << 30}, False), ({"n": 3}, False)):
        data["crypto"]["kdfparams"].update(params)
        path.write_text(json.dumps(data))
        if ok:
            assert load(path).address == v.ANVIL_ADDR_1
        else:
            with pytest.raises(ConfigError, match=r"kdfparams\.n"):
                load(path)


def test_hostile_keystore_through_the_cli_is_one_error_line(tmp_path: Path) -> None:
    path = keystore(tmp_path, prf="sha256")
    order = order_file(tmp_path, "o.json", v.GOLDEN_ORDER)
    env = {"PRICEBOT_KEYSTORE_PASSWORD": PASSWORD}
    result = pricebot("order", "sign", "-n", "bellecour", order, "--keystore", str(path), env=env)
    assert_one_error(result, "prf")


def test_non_utf8_keystore_and_password_files(tmp_path: Path) -> None:
    bad = tmp_path / "bin.json"
    bad.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ConfigError, match=r"keystore .* is not UTF-8"):
        load(bad)
    good = keystore(tmp_path)
    pw = tmp_path / "pw"
    pw.write_bytes(b"\xffcorrect horse")
    with pytest.raises(ConfigError, match=r"password file .* is not UTF-8"):
        load_key(KeySource(keystore=str(good), password_file=str(pw)), environ={})
    order = order_file(tmp_path, "o.json", v.GOLDEN_ORDER)
    result = pricebot(
        "order", "sign", "-n", "bellecour", order, "--keystore", str(bad), env={"X": "1"}
    )
    assert_one_error(result, "not UTF-8")


def test_deep_keystore_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000)
    with pytest.raises(ConfigError, match="not JSON"):
        load(deep)


def test_deep_or_huge_sweep_values_stay_strings() -> None:
    """`backtest --param k=[[[[...`: a command-line value parsed as JSON, same crash, same guard."""
    code = (
        "import eth_account\n"  # lifts the recursion limit, as in every command
        "from bot.backtest.sweep import parse_value\n"
        "deep = '[' * 60000 + ']' * 60000\n"
        "assert parse_value(deep) == deep\n"
        "assert parse_value('9' * 5000) == '9' * 5000\n"
        "assert parse_value('[1, {\"a\": 2}]') == [1, {'a': 2}]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])

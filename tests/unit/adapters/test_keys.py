"""Keys come from the environment or a keystore, and never show themselves."""

from __future__ import annotations

import copy
import json
import logging
import pickle
from pathlib import Path

import pytest
from eth_account import Account

from bot.adapters.keys import KeySource, SecretKey, find_secrets, key_from_hex, load_key
from bot.domain.errors import ConfigError
from tests.support import vectors as v

KEY_HEX = v.ANVIL_KEY_1[2:]


def write_keystore(tmp_path: Path, password: str = "correct horse") -> Path:
    # Cheap KDF: these are throw-away public test keys in a temp dir.
    data = Account.encrypt(v.ANVIL_KEY_1, password, kdf="pbkdf2", iterations=16)
    path = tmp_path / "owner.json"
    path.write_text(json.dumps(data))
    return path


def test_env_key_with_and_without_prefix() -> None:
    for value in (v.ANVIL_KEY_1, KEY_HEX, f"  {v.ANVIL_KEY_1}\n"):
        key = load_key(
            KeySource(env="PRICEBOT_PRIVATE_KEY"), environ={"PRICEBOT_PRIVATE_KEY": value}
        )
        assert key.address == v.ANVIL_ADDR_1
        assert key.reveal() == bytes.fromhex(KEY_HEX)


def test_gas_key_has_its_own_env_var() -> None:
    env = {"PRICEBOT_PRIVATE_KEY": v.ANVIL_KEY_1, "PRICEBOT_GAS_PRIVATE_KEY": v.ANVIL_KEY_0}
    gas = load_key(KeySource(env="PRICEBOT_GAS_PRIVATE_KEY"), environ=env, label="gas key")
    assert gas.address == v.ANVIL_ADDR_0


def test_missing_env_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="PRICEBOT_PRIVATE_KEY is not set"):
        load_key(KeySource(env="PRICEBOT_PRIVATE_KEY"), environ={})


@pytest.mark.parametrize(
    "bad", ["0x1234", KEY_HEX + "00", "zz" * 32, "0x" + "00" * 32, "0x" + "ff" * 32]
)
def test_bad_env_key_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_key(KeySource(env="K"), environ={"K": bad})
    assert bad.removeprefix("0x") not in str(info.value)


def test_keystore_with_password_file_and_env(tmp_path: Path) -> None:
    path = write_keystore(tmp_path)
    pw = tmp_path / "pw"
    pw.write_text("correct horse\n")  # trailing newline as editors write it
    assert (
        load_key(KeySource(keystore=str(path), password_file=str(pw)), environ={}).address
        == v.ANVIL_ADDR_1
    )
    env = {"PRICEBOT_KEYSTORE_PASSWORD": "correct horse"}
    assert load_key(KeySource(keystore=str(path)), environ=env).address == v.ANVIL_ADDR_1
    env = {"MY_PW": "correct horse"}
    assert (
        load_key(KeySource(keystore=str(path), password_env="MY_PW"), environ=env).address
        == v.ANVIL_ADDR_1
    )


def test_keystore_errors(tmp_path: Path) -> None:
    path = write_keystore(tmp_path)
    with pytest.raises(ConfigError, match="wrong password"):
        load_key(KeySource(keystore=str(path)), environ={"PRICEBOT_KEYSTORE_PASSWORD": "nope"})
    with pytest.raises(ConfigError, match="PRICEBOT_KEYSTORE_PASSWORD"):
        load_key(KeySource(keystore=str(path)), environ={})
    with pytest.raises(ConfigError, match="cannot read keystore"):
        load_key(
            KeySource(keystore=str(tmp_path / "absent.json")),
            environ={"PRICEBOT_KEYSTORE_PASSWORD": "x"},
        )
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    with pytest.raises(ConfigError, match="not JSON"):
        load_key(KeySource(keystore=str(junk)), environ={"PRICEBOT_KEYSTORE_PASSWORD": "x"})
    junk.write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="keystore"):
        load_key(KeySource(keystore=str(junk)), environ={"PRICEBOT_KEYSTORE_PASSWORD": "x"})
    with pytest.raises(ConfigError, match="cannot read password file"):
        load_key(KeySource(keystore=str(path), password_file=str(tmp_path / "nopw")), environ={})


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"env": "A", "keystore": "k"},
        {"env": "A", "password_file": "p"},
        {"keystore": "k", "password_file": "p", "password_env": "E"},
        {"env": v.ANVIL_KEY_1},  # a key pasted where the variable's name goes
        {"keystore": "k", "password_env": "my password"},
    ],
)
def test_key_source_combinations_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        KeySource(**kwargs)
    assert KEY_HEX not in str(info.value)


def test_secret_key_never_shows_itself(caplog: pytest.LogCaptureFixture) -> None:
    key = key_from_hex(v.ANVIL_KEY_1, "owner key")
    shown = [
        repr(key),
        str(key),
        f"{key}",
        f"{key!r:>10}",
        "%s" % key,  # noqa: UP031 - the logging-style spelling must be covered too
        repr([key]),
        repr({"k": key}),
    ]
    logging.getLogger("test").warning("key is %s / %r", key, key)
    shown.append(caplog.text)
    for text in shown:
        assert KEY_HEX not in text and KEY_HEX.upper() not in text
        assert v.ANVIL_ADDR_1 in text
    assert not hasattr(key, "__dict__")  # vars() cannot reach it either


def test_secret_key_cannot_be_pickled_or_copied() -> None:
    key = key_from_hex(v.ANVIL_KEY_1)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        copy.deepcopy(key)


def test_secret_key_validates_range() -> None:
    with pytest.raises(ConfigError):
        SecretKey(b"\x00" * 32)
    with pytest.raises(ConfigError):
        SecretKey(b"\x01" * 31)


def test_find_secrets() -> None:
    data = {
        "workerpool": "0x" + "ab" * 20,
        "keys": {
            "owner": {"env": "PRICEBOT_PRIVATE_KEY", "password_file": "pw", "password_env": "X"}
        },
        "offers": [{"tag": "0x" + "0" * 62 + "09"}, {"tag": ["tee"]}],
        "strategy": {"params": {"note": KEY_HEX}},
        "extra": [
            {"private_key": "whatever"},
            {"api_secret": 1},
            {"mnemonic": "a b c"},
            {"password": "x"},
        ],
        "nested": {"list": [v.ANVIL_KEY_0]},
    }
    assert find_secrets(data) == [
        "strategy.params.note",
        "extra[0].private_key",
        "extra[1].api_secret",
        "extra[2].mnemonic",
        "extra[3].password",
        "nested.list[0]",
    ]


def test_find_secrets_flags_a_key_in_a_tag_field() -> None:
    assert find_secrets({"offers": [{"tag": v.ANVIL_KEY_1}]}) == ["offers[0].tag"]


def test_find_secrets_flags_a_mnemonic_phrase() -> None:
    phrase = "test test test test test test test test test test test junk"  # anvil's public one
    assert find_secrets({"strategy": {"params": {"note": phrase}}}) == ["strategy.params.note"]
    assert find_secrets({"note": "only a few words here"}) == []

"""Hostile and careless configs: refused with one ``error:`` line and exit 2, never echoing a key.

Every case here passed ``config check``, printed a traceback or echoed a secret before the fix.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config.schema import config_from_mapping, load_config
from bot.domain.errors import ConfigError
from tests.support import vectors as v

POOL = "0x" + "ab" * 20
KEY = v.ANVIL_KEY_1[2:]  # a public test key (anvil #1)
HEADER = f'network = "arbitrum-mainnet"\nworkerpool = "{POOL}"\n[[offers]]\ncategory = 0\n'


def base(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"network": "arbitrum-mainnet", "workerpool": POOL}
    data["offers"] = [{"category": 0}]
    data.update(extra)
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        config_from_mapping(data)
    return str(info.value)


def key_forms(key: str = KEY) -> list[str]:
    """The key in every spelling a leak could take: with or without 0x, any case."""
    return [key.lower(), key.upper(), key]


def assert_no_key(text: str) -> None:
    for form in key_forms():
        assert form not in text
    assert KEY.lower() not in text.lower()


def config_check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "pool.toml"
    path.write_text(text)
    script = Path(sys.executable).with_name("pricebot")
    env = {k: val for k, val in os.environ.items() if not k.startswith("PRICEBOT_")}
    return subprocess.run(
        [str(script), "config", "check", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def assert_one_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-2000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# -- a key in the config ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "path"),
    [
        (f'[rails]\nfloor = "0X{KEY}"\n', "rails.floor"),  # upper-case prefix
        (f'[rails]\nfloor = "0x{KEY.upper()}"\n', "rails.floor"),  # upper-case digits
        (f'[rails]\nfloor = "my key is {KEY}, keep it"\n', "rails.floor"),  # inside a string
        (f"[rails]\n0x{KEY} = 1\n", "rails.<redacted 64-hex>"),  # as a key name
        (f'[rails]\n"{KEY}" = 1\n', "rails.<redacted 64-hex>"),  # as a quoted key name
        (f"[rails]\nfloor = 0x{KEY}\n", "rails.floor"),  # as a TOML hex integer
        (f'[endpoints]\nmarket_url = "https://h.example/{KEY}"\n', "endpoints.market_url"),
    ],
)
def test_a_key_anywhere_is_refused_and_never_echoed(tmp_path: Path, toml: str, path: str) -> None:
    line = assert_one_error(config_check(tmp_path, HEADER + toml), f"{path}: a config must not")
    assert_no_key(line)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "pool.toml")
    assert_no_key(str(info.value))


def test_a_key_in_a_strategy_param_error_is_redacted() -> None:
    from bot.config.schema import _input_message
    from bot.domain.errors import InputError

    message = _input_message(InputError("price", "bad", f"0X{KEY}"), "strategy.params")
    assert_no_key(message)


def test_echoed_values_are_truncated(tmp_path: Path) -> None:
    line = assert_one_error(
        config_check(tmp_path, HEADER + '[rails]\nfloor = "' + "z" * 5_000_000 + '"\n'),
        "rails.floor",
    )
    assert len(line) < 500


# -- endpoints ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["market_url", "core_url", "rpc_urls"])
@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://api-market.example.com", "http:// is only allowed to this machine"),
        ("http://10.0.0.5:13000", "http:// is only allowed to this machine"),
        ("http://127.0.0.1.evil.example", "http:// is only allowed to this machine"),
        ("https://user:hunter2@node.example", "must not hold a user name or password"),
        ("http://user:hunter2@127.0.0.1:8545", "must not hold a user name or password"),
        ("https://node.example/\r\nX-Injected: 1", "control characters"),
        ("https://node.example/\n", "control characters"),
        ("https://node.example:port", "valid URL"),
    ],
)
def test_unsafe_endpoint_urls_are_refused(field: str, url: str, rule: str) -> None:
    value: Any = [url] if field == "rpc_urls" else url
    message = error_of(base(endpoints={field: value}))
    assert message.startswith(f"endpoints.{field}") and rule in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8545",
        "http://localhost:3000",
        "http://[::1]:13000",
        "http://127.0.0.2",
        "https://api-market.arbitrum-mainnet.iex.ec",
        "https://node.example:8545/path?x=1",
    ],
)
def test_loopback_http_and_any_https_are_fine(url: str) -> None:
    cfg = config_from_mapping(
        base(endpoints={"market_url": url, "core_url": url, "rpc_urls": [url]})
    )
    assert cfg.endpoints.market_url == url


def test_url_refusal_through_the_cli_hides_the_password(tmp_path: Path) -> None:
    line = assert_one_error(
        config_check(
            tmp_path, HEADER + '[endpoints]\nmarket_url = "https://u:hunter2@m.example"\n'
        ),
        "endpoints.market_url",
    )
    assert "hunter2" not in line


# -- parse-level hostility ----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_toml_is_an_error_not_a_traceback(tmp_path: Path, depth: int) -> None:
    text = HEADER + "[strategy.params]\nx = " + "[" * depth + "]" * depth + "\n"
    assert_one_error(config_check(tmp_path, text), "nest deeper than")


def test_deep_toml_after_eth_account_is_imported(tmp_path: Path) -> None:
    import eth_account  # noqa: F401 - lifts the recursion limit to 100,000, as in the service

    path = tmp_path / "deep.toml"
    path.write_text(HEADER + "[strategy.params]\nx = " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(ConfigError, match="nest deeper than"):
        load_config(path)
    deep: Any = []
    for _ in range(100):
        deep = [deep]
    assert "nest deeper than" in error_of(base(strategy={"params": {"x": deep}}))


def test_integer_over_4300_digits_is_an_error(tmp_path: Path) -> None:
    line = assert_one_error(
        config_check(tmp_path, HEADER + "[rails]\nceiling = " + "9" * 5000 + "\n"),
        "line 6: an integer has more than 4300 digits",
    )
    assert len(line) < 300


# -- absurd settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (base(rails={"ceiling": 10**39}), "rails.ceiling: must be at most 87000000 RLC"),
        (base(rails={"ceiling": "1e30 RLC"}), "rails.ceiling:"),
        (
            base(rails={"floor": "87000001 RLC", "ceiling": "87000001 RLC"}),
            "rails.floor: must be at most 87000000 RLC",
        ),
        (base(service={"low_stake_warning": 10**30}), "service.low_stake_warning: must be at most"),
        (base(service={"max_fee_gwei": 1e30}), "service.max_fee_gwei: must be less than or equal"),
        (
            base(service={"journal_keep_days": 1e300}),
            "service.journal_keep_days: must be less than or equal to 36500",
        ),
        (base(service={"low_gas_warning_eth": 1e20}), "service.low_gas_warning_eth"),
        (base(schedule={"sample_seconds": 10**20}), "schedule.sample_seconds"),
        (base(rails={"max_order_age_seconds": 10**12}), "rails.max_order_age_seconds"),
        (base(rails={"max_volume": 10**30}), "rails.max_volume"),
        (base(offers=[{"category": 0, "task_seconds": 10**12}]), "offers[0].task_seconds"),
        (base(rails={"floor": "١٢"}), "rails.floor: must be a non-negative amount"),
        (base(rails={"floor": "12\n"}), "rails.floor: must be a non-negative amount"),
        (base(workerpool="0xABab" + "ab" * 18), "workerpool: has a wrong EIP-55 checksum"),
    ],
)
def test_absurd_settings_are_refused_with_their_bound(data: dict[str, Any], message: str) -> None:
    assert message in error_of(data)


def test_sane_extremes_are_accepted() -> None:
    cfg = config_from_mapping(
        base(
            rails={"ceiling": "87000000 RLC"},
            service={"max_fee_gwei": 10_000, "journal_keep_days": 36_500},
            workerpool="0x" + "AB" * 20,
        )
    )
    assert cfg.rails.ceiling == 87_000_000 * 10**9 and cfg.workerpool == POOL


def test_fixed_prices_table_refuses_unicode_category_ids() -> None:
    from bot.app.commands.config_cmd import fixed_prices
    from bot.domain.errors import InputError

    with pytest.raises(InputError, match="keys must be category ids"):
        fixed_prices(None, {"prices": {"١": 5}}, {1})

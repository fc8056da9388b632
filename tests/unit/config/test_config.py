"""The config schema: typed, frozen, unknown keys and secrets refused, errors name the key path."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.adapters.keys import KeySource
from bot.config.schema import BotConfig, config_from_mapping, load_config
from bot.domain.errors import ConfigError
from bot.domain.networks import get_network
from tests.support import vectors as v

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config" / "example.toml"
POOL = "0x" + "ab" * 20
HUB = "0x" + "cd" * 20


def base(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "network": "arbitrum-mainnet",
        "workerpool": POOL,
        "offers": [{"category": 0}],
    }
    data.update(extra)
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        config_from_mapping(data)
    return str(info.value)


def test_example_config_is_accepted_schema_only() -> None:
    cfg = load_config(EXAMPLE, check_strategy=False)
    assert cfg.network == "arbitrum-sepolia-testnet"
    assert cfg.rails.floor == 1_000_000 and cfg.rails.ceiling == 10**9
    assert cfg.service.low_stake_warning == 10 * 10**9
    assert Path(cfg.service.journal_dir) == EXAMPLE.parent / "state"
    assert cfg.keys.owner.source() == KeySource(env="PRICEBOT_PRIVATE_KEY")
    assert cfg.keys.gas_source() == KeySource(env="PRICEBOT_GAS_PRIVATE_KEY")
    assert cfg.network_obj() == get_network("arbitrum-sepolia-testnet")


def test_example_config_is_accepted_with_the_strategy_check() -> None:
    cfg = load_config(EXAMPLE)
    assert cfg.strategy.name == "fixed"


def test_defaults_and_minimal_config() -> None:
    cfg = config_from_mapping(base())
    assert cfg.rails.max_open_orders == 50 and cfg.schedule.misfire_grace_seconds == 30
    assert cfg.keys.cancel_sender == "relay"
    assert cfg.rpc_urls() == ("https://arb1.arbitrum.io/rpc",)


def test_config_is_frozen() -> None:
    cfg = config_from_mapping(base())
    with pytest.raises(FrozenInstanceError):
        cfg.rails.floor = 5  # type: ignore[misc]
    with pytest.raises(ValidationError):
        cfg.network = "bellecour"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "nrlc"), [("0.1 RLC", 100_000_000), ("5 nRLC", 5), (7, 7), ("0.000000001 RLC", 1)]
)
def test_price_spellings(value: object, nrlc: int) -> None:
    cfg = config_from_mapping(base(rails={"floor": value, "ceiling": "1 RLC"}))
    assert cfg.rails.floor == nrlc


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (base(rails={"ceilling": 5}), "rails.ceilling: unknown key"),
        (base(colour="blue"), "colour: unknown key"),
        (base(offers=[{"category": 0, "tagg": []}]), "offers[0].tagg: unknown key"),
        (
            base(rails={"floor": "1 RLC", "ceiling": "0.5 RLC"}),
            "rails.floor: must be <= rails.ceiling",
        ),
        (base(rails={"floor": 0.1}), "rails.floor: floats are not exact"),
        (base(rails={"floor": "2 ETH"}), "rails.floor: unit must be RLC or nRLC"),
        (base(rails={"max_step": 0}), "rails.max_step: must be in (0, 1]"),
        (base(rails={"max_step": "0.5"}), "rails.max_step: must be a number"),
        (base(rails={"deadband": 1.5}), "rails.deadband: must be in [0, 1)"),
        (base(rails={"max_open_orders": 51}), "rails.max_open_orders: must be between 1 and 50"),
        (base(rails={"cancel_gas_cost": 0.5}), "rails.cancel_gas_cost: floats are not exact"),
        (base(rails="strict"), "rails: must be a dictionary"),
        (base(rails={"kill_action": "panic"}), "rails.kill_action: must be 'freeze' or 'withdraw'"),
        (
            base(schedule={"sample_seconds": True}),
            "schedule.sample_seconds: must be a valid integer",
        ),
        (
            base(schedule={"sample_seconds": "60"}),
            "schedule.sample_seconds: must be a valid integer",
        ),
        (
            base(schedule={"sample_seconds": 120, "reprice_seconds": 60}),
            "schedule.reprice_seconds: must be >= schedule.sample_seconds",
        ),
        (base(network="mainnet"), "network: must be"),
        (base(workerpool="0x12"), "workerpool: must be an address"),
        (base(workerpool="0x" + "0" * 40), "workerpool: must be your workerpool's address"),
        ({"network": "bellecour", "offers": [{"category": 0}]}, "workerpool: is required"),
        (base(network="local"), "chain_id: is required when network = 'local'"),
        (base(network="local", chain_id=31337), "hub: is required when network = 'local'"),
        (base(chain_id=42161), "chain_id: only allowed when network = 'local'"),
        (base(hub=HUB), "hub: only allowed when network = 'local'"),
        (base(offers=[]), "offers: at least one"),
        (base(offers=[{"category": 7}]), "offers[0].category: [category-unknown]"),
        (base(offers=[{"category": 0, "tag": ["tee", "tdx"]}]), "offers[0].trust: [tee-trust]"),
        (
            base(offers=[{"category": 0, "tag": ["tee", "scone"], "trust": 1}]),
            "offers[0].tag: [arbitrum-legacy-tee]",
        ),
        (
            base(network="bellecour", offers=[{"category": 0, "tag": ["tee", "tdx"], "trust": 1}]),
            "offers[0].tag: [bellecour-tag]",
        ),
        (base(offers=[{"category": 0, "tag": ["sgx"]}]), "offers[0].tag: unknown tag name"),
        (base(offers=[{"category": 0}, {"category": 0}]), "offers[1]: duplicate"),
        (
            base(offers=[{"category": 0, "max_volume": 2000}]),
            "offers[0].max_volume: must be <= rails.max_volume",
        ),
        (
            base(offers=[{"category": 0, "task_seconds": 0}]),
            "offers[0].task_seconds: must be greater than 0",
        ),
        (base(endpoints={"market_url": "ftp://x"}), "endpoints.market_url: must be an http"),
        (
            base(keys={"owner": {"env": "A", "keystore": "k"}}),
            "keys.owner: give exactly one of env or keystore",
        ),
        (
            base(keys={"owner": {"env": "SAME"}, "gas": {"env": "SAME"}}),
            "keys.gas: must differ from keys.owner",
        ),
        (base(keys={"cancel_sender": "miner"}), "keys.cancel_sender: must be 'relay' or 'owner'"),
        (
            base(service={"on_exit": "explode"}),
            "service.on_exit: must be 'keep', 'unpublish' or 'cancel'",
        ),
    ],
)
def test_refusals_name_the_key_path_and_rule(data: dict[str, Any], message: str) -> None:
    assert message in error_of(data)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (base(keys={"owner": {"env": v.ANVIL_KEY_0}}), "keys.owner.env"),
        (base(keys={"owner": {"private_key": "x"}}), "keys.owner.private_key"),
        (base(private_key=v.ANVIL_KEY_1[2:]), "private_key"),
        (
            base(strategy={"name": "fixed", "params": {"salt": v.ANVIL_KEY_1}}),
            "strategy.params.salt",
        ),
        (base(service={"secret": "hunter2"}), "service.secret"),
        (base(offers=[{"category": 0, "tag": v.ANVIL_KEY_1}]), "offers[0].tag"),
        # the three bypasses of the whole-string, lower-case check:
        (base(rails={"floor": "0X" + v.ANVIL_KEY_1[2:].upper()}), "rails.floor"),  # 0X, upper
        (base(rails={"floor": f"key={v.ANVIL_KEY_1};"}), "rails.floor"),  # inside a string
        (base(rails={v.ANVIL_KEY_1: 1}), "rails.<redacted 64-hex>"),  # as a key name
        (base(rails={v.ANVIL_KEY_1[2:].upper(): 1}), "rails.<redacted 64-hex>"),
    ],
)
def test_key_in_config_is_refused(data: dict[str, Any], path: str) -> None:
    message = error_of(data)
    assert message.startswith(f"{path}: a config must not contain a private key")
    for key in (v.ANVIL_KEY_1[2:], v.ANVIL_KEY_0[2:]):
        assert key not in message.lower()


def test_bytes32_tag_is_not_mistaken_for_a_key() -> None:
    cfg = config_from_mapping(
        base(offers=[{"category": 0, "tag": "0x" + "0" * 61 + "109", "trust": 1}])
    )
    assert cfg.offers[0].tag == 0x109


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (base(live=True), "live"),
        (base(dry_run=False), "dry_run"),
        (base(service={"live": True}), "service.live"),
    ],
)
def test_live_mode_cannot_come_from_config(data: dict[str, Any], path: str) -> None:
    message = error_of(data)
    assert message.startswith(f"{path}: live mode cannot be set") and "--live" in message


def test_local_network() -> None:
    cfg = config_from_mapping(
        base(
            network="local",
            chain_id=134,
            hub=HUB.upper().replace("0X", "0x"),
            endpoints={
                "rpc_urls": ["http://127.0.0.1:8545", "http://127.0.0.1:8546"],
                "market_url": "http://127.0.0.1:3000",
            },
        )
    )
    net = cfg.network_obj()
    assert (net.chain_id, net.hub, net.tag_rules) == (134, HUB, "bellecour")
    assert net.rpc_url == "http://127.0.0.1:8545" and net.market_url == "http://127.0.0.1:3000"
    assert cfg.rpc_urls() == ("http://127.0.0.1:8545", "http://127.0.0.1:8546")


def test_keystore_paths_resolve_against_the_config_dir(tmp_path: Path) -> None:
    file = tmp_path / "pool.toml"
    file.write_text(
        f'network = "bellecour"\nworkerpool = "{POOL}"\n'
        '[keys]\nowner = { keystore = "secrets/owner.json", password_file = "/abs/pw" }\n'
        '[service]\njournal_dir = "j"\n'
        "[[offers]]\ncategory = 1\n"
    )
    cfg = load_config(file, check_strategy=False)
    assert cfg.keys.owner.keystore == str(tmp_path / "secrets" / "owner.json")
    assert cfg.keys.owner.password_file == "/abs/pw"
    assert cfg.service.journal_dir == str(tmp_path / "j")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("network = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_unknown_strategy_is_a_config_error() -> None:
    cfg = config_from_mapping(base(strategy={"name": "no-such-strategy"}))
    from bot.config.schema import validate_strategy

    with pytest.raises(ConfigError, match=r"^strategy\.name: "):
        validate_strategy(cfg)


def test_bad_strategy_param_is_a_config_error() -> None:
    from bot.config.schema import validate_strategy

    cfg = config_from_mapping(base(strategy={"name": "fixed", "params": {"no_such_param": 1}}))
    with pytest.raises(ConfigError, match=r"^strategy\.params\.no_such_param: "):
        validate_strategy(cfg)


def test_botconfig_direct_construction_also_validates() -> None:
    with pytest.raises(ValidationError):
        BotConfig(network="bellecour", workerpool=POOL)  # no offers


def test_integers_are_fine_where_a_number_is_expected() -> None:
    cfg = config_from_mapping(base(service={"max_fee_gwei": 2}, rails={"max_step": 1}))
    assert cfg.service.max_fee_gwei == 2.0 and cfg.rails.max_step == 1.0
    assert "service.max_fee_gwei: must be a finite number" in error_of(
        base(service={"max_fee_gwei": float("inf")})
    )


def test_public_surfaces_are_pinned() -> None:
    import bot.adapters.keys
    import bot.config.schema
    import bot.domain.order_io
    import bot.domain.rules

    for module in (bot.config.schema, bot.adapters.keys, bot.domain.order_io, bot.domain.rules):
        public = {n for n in vars(module) if not n.startswith("_")}
        assert set(module.__all__) <= public, module.__name__

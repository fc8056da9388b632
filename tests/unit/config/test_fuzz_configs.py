"""Configs under mutation: a valid BotConfig or a ConfigError naming the key, never a traceback.

Starts from the shipped configs (config/example.toml and the sandbox template), replaces or
deletes one to three keys at any depth with arbitrary TOML-like values, and runs what
``load_config`` runs after parsing (``config_from_mapping`` then the strategy's own check).
Example counts: tests/support/fuzz.py.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.config.schema import BotConfig, config_from_mapping, validate_strategy
from bot.domain.errors import ConfigError
from tests.support.fuzz import fuzz_settings

KIND = "config"
ROOT = Path(__file__).resolve().parents[3]


def _load(name: str) -> dict[str, Any]:
    data = tomllib.loads((ROOT / "config" / name).read_text())
    if name == "sandbox.toml":  # its placeholders are valid; the journal dir must be absolute
        data["service"]["journal_dir"] = "/tmp/pricebot-fuzz-journal"
    return data


TEMPLATES = [_load("example.toml"), _load("sandbox.toml")]

toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, -1, 2**53 - 1, 2**53, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "0.1 RLC",
            "5 nRLC",
            "-1 RLC",
            "1e400 RLC",
            "abc",
            "",
            "0x" + "ab" * 20,
            "http://example.com",
            "https://127.0.0.1:1",
            "file:///etc/passwd",
            "0x" + "12" * 32,
        ]
    ),
)
toml_values = st.recursive(
    toml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from(TEMPLATES)))
    paths = _paths(doc)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        node: Any = doc
        try:
            for key in path[:-1]:
                node = node[key]
            if draw(st.integers(0, 3)) == 0 and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = draw(toml_values)
        except (KeyError, IndexError, TypeError):
            continue
    if draw(st.booleans()):  # an unknown key somewhere
        doc[draw(st.text(min_size=1, max_size=8))] = draw(toml_values)
    return doc


def _check(doc: dict[str, Any]) -> BotConfig | None:
    try:
        cfg = config_from_mapping(doc)
        validate_strategy(cfg)
    except ConfigError as exc:
        text = str(exc)
        assert text.strip(), "an empty config error"
        assert "Traceback" not in text
        assert "12" * 32 not in text  # a key-looking value is never echoed
        return None
    return cfg


@fuzz_settings(KIND)
@given(configs())
def test_a_mutated_config_is_valid_or_a_named_error(doc: dict[str, Any]) -> None:
    cfg = _check(doc)
    if cfg is not None:
        assert cfg.rails.floor <= cfg.rails.ceiling
        assert all(o.max_volume >= 1 for o in cfg.offers)


@fuzz_settings(KIND)
@given(st.dictionaries(st.text(max_size=10), toml_values, max_size=6))
def test_an_arbitrary_table_is_a_named_error(doc: dict[str, Any]) -> None:
    assert _check(doc) is None  # nothing random is a whole valid config


def test_the_templates_are_valid() -> None:
    for doc in TEMPLATES:
        assert _check(copy.deepcopy(doc)) is not None

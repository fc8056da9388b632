from __future__ import annotations

import dataclasses
import json
import logging
import random
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from typing import Any

import pytest

import strategies
from bot.domain.errors import InputError, StrategyError
from strategies import Decision, Strategy, run_fenced
from strategies.bandit import BanditStrategy
from strategies.base import replace
from strategies.fixed import FixedStrategy
from strategies.utilization import UtilizationStrategy
from tests.support.factories import offer, snap
from tests.support.plugin_strategy import EchoStrategy


@pytest.mark.parametrize(
    ("cls", "mapping", "field", "rule"),
    [
        (FixedStrategy, {"prise": 1}, "strategy.params.prise", "unknown parameter"),
        (FixedStrategy, {"price": "10"}, "strategy.params.price", "must be an integer"),
        (FixedStrategy, {"price": True}, "strategy.params.price", "must be an integer"),
        (FixedStrategy, {"price": -1}, "strategy.params.price", "must be >= 0"),
        (FixedStrategy, {"prices": {"x": 1}}, "strategy.params.prices", "category ids"),
        (FixedStrategy, {"prices": {"0": -5}}, "strategy.params.prices.0", "must be >= 0"),
        (FixedStrategy, {"prices": [1]}, "strategy.params.prices", "must be a table"),
        (UtilizationStrategy, {"target": 2.0}, "strategy.params.target", "must be <= 1.0"),
        (UtilizationStrategy, {"kp": "x"}, "strategy.params.kp", "must be a number"),
        (
            UtilizationStrategy,
            {"min_multiplier": 1.0, "max_multiplier": 1.0, "deadband": float("nan")},
            "strategy.params.deadband",
            "NaN",
        ),
        (
            strategies.get("competitive"),
            {"mode": "war"},
            "strategy.params.mode",
            "must be one of",
        ),
        (
            strategies.get("competitive"),
            {"ignore_free": 1},
            "strategy.params.ignore_free",
            "true or false",
        ),
        (BanditStrategy, {"grid": [5, 1]}, "strategy.params.grid", "strictly ascending"),
        (BanditStrategy, {"grid": []}, "strategy.params.grid", "non-empty list"),
        (BanditStrategy, {"grid": [1, -2]}, "strategy.params.grid", "must be >= 0"),
    ],
)
def test_params_from_mapping_names_the_key_and_rule(
    cls: type[Strategy], mapping: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(InputError) as err:
        cls.params_from_mapping(mapping)
    assert err.value.field == field
    assert rule in str(err.value)


def test_params_from_mapping_converts_toml_shapes() -> None:
    p = FixedStrategy.params_from_mapping({"price": 5, "prices": {"1": 9}})
    assert p.prices == {1: 9}
    assert FixedStrategy.prices_by_category(p) == {0: 5, 1: 9, 2: 5, 3: 5, 4: 5}
    b = BanditStrategy.params_from_mapping({"grid": [1, 2, 3], "prior_rate": 1})
    assert b.grid == (1, 2, 3)
    assert b.prior_rate == 1.0 and isinstance(b.prior_rate, float)


def test_every_builtin_declares_bounded_documented_params() -> None:
    for name in strategies.available():
        cls = strategies.get(name)
        assert cls.__doc__ or cls.__module__
        specs = cls.param_specs()
        assert specs, name
        for spec in specs:
            assert spec.doc, (name, spec.name)
            if spec.kind in ("int", "float"):
                assert spec.min is not None and spec.max is not None, (name, spec.name)
                assert spec.min <= spec.default <= spec.max, (name, spec.name)
        # defaults build
        cls(cls.params_from_mapping({}))


def test_registry_builtins_unknown_and_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    assert strategies.available()[:7] == [
        "fixed",
        "competitive",
        "utilization",
        "demand",
        "bandit",
        "portfolio",
        "robust",
    ]
    with pytest.raises(InputError) as err:
        strategies.get("nope")
    assert err.value.field == "strategy.name"
    fake = {
        "echo": EntryPoint("echo", "tests.support.plugin_strategy:EchoStrategy", "g"),
        "fixed": EntryPoint("fixed", "tests.support.plugin_strategy:EchoStrategy", "g"),
        "bogus": EntryPoint("bogus", "tests.support.plugin_strategy:NotAStrategy", "g"),
        "broken": EntryPoint("broken", "tests.support.no_such_module:X", "g"),
    }
    monkeypatch.setattr(strategies, "_plugins", lambda: fake)
    assert strategies.available() == [
        "fixed",
        "competitive",
        "utilization",
        "demand",
        "bandit",
        "portfolio",
        "robust",
        "bogus",
        "broken",
        "echo",
    ]
    assert strategies.get("echo") is EchoStrategy
    assert strategies.get("fixed") is FixedStrategy  # built-ins cannot be shadowed
    with pytest.raises(InputError, match="Strategy subclass"):
        strategies.get("bogus")
    with pytest.raises(InputError, match="failed to import"):
        strategies.get("broken")
    s = strategies.create("echo", {"price": 9})
    d = run_fenced(s, snap(), [offer()], None, random.Random(0))
    assert d.quotes[0].price == 9


class Boom(Strategy):
    name = "boom"

    def decide(self, snapshot: Any, offers: Any, state: dict[str, Any], rng: Any) -> Decision:
        state["poisoned"] = True
        raise ZeroDivisionError("bad math")


class Garbage(Strategy):
    name = "garbage"

    def decide(self, snapshot: Any, offers: Any, state: dict[str, Any], rng: Any) -> Decision:
        return Decision(("not a quote",), state)  # type: ignore[arg-type]


def test_fence_logs_and_raises_strategy_error(caplog: pytest.LogCaptureFixture) -> None:
    state = {"n": 1}
    with caplog.at_level(logging.ERROR, "pricebot.strategies"), pytest.raises(StrategyError):
        run_fenced(Boom(), snap(), [offer()], state, random.Random(0))
    assert "bad math" in caplog.text
    assert state == {"n": 1}  # the strategy got a copy


def test_fence_can_abstain_keeping_state() -> None:
    state = {"n": 1}
    d = run_fenced(Garbage(), snap(), [offer()], state, random.Random(0), on_error="abstain")
    assert d.abstain and d.quotes == () and d.state == {"n": 1}
    assert "not Quote" in d.reason


def test_fence_starts_from_initial_state_and_state_is_json() -> None:
    s = UtilizationStrategy()
    d = run_fenced(s, snap(), [offer()], None, random.Random(0))
    assert set(d.state) == {"log_m", "integral", "u_avg", "stepped_at"}
    json.dumps(d.state)
    b = BanditStrategy()
    d = run_fenced(b, snap(), [offer(), offer(category=1)], None, random.Random(0))
    assert json.loads(json.dumps(d.state)) == d.state


def test_fence_restarts_from_initial_state_when_persisted_state_is_not_a_dict(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "pricebot.strategies"):
        d = run_fenced(UtilizationStrategy(), snap(), [offer()], [1, 2], random.Random(0))  # type: ignore[arg-type]
    assert "log_m" in d.state
    assert "not a dict" in caplog.text


@pytest.mark.parametrize(
    ("cls", "mapping", "attr", "expected"),
    [
        (FixedStrategy, {"price": "0.05 RLC"}, "price", 50_000_000),
        (FixedStrategy, {"prices": {"1": "2 nRLC"}}, "prices", {1: 2}),
        (FixedStrategy, {"price": "1e-3 RLC"}, None, "strategy.params.price"),
        (FixedStrategy, {"price": "0.0000000001 RLC"}, None, "strategy.params.price"),
        (FixedStrategy, {"volume": "5 nRLC"}, None, "strategy.params.volume"),  # not a price
        (BanditStrategy, {"grid": ["0.001 RLC", 5_000_000]}, "grid", (1_000_000, 5_000_000)),
    ],
)
def test_price_params_accept_rlc_amounts(
    cls: type[Strategy], mapping: dict[str, Any], attr: str | None, expected: Any
) -> None:
    if attr is None:
        with pytest.raises(InputError) as err:
            cls.params_from_mapping(mapping)
        assert err.value.field == expected
    else:
        assert getattr(cls.params_from_mapping(mapping), attr) == expected


@dataclass
class _Plain:
    a: int = 0
    rows: list[list[float]] = field(default_factory=list)


@dataclass
class _Checked:
    a: int = 0
    seen: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.seen.append(self.a)


@dataclass(frozen=True, slots=True)
class _Slotted:
    a: int = 0
    b: str = ""


def test_replace_copies_a_plain_memory_as_dataclasses_replace_would() -> None:
    rows = [[1.0, 2.0]]
    old = _Plain(1, rows)
    new = replace(old, a=2)
    assert new == dataclasses.replace(old, a=2) == _Plain(2, rows)
    assert new is not old and old == _Plain(1, rows)  # the original is untouched
    assert new.rows is old.rows  # a shallow copy, as dataclasses.replace makes
    with pytest.raises(TypeError, match="unexpected keyword argument b"):
        replace(old, b=1)


def test_replace_still_runs_post_init_and_builds_slotted_classes() -> None:
    checked = replace(_Checked(1), a=5)
    assert checked.seen == [1, 5]  # __post_init__ ran for the copy too
    assert replace(_Slotted(1, "x"), b="y") == _Slotted(1, "y")
    with pytest.raises(TypeError):
        replace(_Slotted(1), c=2)


def test_the_fence_copies_flat_and_nested_state_deeply() -> None:
    """The fence hands the strategy a copy: a strategy writing into it (a flat list, a flat
    map, a nested row) leaves the caller's state as it was."""

    class Scribbler(FixedStrategy):
        def decide(self, snapshot: Any, offers: Any, state: Any, rng: Any) -> Decision:
            state["flat"].append(9.0)
            state["map"]["k"] = 9
            state["rows"][0][0] = 9.0
            return Decision((), {})

    state: dict[str, object] = {"flat": [1.0, 2.0], "map": {"k": 1}, "rows": [[1.0, 2.0]]}
    run_fenced(Scribbler(), snap(), [offer()], state, random.Random(1))
    assert state == {"flat": [1.0, 2.0], "map": {"k": 1}, "rows": [[1.0, 2.0]]}

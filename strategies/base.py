"""The strategy contract, its typed parameters and the fence around user code.

A strategy is a class with a frozen ``Params`` dataclass and one pure method::

    decide(snapshot, offers, state, rng) -> Decision

It reads only its inputs: time comes in ``snapshot.at`` and randomness from the seeded
``random.Random`` it is handed, so the same call gives the same answer live, in the sandbox and in
a backtest. ``state`` is the plain JSON-serializable dict the strategy returned last time (or
``initial_state()``); the service persists it, so it must not hold objects. ``decide`` must not
mutate the state it is given; it returns the new one in the Decision.

Parameters declare their bounds in field metadata (see :func:`param`) so that config checks and
backtest sweeps can enumerate them (:meth:`Strategy.param_specs`) and so that
:meth:`Strategy.params_from_mapping` can reject bad config naming ``strategy.params.<key>`` and the
rule it breaks.

Whatever a strategy does wrong (raises, returns garbage) is caught by :func:`run_fenced`: it logs
and raises ``StrategyError`` (or abstains, on request), and the caller keeps its current orders
(freqtrade's strategy_wrapper pattern).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import operator
import random
import re
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, TypeVar, cast

from bot.domain.errors import InputError, StrategyError
from bot.domain.model import NRLC_PER_RLC, Quote
from bot.pricing.fills import FillIntent
from bot.pricing.rails import DEFAULT_RAISE_GAIN_FACTOR
from bot.pricing.snapshot import MarketSnapshot, Offer

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "MAX_PRICE",
    "MOVED_PARAMS",
    "Decision",
    "EmptyParams",
    "ParamSpec",
    "State",
    "Strategy",
    "param",
    "quote_for",
    "replace",
    "run_fenced",
    "state_dict",
    "table",
    "under",
]

_log = logging.getLogger("pricebot.strategies")

MAX_PRICE = 10**12
"""Upper bound of every price parameter: 1000 RLC per task, beyond any sane workerpool price."""

MOVED_PARAMS: Mapping[str, str] = types.MappingProxyType(
    {
        "cancel_cost": "rails.cancel_gas_cost",
        "raise_gain_factor": "rails.raise_gain_factor",
    }
)
"""``strategy.params`` keys of 0.1 that became config keys in 0.2 (the raise gate is a rail now):
a config still setting one is refused naming the new key, not silently ignored."""

State = dict[str, object]
"""A strategy's own memory between decisions: plain JSON (the service persists it)."""

T = TypeVar("T")
# Covariant: a Strategy[FixedParams] is a Strategy[object], which is all the cycle needs to know.
P = TypeVar("P", covariant=True)


@dataclass(frozen=True, slots=True)
class Decision:
    """What a strategy wants: quotes (each with a one-line reason), its new state, or abstain.

    Abstaining means "I have no opinion now": the caller keeps the current orders as they are.
    An empty ``quotes`` without abstaining means "list nothing" (existing orders are withdrawn).
    ``fills`` are waiting request orders the strategy wants filled now (bot.pricing.fills); when it gives
    none and ``[fills]`` is enabled, the cycle applies the built-in fill policy, so every
    strategy can fill without code of its own.
    """

    quotes: tuple[Quote, ...]
    state: State
    abstain: bool = False
    reason: str = ""
    fills: tuple[FillIntent, ...] = ()


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One declared parameter, as sweeps and ``config check`` see it."""

    name: str
    kind: str  # "int" | "float" | "bool" | "str" | "int|None" | "table" | "ints"
    default: object
    min: float | None
    max: float | None
    doc: str
    choices: tuple[str, ...] | None = None
    unit: str | None = None  # "nRLC": a price; config may write "0.05 RLC"


def param(
    default: T,
    *,
    min: float | None = None,
    max: float | None = None,
    doc: str = "",
    choices: Sequence[str] | None = None,
    unit: str | None = None,
) -> T:
    """A Params field with its bounds (inclusive) and a one-line doc.

    ``unit="nRLC"`` marks a price: config may then also write it ``"0.05 RLC"`` or
    ``"50000000 nRLC"`` (converted exactly to integer nRLC).
    """
    meta = {
        "min": min,
        "max": max,
        "doc": doc,
        "choices": tuple(choices) if choices else None,
        "unit": unit,
    }
    if isinstance(default, tuple | list):
        # A fresh tuple per instance (a list default is frozen into one).
        items = tuple(default)
        return cast(T, field(default_factory=lambda: items, metadata=meta))
    return field(default=default, metadata=meta)


def table(
    default: Mapping[int, int] | None = None,
    *,
    min: float | None = None,
    max: float | None = None,
    doc: str = "",
    unit: str | None = None,
) -> dict[int, int]:
    """A per-category ``{category: int}`` Params field; bounds apply to every value."""
    items = dict(default or {})
    meta = {"min": min, "max": max, "doc": doc, "choices": None, "unit": unit}
    return field(default_factory=lambda: dict(items), metadata=meta)


@dataclass(frozen=True, slots=True)
class EmptyParams:
    """For strategies without parameters."""


def _kind(hint: object) -> str:
    if hint is bool:
        return "bool"
    if hint is int:
        return "int"
    if hint is float:
        return "float"
    if hint is str:
        return "str"
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (dict, Mapping) or hint is dict:
        return "table"
    if origin is tuple:
        return "ints"
    if origin in (types.UnionType, typing.Union) and set(args) == {int, type(None)}:
        return "int|None"
    raise TypeError(f"unsupported Params field type {hint!r}")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(rlc|nrlc)\s*$", re.IGNORECASE)


def _price(name: str, spec: ParamSpec, raw: object) -> object:
    """``"0.05 RLC"`` / ``"5 nRLC"`` -> exact integer nRLC for price params; else unchanged."""
    if spec.unit != "nRLC" or not isinstance(raw, str):
        return raw
    match = _AMOUNT.match(raw)
    if match is None:
        raise InputError(name, "must be an integer (nRLC) or an amount like '0.05 RLC'", raw)
    amount = Decimal(match.group(1)) * (NRLC_PER_RLC if match.group(2).lower() == "rlc" else 1)
    if amount != amount.to_integral_value():
        raise InputError(name, "must be a whole number of nRLC (at most 9 RLC decimals)", raw)
    return int(amount)


def _check_bounds(name: str, spec: ParamSpec, v: float) -> None:
    if spec.min is not None and v < spec.min:
        raise InputError(name, f"must be >= {spec.min}", v)
    if spec.max is not None and v > spec.max:
        raise InputError(name, f"must be <= {spec.max}", v)


def _coerce(spec: ParamSpec, raw: object) -> object:
    name = f"strategy.params.{spec.name}"
    kind = spec.kind
    if kind == "int|None":
        if raw is None:
            return None
        kind = "int"
    if kind == "bool":
        if not isinstance(raw, bool):
            raise InputError(name, "must be true or false", raw)
        return raw
    if kind == "int":
        raw = _price(name, spec, raw)
        if not _is_int(raw):
            raise InputError(name, "must be an integer", raw)
        assert isinstance(raw, int)
        _check_bounds(name, spec, raw)
        return raw
    if kind == "float":
        if not (_is_int(raw) or isinstance(raw, float)):
            raise InputError(name, "must be a number", raw)
        assert isinstance(raw, int | float)
        value = float(raw)
        if value != value:
            raise InputError(name, "must be a number, not NaN", raw)
        _check_bounds(name, spec, value)
        return value
    if kind == "str":
        if not isinstance(raw, str):
            raise InputError(name, "must be a string", raw)
        if spec.choices and raw not in spec.choices:
            raise InputError(name, f"must be one of {list(spec.choices)}", raw)
        return raw
    if kind == "ints":
        if not isinstance(raw, list | tuple) or not raw:
            raise InputError(name, "must be a non-empty list of integers", raw)
        items = [_price(name, spec, item) for item in raw]
        for item in items:
            if not _is_int(item):
                raise InputError(name, "must be a list of integers", item)
            assert isinstance(item, int)
            _check_bounds(name, spec, item)
        return tuple(items)
    # table: {category: int}; TOML keys are strings
    if not isinstance(raw, Mapping):
        raise InputError(name, "must be a table {category = integer}", raw)
    out: dict[int, int] = {}
    for k, v in raw.items():
        try:
            cat = int(k)
        except (TypeError, ValueError):
            raise InputError(name, "keys must be category ids (integers)", k) from None
        if cat < 0:
            raise InputError(name, "keys must be category ids >= 0", k)
        v = _price(f"{name}.{k}", spec, v)
        if not _is_int(v):
            raise InputError(f"{name}.{k}", "must be an integer", v)
        assert isinstance(v, int)
        _check_bounds(f"{name}.{k}", spec, v)
        out[cat] = v
    return out


class Strategy(ABC, Generic[P]):
    """Base class of every pricing strategy (built-in or from an entry point).

    Generic in its ``Params`` (``class FixedStrategy(Strategy[FixedParams])``), so
    ``self.params`` and :meth:`params_from_mapping` are typed; ``Params`` names the same class
    for the run-time side (field specs, construction from config).
    """

    name: ClassVar[str] = ""
    Params: ClassVar[type[DataclassInstance]] = EmptyParams
    raise_gain_factor: ClassVar[float] = DEFAULT_RAISE_GAIN_FACTOR
    """The rails' raise gate for this strategy's quotes (bot.pricing.rails.gate_raise): a raise
    is held unless its extra revenue reaches this factor x the gas of the cancels it causes;
    0 turns it off. ``rails.raise_gain_factor`` overrides it."""

    def __init__(self, params: P | None = None) -> None:
        # The class attribute and the type argument name the same class (checked just below).
        self.params: P = cast(P, self.Params()) if params is None else params
        if not isinstance(self.params, self.Params):
            raise InputError("strategy.params", f"must be a {self.Params.__name__}", params)

    @classmethod
    def param_specs(cls) -> tuple[ParamSpec, ...]:
        hints = typing.get_type_hints(cls.Params)
        specs = []
        for f in dataclasses.fields(cls.Params):
            meta = f.metadata
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = None
            specs.append(
                ParamSpec(
                    name=f.name,
                    kind=_kind(hints[f.name]),
                    default=default,
                    min=meta.get("min"),
                    max=meta.get("max"),
                    doc=meta.get("doc", ""),
                    choices=meta.get("choices"),
                    unit=meta.get("unit"),
                )
            )
        return tuple(specs)

    @classmethod
    def params_from_mapping(cls, mapping: Mapping[str, object] | None = None) -> P:
        """Build ``Params`` from config, naming ``strategy.params.<key>`` and the rule on error."""
        mapping = dict(mapping or {})
        specs = {s.name: s for s in cls.param_specs()}
        for key in mapping:
            if key not in specs and key in MOVED_PARAMS:
                raise InputError(
                    f"strategy.params.{key}",
                    f"moved to {MOVED_PARAMS[key]} in 0.2.0 (the raise gate is a rail for every "
                    f"strategy now): set {MOVED_PARAMS[key]} in [rails] instead",
                )
            if key not in specs:
                raise InputError(
                    f"strategy.params.{key}",
                    f"unknown parameter of strategy '{cls.name}'; known: {sorted(specs)}",
                )
        values = {key: _coerce(specs[key], raw) for key, raw in mapping.items()}
        return cast(P, cls.Params(**values))

    def initial_state(self) -> State:
        """State before the first decision; must be JSON-serializable."""
        return {}

    @abstractmethod
    def decide(
        self,
        snapshot: MarketSnapshot,
        offers: Sequence[Offer],
        state: State,
        rng: random.Random,
    ) -> Decision:
        """Desired quotes for ``offers`` given ``snapshot``; never I/O, never a clock read."""


def quote_for(offer: Offer, price: int, volume: int, reason: str, *, jump: bool = False) -> Quote:
    """A Quote in ``offer``'s slot (``jump``: a deliberate move, see ``Quote.jump``)."""
    return Quote(
        category=offer.category,
        price=max(0, int(price)),
        volume=max(0, int(volume)),
        tag=offer.tag,
        trust=offer.trust,
        apprestrict=offer.apprestrict,
        datasetrestrict=offer.datasetrestrict,
        requesterrestrict=offer.requesterrestrict,
        reason=reason,
        jump=jump,
    )


def under(price: int, step: int, floor: int) -> int:
    """One ``step`` under a rival's ``price``, never under our ``floor``: the undercut that
    portfolio's contested rule and robust's guards share (a floor above the rival wins)."""
    return max(price - step, floor)


_ATOMS = frozenset((str, int, float, bool, type(None)))


def _copy_state(value: T) -> T:
    """A deep copy of a JSON-shaped state (dicts, lists, scalars), ~5x cheaper than deepcopy.

    Anything else is handed to ``copy.deepcopy``; the fence runs every tick of a backtest. Most
    of a strategy's state is flat lists and maps of numbers: one C-level pass over the types
    proves a container flat, and a flat one is copied whole instead of element by element.
    """
    return cast(T, _copy_json(value))


def _copy_json(value: object) -> object:
    """:func:`_copy_state`'s recursion, typed ``object`` so that it needs no ``typing.cast`` per
    container: ``cast`` is a real call, and robust's state is ~200 containers copied a tick."""
    if type(value) is dict:
        if _ATOMS.issuperset(map(type, value.values())):
            return value.copy()
        return {k: v if type(v) in _ATOMS else _copy_json(v) for k, v in value.items()}
    if type(value) is list:
        if _ATOMS.issuperset(map(type, value)):
            return value.copy()
        return [v if type(v) in _ATOMS else _copy_json(v) for v in value]
    if type(value) in _ATOMS:
        return value
    return copy.deepcopy(value)


_D = TypeVar("_D", bound="DataclassInstance")


@functools.cache
def _init_fields(kind: type) -> tuple[tuple[str, ...], Callable[[object], tuple[object, ...]]]:
    names = tuple(f.name for f in dataclasses.fields(kind) if f.init)
    get = operator.attrgetter(*names)
    if len(names) == 1:
        return names, lambda obj: (get(obj),)
    return names, get


@functools.cache
def _plain_fields(kind: type) -> frozenset[str] | None:
    """The field names of a dataclass whose ``__init__`` only stores its fields in the
    instance's ``__dict__`` (no ``__slots__``, no ``__post_init__``, every field in
    ``__init__``, no InitVar), else None: such an instance is copied whole, as ``__init__``
    with every field given would build it."""
    own = dataclasses.fields(kind)
    if (
        "__slots__" in vars(kind)
        or hasattr(kind, "__post_init__")
        or len(own) != len(vars(kind)["__dataclass_fields__"])
        or not all(f.init for f in own)
    ):
        return None
    return frozenset(f.name for f in own)


def replace(obj: _D, /, **changes: object) -> _D:
    """``dataclasses.replace`` with the field list read once per class.

    A strategy's memory is a wide dataclass (robust's has about 90 fields) copied with a change
    dozens of times a tick: the library's loop over ``fields()`` was a quarter of a backtest,
    and ``__init__`` with 90 keywords still half of robust's tick. Same result: a memory whose
    ``__init__`` only stores its fields (:func:`_plain_fields`) is copied with its ``__dict__``
    (~10x faster); any other class goes through ``__init__`` (so ``__post_init__`` checks run).
    """
    kind = type(obj)
    plain = _plain_fields(kind)
    if plain is None:
        names, get = _init_fields(kind)
        values = dict(zip(names, get(obj), strict=True))
        values.update(changes)
        return kind(**values)
    if not plain.issuperset(changes):
        unknown = ", ".join(sorted(set(changes) - plain))
        raise TypeError(f"{kind.__name__}.__init__() got an unexpected keyword argument {unknown}")
    new = object.__new__(kind)
    fields_of = new.__dict__
    fields_of.update(obj.__dict__)
    fields_of.update(changes)
    return new


def state_dict(obj: DataclassInstance, *, skip: frozenset[str] = frozenset()) -> dict[str, object]:
    """``dataclasses.asdict`` for a memory whose fields are JSON-shaped (scalars, lists, dicts):
    each field deep-copied once, without asdict's recursion through every value's type. Fields
    in ``skip`` are left out (for the caller to store in a form of its own)."""
    names, get = _init_fields(type(obj))
    return {
        n: v if type(v) in _ATOMS else _copy_json(v)
        for n, v in zip(names, get(obj), strict=True)
        if n not in skip
    }


def run_fenced(
    strategy: Strategy[object],
    snapshot: MarketSnapshot,
    offers: Sequence[Offer],
    state: object,
    rng: random.Random,
    *,
    copy_state: bool = True,
    on_error: Literal["raise", "abstain"] = "raise",
    logger: logging.Logger | None = None,
) -> Decision:
    """Call ``strategy.decide`` behind the fence.

    Any exception, or a result that is not a proper Decision, is logged and becomes a
    ``StrategyError`` (raised by default; with ``on_error="abstain"`` an abstaining Decision that
    keeps the old state is returned instead). Either way the caller must keep its current orders.
    ``state=None`` (nothing persisted yet) means ``strategy.initial_state()``. ``copy_state``
    hands the strategy a deep copy so a misbehaving one cannot corrupt the caller's state; a
    backtest that trusts its strategy may turn it off for speed.
    """
    log = logger or _log
    if state is not None and not isinstance(state, dict):
        # e.g. a journal written by another strategy or an older version: start afresh rather
        # than fail every cycle
        log.warning(
            "strategy '%s': persisted state is a %s, not a dict; starting from its initial state",
            strategy.name,
            type(state).__name__,
        )
        state = None
    try:
        if state is None:
            state = strategy.initial_state()
        given = _copy_state(state) if copy_state else state
        decision = strategy.decide(snapshot, offers, given, rng)
        if not isinstance(decision, Decision):
            raise TypeError(f"decide() returned {type(decision).__name__}, not Decision")
        if not isinstance(decision.state, dict):
            raise TypeError("Decision.state must be a dict")
        for q in decision.quotes:
            if not isinstance(q, Quote):
                raise TypeError(f"Decision.quotes holds a {type(q).__name__}, not Quote")
        for f in decision.fills:
            if not isinstance(f, FillIntent):
                raise TypeError(f"Decision.fills holds a {type(f).__name__}, not FillIntent")
    except Exception as exc:  # the fence: any user bug
        err = StrategyError(f"strategy '{strategy.name}' failed: {exc!r}")
        log.error("%s; keeping current orders", err, exc_info=exc)
        if on_error == "raise":
            raise err from exc
        return Decision(quotes=(), state=state or {}, abstain=True, reason=f"fenced: {err}")
    return decision

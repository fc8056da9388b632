"""The pool owner's configuration: one typed, frozen TOML schema.

Unknown keys are refused (a misspelt ``ceilling`` must not silently fall back to a default), every
error names the key path and the rule (``rails.floor: must be <= rails.ceiling``), and the
cross-field rules are small named functions run after the per-field checks. Prices accept
``"0.1 RLC"``, ``"5 nRLC"`` or an integer number of nRLC and are stored as integer nRLC.

Two things a config can never do: hold a key (anything that looks like a private key is refused;
keys come from the environment or a keystore, see :mod:`bot.adapters.keys`), and switch on live mode
(acting for real needs ``--live`` on the command line, so a copied config cannot start trading).

Relative paths (keystore, password file, journal directory) are resolved against the config
file's directory, so a service started from anywhere finds the same files.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.adapters.keys import DEFAULT_GAS_ENV, DEFAULT_OWNER_ENV, KeySource, find_secrets
from bot.domain.errors import ConfigError, InputError, RuleViolation, echo_value, redact_secrets
from bot.domain.model import NRLC_PER_RLC, parse_tag
from bot.domain.networks import Network, get_network
from bot.domain.order_io import parse_price
from bot.domain.rules import check_terms
from bot.engine.market_demand import MarketDemand, market_demand
from bot.pricing.fills import FillPolicy
from bot.pricing.rails import RailsConfig

__all__ = [
    "LOCAL_BUDGET_PER_MINUTE",
    "MARKET_LIMIT_PER_MINUTE",
    "PRODUCTION_SHARE",
    "AlertSinkConfig",
    "AlertsConfig",
    "BotConfig",
    "EndpointsConfig",
    "KeySpec",
    "KeysConfig",
    "OfferConfig",
    "OpsConfig",
    "RailsConfig",
    "ScheduleConfig",
    "ServiceConfig",
    "StrategyConfig",
    "config_from_mapping",
    "load_config",
    "validate_strategy",
]

NetworkName = Literal["arbitrum-mainnet", "arbitrum-sepolia-testnet", "bellecour", "local"]
_LIVE_KEYS = {"live", "dry_run", "dry-run", "dryrun"}
MAX_PRICE_NRLC = 87_000_000 * NRLC_PER_RLC
"""The RLC total supply: no price or stake threshold in a config can exceed it."""


def _wrap_input(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Turn bot.domain.errors.InputError into ValueError so pydantic reports it at the field's path."""

    def run(value: Any) -> Any:
        try:
            return parse(value)
        except InputError as exc:
            shown = "" if exc.value is None else f" (got {echo_value(exc.value)})"
            raise ValueError(f"{exc.rule}{shown}") from None

    return run


def _price(value: Any, field: str = "price") -> int:
    nrlc = int(parse_price(value, field))
    if nrlc > MAX_PRICE_NRLC:
        raise InputError(field, "must be at most 87000000 RLC (the RLC total supply)", value)
    return nrlc


def _tag(value: Any) -> int:
    return parse_tag(value, "tag")


def _fill_app(value: Any) -> str:
    from bot.domain.order_io import norm_user_address

    return norm_user_address(value, "fill_apps")


Price = Annotated[int, BeforeValidator(_wrap_input(_price))]
"""A price in integer nRLC, written as ``"0.1 RLC"``, ``"5 nRLC"`` or an int (nRLC); at most the
RLC total supply (87,000,000 RLC), so a typo such as a 10^39 ceiling is refused."""
Tag = Annotated[int, BeforeValidator(_wrap_input(_tag))]
# Bounds that no sane setting reaches, so a slipped exponent is an error rather than a setting:
# durations at most a year, counts at most a billion (order volumes are task counts).
YEAR_SECONDS = 365 * 86_400
PositiveInt = Annotated[StrictInt, Field(gt=0, le=10**9)]
NonNegInt = Annotated[StrictInt, Field(ge=0, le=10**9)]
Seconds = Annotated[StrictInt, Field(gt=0, le=YEAR_SECONDS)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EndpointsConfig(_Section):
    """Where to talk to; empty means the network's defaults."""

    rpc_urls: tuple[str, ...] = ()
    market_url: str | None = None
    core_url: str | None = None

    @field_validator("rpc_urls", "market_url", "core_url")
    @classmethod
    def _http(cls, value: Any) -> Any:
        urls = value if isinstance(value, tuple) else (value,)
        for url in urls:
            if url is not None:
                _check_url(url)
        return value


_LOOPBACK_NAMES = {"localhost", "localhost."}


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str) -> None:
    """An endpoint URL: https, or http to this machine only; no credentials, no control chars.

    A password in the URL would be echoed in errors and sent in the clear by ``http://``; a
    remote ``http://`` endpoint lets anyone on the path read the login signature and forge the
    book; CR/LF in a URL is a header-injection attempt, not a typo.
    """
    from urllib.parse import urlsplit

    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise ValueError("must not contain spaces or control characters (CR, LF, tab...)")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"must be an http:// or https:// URL (got {echo_value(url)})")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError("must be a valid URL (host and optional numeric port)") from None
    if "@" in parts.netloc:
        raise ValueError(
            "must not hold a user name or password (user:pass@host); use a URL without credentials"
        )
    if not host:
        raise ValueError(f"must name a host (got {echo_value(url)})")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(
            f"http:// is only allowed to this machine (localhost, 127.0.0.1, ::1); use https:// "
            f"for {host} (got {echo_value(url)})"
        )


class KeySpec(_Section):
    """One key's source: ``{ env = "NAME" }`` or ``{ keystore = "path", password_file = "..." }``."""

    env: str | None = None
    keystore: str | None = None
    password_file: str | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> KeySpec:
        self.source()  # KeySource checks the combination
        return self

    def source(self) -> KeySource:
        try:
            return KeySource(
                env=self.env,
                keystore=self.keystore,
                password_file=self.password_file,
                password_env=self.password_env,
            )
        except ConfigError as exc:
            raise ValueError(str(exc).removeprefix("key source: ")) from None


class KeysConfig(_Section):
    owner: KeySpec = KeySpec(env=DEFAULT_OWNER_ENV)
    gas: KeySpec | None = None  # relayer wallet for on-chain cancels; None = the owner sends them
    cancel_sender: Literal["relay", "owner"] = "relay"

    def gas_source(self) -> KeySource:
        """The gas wallet's key source (``PRICEBOT_GAS_PRIVATE_KEY`` unless configured)."""
        return (self.gas or KeySpec(env=DEFAULT_GAS_ENV)).source()


class StrategyConfig(_Section):
    name: str = "competitive"
    params: dict[str, Any] = Field(default_factory=dict)


class OfferConfig(_Section):
    """One thing the pool sells: a category and tag, with the capacity facts the rails need."""

    category: NonNegInt
    tag: Tag = 0
    trust: NonNegInt = 0
    task_seconds: Seconds = 120
    max_volume: PositiveInt = 50
    # Apps whose waiting requests the pool may fill for this offer (bot.pricing.fills); none by default:
    # a request the pool cannot run (framework, input files, result storage) forfeits stake.
    fill_apps: tuple[Annotated[str, BeforeValidator(_wrap_input(_fill_app))], ...] = ()


MARKET_LIMIT_PER_MINUTE = 100
"""What the public marketplace allows each client address a minute (every route counted)."""

PRODUCTION_SHARE = 0.2
"""The share of that limit a production config may budget without ``market_budget_over_share``:
the owner's other tools (the iExec CLI, the explorer, a second bot) use the same address."""

LOCAL_BUDGET_PER_MINUTE = 6000.0
"""The default budget on a local network: the sandbox's marketplace allows 10,000 a minute."""


class ScheduleConfig(_Section):
    sample_seconds: Seconds = 60
    reprice_seconds: Seconds = 60
    reconcile_seconds: Seconds = 300
    record_seconds: Seconds = 300
    misfire_grace_seconds: Seconds = 30
    # The bot's own cap on marketplace requests a minute (its token bucket); unset: 20 % of the
    # marketplace's 100 on production networks, 6,000 on a local one. `config check` refuses a
    # schedule whose jobs need more (bot.engine.market_demand).
    market_budget_per_minute: (
        Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False, strict=True)] | None
    ) = None
    # Production networks: allow a budget above 20 % of the marketplace's limit.
    market_budget_over_share: StrictBool = False


class ServiceConfig(_Section):
    journal_dir: str = "state"
    on_exit: Literal["keep", "unpublish", "cancel"] = "keep"
    unknown_orders: Literal["adopt", "withdraw"] = "adopt"
    # Fee cap per gas, at most 10,000 gwei (Ethereum mainnet's worst spikes stayed below it).
    max_fee_gwei: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False, strict=True)] = 2.0
    low_stake_warning: Price = 10 * 10**9
    low_gas_warning_eth: Annotated[
        float, Field(ge=0, le=1_000, allow_inf_nan=False, strict=True)
    ] = 0.01
    # Journal history (snapshots, decisions, closed orders and their actions) older than this is
    # pruned once a day by the service; 0 keeps everything, at most 100 years (36,500 days).
    # Open orders are never pruned. 90 by default: with a 500-order book the journal grows by
    # about 2-6 MB a day (docs/BENCHMARKS.md), so it stays bounded at a few hundred MB.
    journal_keep_days: Annotated[
        float, Field(ge=0, le=36_500, allow_inf_nan=False, strict=True)
    ] = 90.0
    # Online backups of the live journal, the only record of signed orders that are unlisted but
    # still valid on chain: one every journal_backup_hours, the journal_backup_keep newest kept in
    # journal_backup_dir ("" = <journal_dir>/backups); journal_backup_keep = 0 turns them off.
    journal_backup_hours: Annotated[StrictInt, Field(gt=0, le=8760)] = 6
    journal_backup_keep: Annotated[StrictInt, Field(ge=0, le=1000)] = 8
    journal_backup_dir: str = ""

    def backup_dir(self) -> Path:
        """Where journal backups go (``journal_backup_dir``, or ``<journal_dir>/backups``)."""
        return Path(self.journal_backup_dir or Path(self.journal_dir) / "backups")


EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
"""The name of an environment variable (the value, a secret, never sits in the config)."""


class OpsConfig(_Section):
    """The ops server inside ``pricebot run``: /healthz, /metrics, the JSON API, control routes.

    Loopback by default: the API shows prices, orders and stake, and control routes pause the
    bot. Listening elsewhere needs ``allow_remote = true`` *and* a token, and then every route
    but /healthz asks for it. The token itself lives in the environment (``token_env``).
    """

    enabled: StrictBool = True
    listen: str = "127.0.0.1"
    port: Annotated[StrictInt, Field(ge=0, le=65_535)] = 9478  # 0: any free port
    metrics: StrictBool = True
    token_env: EnvName | None = "PRICEBOT_OPS_TOKEN"
    allow_remote: StrictBool = False

    @field_validator("listen")
    @classmethod
    def _host(cls, value: str) -> str:
        if value.lower() in _LOOPBACK_NAMES:
            return value
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(
                f"must be an IP address or localhost (got {echo_value(value)})"
            ) from None
        return value

    @property
    def loopback(self) -> bool:
        return _is_loopback(self.listen)


AlertEventName = Literal[
    "startup",
    "shutdown",
    "cycle_stalled",
    "source_down",
    "publish_failed",
    "cancel_failed",
    "kill_switch",
    "stake_low",
    "paused",
    "test",
    "gas_low",
    "rate_limited",
    "owner_changed",
    "invariant_violation",
    "stale_cheaper_order",
    "daily_summary",
]


class AlertSinkConfig(_Section):
    """One webhook: its payload shape and the environment variable holding its URL (a secret)."""

    kind: Literal["json", "slack", "discord"]
    url_env: EnvName


class AlertsConfig(_Section):
    """Where alerts go and which events are sent (``on``), logged only (``silent``) or dropped."""

    sinks: tuple[AlertSinkConfig, ...] = ()
    events: dict[AlertEventName, Literal["on", "silent", "off"]] = Field(default_factory=dict)
    timeout_seconds: Annotated[float, Field(gt=0, le=60, allow_inf_nan=False, strict=True)] = 5.0


# Cross-field rules, each small and named; each returns "path: rule" messages.


def _check_network_fields(cfg: BotConfig) -> list[str]:
    if cfg.network == "local":
        missing = [n for n in ("chain_id", "hub") if getattr(cfg, n) is None]
        return [f"{n}: is required when network = 'local'" for n in missing]
    wrong = [n for n in ("chain_id", "hub") if getattr(cfg, n) is not None]
    return [f"{n}: only allowed when network = 'local' ({cfg.network} fixes it)" for n in wrong]


def _check_workerpool(cfg: BotConfig) -> list[str]:
    if cfg.workerpool == "0x" + "0" * 40:
        return ["workerpool: must be your workerpool's address, not the zero address"]
    return []


def _check_rails(cfg: BotConfig) -> list[str]:
    errors = []
    for index, offer in enumerate(cfg.offers):
        if offer.max_volume > cfg.rails.max_volume:
            errors.append(f"offers[{index}].max_volume: must be <= rails.max_volume")
    return errors


def _check_offers(cfg: BotConfig) -> list[str]:
    errors = []
    if not cfg.offers:
        errors.append("offers: at least one [[offers]] entry is required")
    network = cfg.network_obj()
    seen: set[tuple[int, int, int]] = set()
    for index, offer in enumerate(cfg.offers):
        try:
            check_terms(network, category=offer.category, tag=offer.tag, trust=offer.trust)
        except RuleViolation as exc:
            field = {"category-unknown": "category", "tee-trust": "trust"}.get(exc.rule, "tag")
            errors.append(f"offers[{index}].{field}: {exc}")
        key = (offer.category, offer.tag, offer.trust)
        if key in seen:
            errors.append(f"offers[{index}]: duplicate (category, tag, trust) {key}")
        seen.add(key)
    return errors


def _check_schedule(cfg: BotConfig) -> list[str]:
    s = cfg.schedule
    if s.reprice_seconds < s.sample_seconds:
        return ["schedule.reprice_seconds: must be >= schedule.sample_seconds"]
    budget = cfg.market_budget_per_minute()
    share = PRODUCTION_SHARE * MARKET_LIMIT_PER_MINUTE
    if cfg.network != "local" and budget > share and not s.market_budget_over_share:
        return [
            f"schedule.market_budget_per_minute: {budget:g} requests/min is above "
            f"{PRODUCTION_SHARE:.0%} of the marketplace's {MARKET_LIMIT_PER_MINUTE}/min "
            f"({share:g}) on {cfg.network}; set schedule.market_budget_over_share = true to "
            "allow it"
        ]
    demand = cfg.market_demand()
    if demand.steady_per_minute > budget:
        return [
            f"schedule: needs {demand.steady_per_minute:.1f} marketplace requests/min "
            f"> schedule.market_budget_per_minute = {budget:g} ({demand.explain()}); raise "
            "schedule.sample_seconds / schedule.reprice_seconds / schedule.reconcile_seconds, "
            "offer fewer (category, tag) slots, or raise the budget"
        ]
    return []


def _check_keys(cfg: BotConfig) -> list[str]:
    if cfg.keys.cancel_sender == "relay" and cfg.keys.gas is not None:
        owner, gas = cfg.keys.owner, cfg.keys.gas
        if (owner.env and owner.env == gas.env) or (
            owner.keystore and owner.keystore == gas.keystore
        ):
            return ["keys.gas: must differ from keys.owner when cancel_sender = 'relay'"]
    return []


def _check_ops(cfg: BotConfig) -> list[str]:
    ops = cfg.ops
    if ops.loopback:
        return []
    if not ops.allow_remote:
        return [
            f"ops.listen: {ops.listen} is not loopback; set ops.allow_remote = true to listen "
            "beyond this machine (prefer an SSH tunnel)"
        ]
    if ops.token_env is None:
        return ["ops.token_env: is required when ops.listen is not loopback"]
    return []


# The [rails] keys that are prices (the rest are checked by bot.pricing.rails.RailsConfig itself), and
# the sanity bounds of the others (as for every section: a slipped exponent is an error).
_RAILS_PRICES = ("floor", "ceiling", "cancel_gas_cost")
_RAILS_BOUNDS = {
    "max_order_age_seconds": YEAR_SECONDS,
    "stale_after_seconds": YEAR_SECONDS,
    "max_volume": 10**9,
}

_CROSS_CHECKS: tuple[Callable[[BotConfig], list[str]], ...] = (
    _check_network_fields,
    _check_workerpool,
    _check_rails,
    _check_offers,
    _check_schedule,
    _check_keys,
    _check_ops,
)


class BotConfig(_Section):
    """The whole configuration. Build it with :func:`load_config` or :func:`config_from_mapping`."""

    network: NetworkName
    workerpool: str
    chain_id: PositiveInt | None = None
    hub: str | None = None
    endpoints: EndpointsConfig = EndpointsConfig()
    keys: KeysConfig = KeysConfig()
    strategy: StrategyConfig = StrategyConfig()
    offers: tuple[OfferConfig, ...] = ()
    rails: RailsConfig = RailsConfig()
    fills: FillPolicy = FillPolicy()
    schedule: ScheduleConfig = ScheduleConfig()
    service: ServiceConfig = ServiceConfig()
    ops: OpsConfig = OpsConfig()
    alerts: AlertsConfig = AlertsConfig()

    @field_validator("rails", mode="before")
    @classmethod
    def _rails(cls, value: Any) -> Any:
        """The ``[rails]`` table as bot.pricing.rails.RailsConfig, which checks its own values.

        Only the spelling and the sanity bounds are handled here: unknown keys, prices written
        ``"0.1 RLC"`` (at most the RLC supply), durations and volumes no pool reaches.
        """
        if not isinstance(value, Mapping):
            return value
        known = {f.name for f in dataclasses.fields(RailsConfig)}
        for key in value:
            if key not in known:
                where = redact_secrets(f"rails.{key}")
                raise InputError(where, "unknown key (not part of the config schema)")
        out = dict(value)
        for name in _RAILS_PRICES:
            if name in out:
                out[name] = _price(out[name], f"rails.{name}")
        for name, bound in _RAILS_BOUNDS.items():
            raw = out.get(name)
            if isinstance(raw, int | float) and not isinstance(raw, bool) and raw > bound:
                raise InputError(f"rails.{name}", f"must be at most {bound}", raw)
        return RailsConfig(**out)

    @field_validator("fills", mode="before")
    @classmethod
    def _fills(cls, value: Any) -> Any:
        """The ``[fills]`` table as bot.pricing.fills.FillPolicy, which checks its own values."""
        if not isinstance(value, Mapping):
            return value
        known = {f.name for f in dataclasses.fields(FillPolicy)}
        for key in value:
            if key not in known:
                where = redact_secrets(f"fills.{key}")
                raise InputError(where, "unknown key (not part of the config schema)")
        out = dict(value)
        if "match_gas_cost" in out:
            out["match_gas_cost"] = _price(out["match_gas_cost"], "fills.match_gas_cost")
        return FillPolicy(**out)

    @field_validator("workerpool", "hub")
    @classmethod
    def _address(cls, value: Any) -> Any:
        from bot.domain.order_io import norm_user_address

        if value is None:
            return None
        return _wrap_input(lambda v: norm_user_address(v, "address"))(value)

    @model_validator(mode="after")
    def _cross_checks(self) -> BotConfig:
        if self.network == "local" and (self.chain_id is None or self.hub is None):
            raise ValueError("; ".join(_check_network_fields(self)))
        errors = [message for check in _CROSS_CHECKS for message in check(self)]
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def market_budget_per_minute(self) -> float:
        """``schedule.market_budget_per_minute``, or its default for this network."""
        budget = self.schedule.market_budget_per_minute
        if budget is not None:
            return budget
        if self.network == "local":
            return LOCAL_BUDGET_PER_MINUTE
        return PRODUCTION_SHARE * MARKET_LIMIT_PER_MINUTE

    def market_demand(self) -> MarketDemand:
        """The marketplace requests this schedule and these offers need (per job, per minute)."""
        s = self.schedule
        apps = {app for offer in self.offers for app in offer.fill_apps}
        return market_demand(
            slots=[(offer.category, offer.tag) for offer in self.offers],
            offers=len(self.offers),
            sample_seconds=s.sample_seconds,
            reprice_seconds=s.reprice_seconds,
            reconcile_seconds=s.reconcile_seconds,
            fill_apps=len(apps) if self.fills.enabled else None,
            fills_per_tick=self.fills.max_per_tick,
        )

    def network_obj(self) -> Network:
        """The resolved :class:`bot.domain.networks.Network`, with this config's URL overrides."""
        return get_network(
            self.network,
            chain_id=self.chain_id if self.network == "local" else None,
            hub=self.hub if self.network == "local" else None,
            market_url=self.endpoints.market_url,
            rpc_url=self.endpoints.rpc_urls[0] if self.endpoints.rpc_urls else None,
        )

    def rpc_urls(self) -> tuple[str, ...]:
        """The fail-over list of RPC URLs (the network default when none is configured)."""
        return self.endpoints.rpc_urls or (self.network_obj().rpc_url,)


def _format_validation_error(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (not part of the config schema)"
        elif error["type"] == "missing":
            message = "is required"
        else:
            message = message.replace("Input should be", "must be").replace(
                "a valid tuple", "a list"
            )
        lines.append(f"{path}: {message}" if path else message)
    return "; ".join(lines)


def _refuse_forbidden(data: Mapping[str, Any]) -> None:
    secrets = find_secrets(data)
    if secrets:
        raise ConfigError(
            f"{secrets[0]}: a config must not contain a private key or secret; put the key in "
            f"the environment ({DEFAULT_OWNER_ENV}) or in a keystore file (keys.owner.keystore)"
        )
    for prefix in ("", "service", "schedule"):
        section = data if not prefix else data.get(prefix)
        if not isinstance(section, Mapping):
            continue
        for key in sorted(_LIVE_KEYS & set(section)):
            where = f"{prefix}.{key}" if prefix else key
            raise ConfigError(
                f"{where}: live mode cannot be set in a config; "
                "pass --live on the command line to act for real"
            )


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).is_absolute():
            return str(base / value)
        return value

    keys = data.get("keys")
    if isinstance(keys, dict):
        for name in ("owner", "gas"):
            spec = keys.get(name)
            if isinstance(spec, dict):
                for field in ("keystore", "password_file"):
                    if field in spec:
                        spec[field] = resolve(spec[field])
    service = data.setdefault("service", {})
    if isinstance(service, dict):
        service["journal_dir"] = resolve(service.get("journal_dir", "state"))
        if "journal_backup_dir" in service:
            service["journal_backup_dir"] = resolve(service["journal_backup_dir"])
    return data


MAX_CONFIG_DEPTH = 16
"""Tables and arrays nest at most this deep (a real config needs 4 or 5 levels)."""


def _check_depth(data: Any) -> None:
    """Refuse a config nested deeper than MAX_CONFIG_DEPTH; iterative, so it cannot recurse."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_CONFIG_DEPTH:
            raise ConfigError(f"config: tables and arrays nest deeper than {MAX_CONFIG_DEPTH}")
        if isinstance(node, Mapping):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list | tuple):
            stack.extend((value, depth + 1) for value in node)


@contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    """Lower the recursion limit for a pure-Python parser (eth_account lifts it to 100,000)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(min(before, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def config_from_mapping(data: Mapping[str, Any]) -> BotConfig:
    """Validate an already-parsed config (TOML table); raise ConfigError naming the key path."""
    _check_depth(data)
    _refuse_forbidden(data)
    try:
        return BotConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(redact_secrets(_format_validation_error(exc))) from None


def _huge_number(raw: bytes) -> str | None:
    """Where an integer too long for Python's int() is, as "line N: ..." (None if not found)."""
    match = re.search(rb"[0-9_]{4301,}", raw)
    if match is None:
        return None
    line = raw.count(b"\n", 0, match.start()) + 1
    return f"line {line}: an integer has more than 4300 digits"


def load_config(path: str | Path, *, check_strategy: bool = True) -> BotConfig:
    """Read, validate and return the config at ``path``.

    With ``check_strategy`` the strategy's own parameter check runs too (see
    :func:`validate_strategy`), so a bad ``strategy.params`` key is a config error at start-up.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config: {exc.strerror}") from None
    try:
        with _recursion_limit(1_000):
            data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {redact_secrets(str(exc))}") from None
    except RecursionError:
        raise ConfigError(
            f"{file}: not valid TOML: tables and arrays nest deeper than {MAX_CONFIG_DEPTH}"
        ) from None
    except ValueError as exc:  # an integer over 4,300 digits (int() refuses to convert it)
        raise ConfigError(f"{file}: not valid TOML: {_huge_number(raw) or exc}") from None
    _check_depth(data)
    _refuse_forbidden(data)  # before any path handling, so nothing else touches a secret
    data = _resolve_paths(data, file.resolve().parent)
    config = config_from_mapping(data)
    if check_strategy:
        validate_strategy(config)
    return config


def validate_strategy(config: BotConfig) -> Any:
    """Let the strategy validate ``strategy.params``; return its typed Params (None if unknown).

    Uses ``strategies.get(name).params_from_mapping(mapping)`` when the strategies package
    provides it; InputError from there becomes a ConfigError naming ``strategy.params.<key>``.
    """
    try:
        import strategies
    except ImportError:
        return None
    get = getattr(strategies, "get", None)
    if get is None:
        return None
    try:
        cls = get(config.strategy.name)
    except InputError as exc:
        raise ConfigError(_input_message(exc, "strategy.name")) from None
    except (KeyError, LookupError) as exc:
        raise ConfigError(
            f"strategy.name: unknown strategy {config.strategy.name!r} ({exc})"
        ) from None
    except ImportError as exc:
        raise ConfigError(
            f"strategy.name: strategy {config.strategy.name!r} cannot be imported ({exc})"
        ) from None
    if cls is None:
        raise ConfigError(f"strategy.name: unknown strategy {config.strategy.name!r}")
    try:
        return cls.params_from_mapping(dict(config.strategy.params))
    except InputError as exc:
        raise ConfigError(_input_message(exc, "strategy.params")) from None


def _input_message(exc: InputError, prefix: str) -> str:
    """``exc`` as "key.path: rule (got value)", its field placed under ``prefix`` if needed."""
    field = exc.field if exc.field.startswith("strategy.") else f"{prefix}.{exc.field}"
    shown = "" if exc.value is None else f" (got {echo_value(exc.value)})"
    return redact_secrets(f"{field}: {exc.rule}{shown}")

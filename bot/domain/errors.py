"""The typed exception hierarchy, named by remedy.

Callers catch at the depth that matches what they can do about it::

    BotError
    ├── ConfigError              stop: a human must fix config, key or command line
    │   ├── InputError           a value is malformed (names the field and the rule)
    │   └── NetworkMismatch      the RPC / hub is not the configured network
    ├── RuleViolation            a publishing rule forbids this order: never sign it
    ├── TransientError           may succeed later: the adapter retries it (connection, timeout, 5xx)
    │   ├── RateLimited          retry after the server's delay (429, capped)
    │   └── TryNextCycle         not worth retrying now: nothing above the adapter retries it
    │       ├── MalformedResponse    a peer's answer failed validation; nothing was acted on
    │       ├── BudgetExhausted      our own request budget would wait too long
    │       ├── DeadlineExceeded     the action's or the cycle's deadline has passed
    │       └── JournalUnwritable    the journal cannot be written (disk full, read-only):
    │                                nothing is published until it can
    ├── RejectedError            the marketplace refused a write (its message kept); never retried
    ├── ChainError               an on-chain call failed
    │   ├── ChainRevert          a transaction reverted (reason kept); never retried
    │   └── OwnershipError       the key does not own the workerpool: fatal
    └── StrategyError            a strategy raised: keep current orders
"""

from __future__ import annotations

import re

__all__ = [
    "EXIT_CONFIG",
    "EXIT_ERROR",
    "EXIT_RULE",
    "BotError",
    "BudgetExhausted",
    "ChainError",
    "ChainRevert",
    "ConfigError",
    "DeadlineExceeded",
    "InputError",
    "JournalUnwritable",
    "MalformedResponse",
    "NetworkMismatch",
    "OwnershipError",
    "RateLimited",
    "RejectedError",
    "RuleViolation",
    "StrategyError",
    "TransientError",
    "TryNextCycle",
    "echo_value",
    "exit_code_for",
    "redact_secrets",
]

MAX_ECHO_CHARS = 120
_SECRET_RUN = re.compile(r"(?:0[xX])?[0-9a-fA-F]{64,}")


def redact_secrets(text: str) -> str:
    """``text`` with every run of 64 or more hex digits (a private key's length) hidden."""
    return _SECRET_RUN.sub("<redacted 64-hex>", text)


def echo_value(value: object) -> str:
    """How an error shows a bad value: its repr, 64-hex runs redacted, cut to a readable length.

    A value can be a 50 MB string or hold a private key pasted in the wrong place; neither may
    reach stderr or a log whole.
    """
    shown = redact_secrets(repr(value))
    if len(shown) > MAX_ECHO_CHARS:
        shown = f"{shown[: MAX_ECHO_CHARS - 20]}… [{len(shown)} chars]"
    return shown


class BotError(Exception):
    """Root of every error the bot raises on purpose."""


class ConfigError(BotError):
    """Configuration, key or command-line problem; a human has to fix it."""


class InputError(ConfigError):
    """A value is malformed. ``field`` names where, ``rule`` says what was expected."""

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        shown = "" if value is None else f" (got {echo_value(value)})"
        super().__init__(f"{field}: {rule}{shown}")


class NetworkMismatch(ConfigError):
    """The chain or hub we talk to is not the network the config names."""


class RuleViolation(BotError):
    """A publishing rule forbids this order; ``rule`` is a stable identifier."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(f"[{rule}] {message}")


class TransientError(BotError):
    """A failure that may succeed when tried again (network, timeout, 5xx).

    Only adapters retry (one retry layer, ``bot.adapters.retrying``); what leaves an adapter has
    been retried as long as its policy and the current deadline allow. Callers above never retry
    it at once: the next cycle asks again.
    """


class RateLimited(TransientError):
    """The server asked us to slow down; ``retry_after`` seconds if it said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class TryNextCycle(TransientError):
    """Transient, but retrying at once cannot help; adapters do not retry it (nor does anyone
    above them). The next cycle tries again."""


class MalformedResponse(TryNextCycle):
    """A peer answered with a payload that fails validation (wrong shape, absurd values, another
    chain). Nothing is acted on; asking again later may help (a proxy error page, a half-deployed
    server), but asking again at once would get the same page. ``where`` names the route or
    field."""

    def __init__(self, where: str, rule: str) -> None:
        self.where = where
        self.rule = rule
        super().__init__(f"{where}: {rule}")


class BudgetExhausted(TryNextCycle):
    """Our own request budget would make the caller wait longer than it allows; raised before
    any request is sent. ``retry_after`` is the wait it refused."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class JournalUnwritable(TryNextCycle):
    """The journal refused a write (disk full, read-only file, I/O error). A signed order is
    journalled before its publish, so none is published while this lasts; unpublishing and
    closing orders still go ahead (they only lower the risk) and reconcile catches up the journal
    when writes succeed again."""


class DeadlineExceeded(TryNextCycle):
    """The deadline of the action or the cycle has passed (or would pass during the next wait):
    retries stop there, so one slow peer cannot hold a cycle or a withdraw for minutes."""


class RejectedError(BotError):
    """The marketplace refused a request for a business reason; retrying will not help."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.server_message = message
        self.status = status
        super().__init__(message if status is None else f"HTTP {status}: {message}")


class ChainError(BotError):
    """An on-chain read or write failed for a non-transient reason."""


class ChainRevert(ChainError):
    """A transaction or call reverted; ``reason`` is the revert string if any."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(message or f"reverted: {reason}")


class OwnershipError(ChainError):
    """The signing key does not (or no longer) own the workerpool: stop everything."""


class StrategyError(BotError):
    """A strategy raised; the bot keeps its current orders."""


# Exit codes of every command (the CLI's contract with cron, systemd and scripts): they belong with
# the errors they classify, so a command module never imports the CLI that registers it.
EXIT_ERROR = 1
EXIT_CONFIG = 2
EXIT_RULE = 3


def exit_code_for(exc: BaseException) -> int:
    """3 for a broken rule, 2 for bad config or input (``ConfigError`` covers ``InputError``), else 1."""
    if isinstance(exc, RuleViolation):
        return EXIT_RULE
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    return EXIT_ERROR

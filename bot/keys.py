"""Where the signing keys come from, and how they are kept out of sight.

The owner key signs orders and CLOSE operations; it is usually also the iExec Core Scheduler's
wallet, so a leak is a stolen pool. It therefore never comes from a config file (a config holding
anything that looks like a key is refused), and it is never printed, logged or written: the
:class:`SecretKey` holding it shows only its address in ``repr``/``str``, and refuses pickling.

Sources: an environment variable (``PRICEBOT_PRIVATE_KEY``; ``PRICEBOT_GAS_PRIVATE_KEY`` for the
gas wallet that relays on-chain cancels), or an Ethereum keystore JSON file whose password is in a
file or an environment variable (default ``PRICEBOT_KEYSTORE_PASSWORD``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from bot.errors import ConfigError
from bot.model import norm_address

__all__ = [
    "DEFAULT_GAS_ENV",
    "DEFAULT_OWNER_ENV",
    "DEFAULT_PASSWORD_ENV",
    "KeySource",
    "SecretKey",
    "find_secrets",
    "key_from_hex",
    "load_key",
]

DEFAULT_OWNER_ENV = "PRICEBOT_PRIVATE_KEY"
DEFAULT_GAS_ENV = "PRICEBOT_GAS_PRIVATE_KEY"
DEFAULT_PASSWORD_ENV = "PRICEBOT_KEYSTORE_PASSWORD"

_HEX_KEY_RE = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_NAME_RE = re.compile(
    r"(private[_-]?key|secret|mnemonic|seed[_-]?phrase|^password$|^passphrase$|^key$)",
    re.IGNORECASE,
)
# A BIP-39 phrase: 12, 15, 18, 21 or 24 lower-case words separated by single spaces.
_MNEMONIC_RE = re.compile(r"^[a-z]+(?: [a-z]+){11,23}$")
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# Tag fields legitimately hold bytes32 values; a tag can only use the named bits (0..3, 8).
_TAG_KEYS = {"tag"}
_TAG_MASK = 0x10F


class SecretKey:
    """A private key that will not show itself: repr, str and format print only the address."""

    __slots__ = ("_address", "_key", "_label")

    def __init__(self, key: bytes, label: str = "key") -> None:
        from eth_account import Account  # the only place keys meet eth_account outside signing

        if len(key) != 32 or not 0 < int.from_bytes(key, "big") < _SECP256K1_N:
            raise ConfigError(f"{label}: not a valid secp256k1 private key (32 bytes, in range)")
        self._key = key
        self._label = label
        self._address = norm_address(Account.from_key(key).address)

    @property
    def address(self) -> str:
        """Lower-case address of the key."""
        return self._address

    @property
    def label(self) -> str:
        return self._label

    def reveal(self) -> bytes:
        """The raw key, for a signing call only; never keep, print or store the result."""
        return self._key

    def __repr__(self) -> str:
        return f"SecretKey({self._label}, address={self._address})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretKey) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._address)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a SecretKey cannot be pickled or copied to disk")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a SecretKey cannot be pickled or copied to disk")


def key_from_hex(text: str, label: str = "key") -> SecretKey:
    """Parse a hex private key (with or without ``0x``); errors never echo the value."""
    cleaned = text.strip()
    if not _HEX_KEY_RE.match(cleaned):
        raise ConfigError(f"{label}: must be 32 bytes of hex (64 hex digits, optional 0x prefix)")
    return SecretKey(bytes.fromhex(cleaned.removeprefix("0x").removeprefix("0X")), label)


@dataclass(frozen=True, slots=True)
class KeySource:
    """Where to read one key: an env var, or a keystore file plus its password's location."""

    env: str | None = None
    keystore: str | None = None
    password_file: str | None = None
    password_env: str | None = None

    def __post_init__(self) -> None:
        if (self.env is None) == (self.keystore is None):
            raise ConfigError("key source: give exactly one of env or keystore")
        if self.env is not None and (self.password_file or self.password_env):
            raise ConfigError("key source: password_file/password_env only go with a keystore")
        if self.password_file is not None and self.password_env is not None:
            raise ConfigError("key source: give password_file or password_env, not both")
        for name in ("env", "password_env"):
            value = getattr(self, name)
            if value is not None and not _ENV_NAME_RE.match(value):
                raise ConfigError(
                    f"key source: {name} must be an environment variable name "
                    "(letters, digits, underscore), not a value"
                )

    def describe(self) -> str:
        if self.env is not None:
            return f"env {self.env}"
        password = (
            f"password file {self.password_file}"
            if self.password_file
            else f"password env {self.password_env or DEFAULT_PASSWORD_ENV}"
        )
        return f"keystore {self.keystore} ({password})"


def _read_password(source: KeySource, environ: Mapping[str, str], label: str) -> str:
    if source.password_file is not None:
        try:
            return Path(source.password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(
                f"{label}: cannot read password file {source.password_file}: {exc.strerror}"
            ) from None
    name = source.password_env or DEFAULT_PASSWORD_ENV
    password = environ.get(name)
    if password is None:
        raise ConfigError(
            f"{label}: keystore password not found: set {name} or give a password file"
        )
    return password


def load_key(
    source: KeySource, *, environ: Mapping[str, str] | None = None, label: str = "owner key"
) -> SecretKey:
    """Read and decrypt a key. Errors say what is missing, never what the key is."""
    env = os.environ if environ is None else environ
    if source.env is not None:
        value = env.get(source.env)
        if not value:
            raise ConfigError(f"{label}: environment variable {source.env} is not set")
        return key_from_hex(value, f"{label} ({source.env})")
    assert source.keystore is not None
    path = Path(source.keystore)
    try:
        keystore = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read keystore {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{label}: keystore {path} is not JSON ({exc.msg})") from None
    password = _read_password(source, env, label)
    from eth_account import Account

    try:
        raw = Account.decrypt(keystore, password)
    except ValueError:
        raise ConfigError(
            f"{label}: cannot decrypt keystore {path}: wrong password or corrupt file"
        ) from None
    except (KeyError, TypeError):
        raise ConfigError(f"{label}: {path} is not an Ethereum keystore (v3) file") from None
    return SecretKey(bytes(raw), label)


def _looks_like_key(value: str) -> bool:
    return bool(_HEX_KEY_RE.match(value.strip()))


def _looks_like_mnemonic(value: str) -> bool:
    text = value.strip()
    return bool(_MNEMONIC_RE.match(text)) and len(text.split(" ")) in (12, 15, 18, 21, 24)


def find_secrets(data: Any, path: str = "") -> list[str]:
    """Key paths in a parsed config that hold, or are named like, a secret.

    A 64-hex-digit string anywhere is taken for a private key (and a 12-24 word lower-case
    phrase for a mnemonic), except a ``tag`` whose value only
    uses the named tag bits (a bytes32 tag such as ``0x…09`` is not a secret). Keys named like
    ``private_key``, ``secret``, ``mnemonic`` or ``password`` are refused whatever they hold
    (``password_file`` and ``password_env`` are fine: they say where, not what).
    """
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _SECRET_NAME_RE.search(key):
                found.append(where)
                continue
            if (
                key in _TAG_KEYS
                and isinstance(value, str)
                and _looks_like_key(value)
                and int(value.strip().removeprefix("0x"), 16) & ~_TAG_MASK == 0
            ):
                continue
            found.extend(find_secrets(value, where))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found.extend(find_secrets(value, f"{path}[{index}]"))
    elif isinstance(data, str) and (_looks_like_key(data) or _looks_like_mnemonic(data)):
        found.append(path)
    return found

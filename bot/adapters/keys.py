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

from bot.domain.errors import ConfigError, InputError, redact_secrets
from bot.domain.model import norm_address

__all__ = [
    "DEFAULT_GAS_ENV",
    "DEFAULT_OWNER_ENV",
    "DEFAULT_PASSWORD_ENV",
    "KeySource",
    "SecretKey",
    "as_secret",
    "find_secrets",
    "key_from_hex",
    "keystore_problem",
    "load_key",
]

DEFAULT_OWNER_ENV = "PRICEBOT_PRIVATE_KEY"
DEFAULT_GAS_ENV = "PRICEBOT_GAS_PRIVATE_KEY"
DEFAULT_PASSWORD_ENV = "PRICEBOT_KEYSTORE_PASSWORD"

_HEX_KEY_RE = re.compile(r"(0[xX])?[0-9a-fA-F]{64}\Z")
# What find_secrets looks for anywhere in a key or value: 64 hex digits in a row, any case.
_HEX_RUN_RE = re.compile(r"[0-9a-fA-F]{64}")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_NAME_RE = re.compile(
    r"(private[_-]?key|secret|mnemonic|seed[_-]?phrase|^password$|^passphrase$|^key$)",
    re.IGNORECASE,
)
# A BIP-39 phrase: 12, 15, 18, 21 or 24 lower-case words separated by single spaces.
_MNEMONIC_RE = re.compile(r"[a-z]+(?: [a-z]+){11,23}\Z")
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# Tag fields legitimately hold bytes32 values; a tag can only use the named bits (0..3, 8).
_TAG_KEYS = {"tag"}
_TAG_MASK = 0x10F


class SecretKey:
    """A private key that will not show itself: repr, str and format print only the address."""

    __slots__ = ("_address", "_key", "_label")

    def __init__(self, key: bytes, label: str = "key") -> None:
        # eth-keys, not eth-account: any eth_account import computes BLS12-381 constants (#20).
        from eth_keys.datatypes import PrivateKey

        if len(key) != 32 or not 0 < int.from_bytes(key, "big") < _SECP256K1_N:
            raise ConfigError(f"{label}: not a valid secp256k1 private key (32 bytes, in range)")
        self._key = key
        self._label = label
        self._address = norm_address(PrivateKey(key).public_key.to_address())

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
    return SecretKey(bytes.fromhex(cleaned[-64:]), label)


def as_secret(key: SecretKey | str, field: str) -> SecretKey:
    """``key`` as a SecretKey; a hex string (tests, tools) is wrapped at once, never kept as str.

    Refusals name ``field`` and never echo the value.
    """
    if isinstance(key, SecretKey):
        return key
    if not isinstance(key, str):
        raise InputError(field, "must be a 32-byte hex secp256k1 key")
    try:
        return key_from_hex(key, field)
    except ConfigError:
        raise InputError(field, "must be a 32-byte hex secp256k1 key") from None


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


MAX_KEY_FILE_BYTES = 64 * 1024
"""A keystore is about 500 bytes and a password a line; bigger files are refused unread."""


def _read_small_text(path: Path, what: str, label: str) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read {what} {path}: {exc.strerror}") from None
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise ConfigError(f"{label}: {what} {path} is larger than {MAX_KEY_FILE_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{label}: {what} {path} is not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None


def _read_password(source: KeySource, environ: Mapping[str, str], label: str) -> str:
    if source.password_file is not None:
        text = _read_small_text(Path(source.password_file), "password file", label)
        return text.rstrip("\r\n")
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
    text = _read_small_text(path, "keystore", label)
    from bot.domain.safe_json import nesting_exceeds

    if nesting_exceeds(text.encode("utf-8"), 8):
        raise ConfigError(f"{label}: keystore {path} is not JSON (unbalanced or nested too deep)")
    try:
        keystore = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{label}: keystore {path} is not JSON ({exc})") from None
    problem = keystore_problem(keystore)
    if problem is not None:
        raise ConfigError(f"{label}: {path} is not a usable Ethereum keystore (v3): {problem}")
    password = _read_password(source, env, label)
    from eth_account import Account

    try:
        raw = Account.decrypt(keystore, password)
    except Exception:  # eth-keyfile raises ValueError, KeyError, TypeError, AssertionError...
        raise ConfigError(
            f"{label}: cannot decrypt keystore {path}: wrong password or corrupt file"
        ) from None
    return SecretKey(bytes(raw), label)


MAX_PBKDF2_ROUNDS = 10_000_000
"""pbkdf2 iterations allowed in a keystore: 10x eth-account's 1,000,000 (about 5 s here)."""
MAX_SCRYPT_N = 1 << 18
"""scrypt cost allowed: geth's standard n = 2^18 (r = 8 takes 256 MiB); n*r*p at most twice it."""
_SCRYPT_WORK = MAX_SCRYPT_N * 8 * 2


def _hex_field(params: Mapping[str, Any], name: str, sizes: tuple[int, ...]) -> str | None:
    value = params.get(name)
    if (
        not isinstance(value, str)
        or len(value.removeprefix("0x")) not in sizes
        or not re.fullmatch(r"[0-9a-fA-F]*", value.removeprefix("0x"))
    ):
        return f"{name} must be hex"
    return None


def _bounded_int(params: Mapping[str, Any], name: str, high: int) -> int | None:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        return None
    return value


def keystore_problem(keystore: object) -> str | None:
    """What makes a parsed keystore unsafe to decrypt (None if fine).

    Checked before eth-account sees it: an unknown ``prf`` makes eth-keyfile fail an assert, and a
    KDF cost of 10^12 would hang the bot at start-up, so the cost is bounded (pbkdf2 ``c`` at most
    MAX_PBKDF2_ROUNDS; scrypt ``n`` a power of two at most MAX_SCRYPT_N, ``r`` at most 8, ``p``
    at most 16, n*r*p at most twice geth's standard).
    """
    if not isinstance(keystore, Mapping) or keystore.get("version") != 3:
        return "version must be 3"
    crypto = keystore.get("crypto", keystore.get("Crypto"))
    if not isinstance(crypto, Mapping):
        return "crypto must be an object"
    if crypto.get("cipher") != "aes-128-ctr":
        return "cipher must be aes-128-ctr"
    params = crypto.get("kdfparams")
    cipherparams = crypto.get("cipherparams")
    if not isinstance(params, Mapping) or not isinstance(cipherparams, Mapping):
        return "kdfparams and cipherparams must be objects"
    for problem in (
        _hex_field(cipherparams, "iv", (32,)),
        _hex_field(crypto, "ciphertext", (64,)),
        _hex_field(crypto, "mac", (64,)),
        _hex_field(params, "salt", tuple(range(2, 130, 2))),
    ):
        if problem is not None:
            return problem
    if params.get("dklen") != 32:
        return "kdfparams.dklen must be 32"
    kdf = crypto.get("kdf")
    if kdf == "pbkdf2":
        if params.get("prf") != "hmac-sha256":
            return "kdfparams.prf must be hmac-sha256"
        if _bounded_int(params, "c", MAX_PBKDF2_ROUNDS) is None:
            return f"kdfparams.c must be an iteration count from 1 to {MAX_PBKDF2_ROUNDS}"
        return None
    if kdf == "scrypt":
        n = _bounded_int(params, "n", MAX_SCRYPT_N)
        r = _bounded_int(params, "r", 8)
        p = _bounded_int(params, "p", 16)
        if n is None or n < 2 or n & (n - 1):
            return f"kdfparams.n must be a power of two from 2 to {MAX_SCRYPT_N}"
        if r is None or p is None:
            return "kdfparams.r must be 1..8 and kdfparams.p 1..16"
        if n * r * p > _SCRYPT_WORK:
            return f"kdfparams n*r*p must be at most {_SCRYPT_WORK}"
        return None
    return "kdf must be scrypt or pbkdf2"


def _looks_like_key(value: str) -> bool:
    return _HEX_RUN_RE.search(value) is not None


def _is_named_tag(value: object) -> bool:
    """A bytes32 (or integer) tag using only the named tag bits: a tag, not a key."""
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{64}", value.strip()):
        return int(value.strip()[2:], 16) & ~_TAG_MASK == 0
    return isinstance(value, int) and not isinstance(value, bool) and value & ~_TAG_MASK == 0


_KEY_SIZED_BITS = 160
"""An integer wider than this is a key written as a TOML integer (``floor = 0x59c6...``): no
config number comes near it (addresses are strings, prices stop at the RLC supply)."""


def _looks_like_mnemonic(value: str) -> bool:
    text = value.strip()
    return bool(_MNEMONIC_RE.match(text)) and len(text.split(" ")) in (12, 15, 18, 21, 24)


def find_secrets(data: Any, path: str = "") -> list[str]:
    """Key paths in a parsed config that hold, or are named like, a secret.

    Any run of 64 hex digits, in any case, inside any string value or key name is taken for a
    private key (so is an integer wider than 160 bits, and a 12-24 word lower-case phrase for a
    mnemonic), except a ``tag`` whose value only uses the named tag bits (a bytes32 tag such as
    ``0x…09`` is not a secret). Keys named like ``private_key``, ``secret``, ``mnemonic`` or
    ``password`` are refused whatever they hold (``password_file`` and ``password_env`` are fine:
    they say where, not what). The paths returned have any key-like run redacted, so they can be
    printed.
    """
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            name = redact_secrets(str(key))
            where = f"{path}.{name}" if path else name
            if isinstance(key, str) and (_SECRET_NAME_RE.search(key) or _looks_like_key(key)):
                found.append(where)
                continue
            if key in _TAG_KEYS and _is_named_tag(value):
                continue
            found.extend(find_secrets(value, where))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found.extend(find_secrets(value, f"{path}[{index}]"))
    elif _is_secret_scalar(data):
        found.append(path)
    return found


def _is_secret_scalar(value: object) -> bool:
    if isinstance(value, str):
        return _looks_like_key(value) or _looks_like_mnemonic(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value).bit_length() > _KEY_SIZED_BITS
    return False

"""``pricebot order``: hash, sign, verify and template workerpool orders, offline.

Other tools rely on these output contracts, so keep them stable:

- ``hash`` prints the order hash (0x + 64 hex) as its last line; pure math, no rules; exit 0.
- ``sign`` prints ONE JSON object (the ten fields, ``sign``, ``orderHash``); exit 0. When a
  publishing rule forbids the order: exit 3, nothing on stdout, the rule on stderr.
- ``verify`` prints the recovered signer as its last line.

Every failure is reported on stderr as ``error: <field or rule>: <what is wrong>`` with the exit
code :mod:`bot.app.cli` assigns (3 rule, 2 config/input, 1 other).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from bot.domain.errors import BotError, ConfigError, InputError
from bot.domain.networks import Network, get_network

__all__ = [
    "TemplateFormat",
    "app",
    "hash_cmd",
    "init_cmd",
    "sign_cmd",
    "verify_cmd",
]

app = typer.Typer(
    no_args_is_help=True,
    help="Hash, sign, verify and template workerpool orders (offline, no network access).",
)

T = TypeVar("T")

NetworkOpt = Annotated[
    str,
    typer.Option(
        "--network",
        "-n",
        help="arbitrum-mainnet | arbitrum-sepolia-testnet | bellecour | local",
        show_default=False,
    ),
]
ChainIdOpt = Annotated[
    int | None, typer.Option("--chain-id", help="Chain id (required with --network local).")
]
HubOpt = Annotated[
    str | None,
    typer.Option("--hub", help="Hub (PoCo proxy) address (required with --network local)."),
]
FileArg = Annotated[
    str,
    typer.Argument(
        help="JSON file with one order (API shape, iexec.json or orders.json); '-' for stdin.",
        show_default=False,
    ),
]


class TemplateFormat(StrEnum):
    api = "api"
    iexec = "iexec"


def _fail(exc: BotError) -> NoReturn:
    from bot.domain.errors import exit_code_for

    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(exit_code_for(exc))


def _guard(run: Callable[[], T]) -> T:
    """Report BotErrors on stderr with the CLI's exit code, under CliRunner and the script alike."""
    try:
        return run()
    except BotError as exc:
        _fail(exc)


def _network(name: str, chain_id: int | None, hub: str | None) -> Network:
    if hub is not None:
        from bot.domain.order_io import norm_user_address

        hub = norm_user_address(hub, "--hub")
    return get_network(name, chain_id=chain_id, hub=hub)


MAX_ORDER_FILE_BYTES = 1 << 20
"""An order document is a few hundred bytes; a larger file is refused before it is parsed."""


def _read_json(file: str) -> Any:
    """Parse an order document; hostile files end in an InputError naming the file, never a crash.

    The nesting is checked before ``json.loads`` (eth_account lifts the recursion limit, so a
    deep ``[[[[...`` would overflow the C stack), the bytes must be UTF-8, and integer literals
    longer than uint256 stay digit strings for the field check to refuse by name.
    """
    from bot.domain.order_io import json_int
    from bot.domain.safe_json import MAX_JSON_DEPTH, nesting_exceeds

    try:
        if file == "-":
            raw = sys.stdin.buffer.read(MAX_ORDER_FILE_BYTES + 1)
        else:
            with Path(file).open("rb") as handle:
                raw = handle.read(MAX_ORDER_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_ORDER_FILE_BYTES:
        raise InputError(file, f"is larger than {MAX_ORDER_FILE_BYTES} bytes; not an order file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(file, f"is not UTF-8 text (invalid byte at offset {exc.start})") from None
    if nesting_exceeds(raw, MAX_JSON_DEPTH):
        raise InputError(
            file, f"not valid JSON (brackets unbalanced or nested deeper than {MAX_JSON_DEPTH})"
        )
    try:
        return json.loads(text, parse_int=json_int)
    except json.JSONDecodeError as exc:
        raise InputError(file, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None


@app.command("hash")
def hash_cmd(
    file: FileArg,
    network: NetworkOpt,
    chain_id: ChainIdOpt = None,
    hub: HubOpt = None,
) -> None:
    """Print the EIP-712 order hash (the key PoCo and the marketplace use) as the last line.

    Pure math: no publishing rule is applied, the salt must be in FILE.
    """

    def run() -> None:
        from bot.domain.order_io import read_order_document
        from bot.domain.signing import hash_order

        net = _network(network, chain_id, hub)
        doc = read_order_document(_read_json(file), chain_id=net.chain_id)
        typer.echo(hash_order(net, doc.order))

    _guard(run)


@app.command("sign")
def sign_cmd(
    file: FileArg,
    network: NetworkOpt,
    chain_id: ChainIdOpt = None,
    hub: HubOpt = None,
    keystore: Annotated[
        Path | None,
        typer.Option(help="Keystore JSON with the owner key (default: env PRICEBOT_PRIVATE_KEY)."),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the keystore password (default: env PRICEBOT_KEYSTORE_PASSWORD)."
        ),
    ] = None,
    numbers: Annotated[
        str, typer.Option(help="Write numbers as 'int' or decimal 'str' (as the iExec SDK does).")
    ] = "int",
) -> None:
    """Sign an order offline and print it as one JSON object with `sign` and `orderHash`.

    The network's publishing rules are checked first: a forbidden order exits with status 3 and
    prints nothing on stdout. The salt in FILE is kept; without one a fresh random salt is drawn.
    No ownership check here: the service checks the workerpool owner on chain before it signs.
    """

    def run() -> None:
        from bot.adapters.keys import DEFAULT_OWNER_ENV, KeySource, load_key
        from bot.domain.order_io import read_order_document, signed_to_json
        from bot.domain.rules import check_publishable
        from bot.domain.signing import random_salt, sign_order

        if numbers not in ("int", "str"):
            raise InputError("--numbers", "must be 'int' or 'str'", numbers)
        net = _network(network, chain_id, hub)
        doc = read_order_document(
            _read_json(file), default_salt=random_salt(), chain_id=net.chain_id
        )
        check_publishable(net, doc.order)
        if keystore is not None:
            source = KeySource(
                keystore=str(keystore),
                password_file=None if password_file is None else str(password_file),
            )
        else:
            if password_file is not None:
                raise InputError("--password-file", "only goes with --keystore")
            source = KeySource(env=DEFAULT_OWNER_ENV)
        key = load_key(source)
        signed = sign_order(net, doc.order, key.reveal())
        out = signed_to_json(signed, numbers="str" if numbers == "str" else "int")
        typer.echo(json.dumps(out))

    _guard(run)


@app.command("verify")
def verify_cmd(
    file: FileArg,
    network: NetworkOpt,
    chain_id: ChainIdOpt = None,
    hub: HubOpt = None,
    expect: Annotated[
        str | None,
        typer.Option(help="Fail (exit 2) unless the signer is this address (e.g. the pool owner)."),
    ] = None,
) -> None:
    """Check a signed order: its orderHash (if given) and signature; print the signer last.

    Accepts 65-byte signatures and 64-byte EIP-2098 compact ones, as PoCo does.
    """

    def run() -> None:
        from bot.domain.order_io import norm_user_address, read_order_document
        from bot.domain.signing import hash_order, recover_signer

        net = _network(network, chain_id, hub)
        doc = read_order_document(_read_json(file), chain_id=net.chain_id)
        if not doc.sign or doc.sign == "0x":
            raise InputError("sign", "is required to verify an order")
        digest = hash_order(net, doc.order)
        if doc.order_hash is not None and doc.order_hash != digest:
            raise InputError(
                "orderHash", f"does not match the order on {net.name} (computed {digest})"
            )
        signer = recover_signer(digest, doc.sign)
        if expect is not None and norm_user_address(expect, "--expect") != signer:
            raise ConfigError(f"sign: signed by {signer}, expected {expect.lower()}")
        typer.echo(f"orderHash {digest}", err=True)
        typer.echo(signer)

    _guard(run)


@app.command("init")
def init_cmd(
    network: NetworkOpt,
    chain_id: ChainIdOpt = None,
    hub: HubOpt = None,
    workerpool: Annotated[
        str, typer.Option(help="Your workerpool address.")
    ] = "0x0000000000000000000000000000000000000000",
    category: Annotated[int, typer.Option(help="Category id (0 XS .. 4 XL).")] = 0,
    price: Annotated[str, typer.Option(help="Price per task: '0.1 RLC', '5 nRLC' or nRLC.")] = "0",
    volume: Annotated[int, typer.Option(help="Number of tasks the order can serve.")] = 1,
    tag: Annotated[
        str, typer.Option(help="Tag names (comma separated, e.g. 'tee,tdx') or bytes32 hex.")
    ] = "",
    trust: Annotated[int, typer.Option(help="Trust level (TEE orders need 1).")] = 0,
    fmt: Annotated[
        TemplateFormat,
        typer.Option("--format", help="api: the flat order; iexec: an iexec.json 'order' block."),
    ] = TemplateFormat.api,
    out: Annotated[
        Path | None,
        typer.Option(help="Write to this file instead of stdout (refuses to overwrite)."),
    ] = None,
) -> None:
    """Write a new order template with a fresh random salt.

    The template is checked against the network's publishing rules (exit 3 if forbidden), so
    `pricebot order sign` will accept it once the workerpool address is filled in.
    """

    def run() -> None:
        from bot.domain.order_io import order_from_mapping, order_to_iexec_json, order_to_json
        from bot.domain.rules import check_terms
        from bot.domain.signing import random_salt

        net = _network(network, chain_id, hub)
        order = order_from_mapping(
            {
                "workerpool": workerpool,
                "workerpoolprice": price,
                "volume": volume,
                "tag": tag if tag.startswith("0x") else [t for t in tag.split(",") if t.strip()],
                "category": category,
                "trust": trust,
                "salt": random_salt(),
            }
        )
        # The template's terms must be publishable; the workerpool may still be a placeholder.
        check_terms(net, category=order.category, tag=order.tag_int, trust=order.trust)
        body = order_to_json(order) if fmt is TemplateFormat.api else order_to_iexec_json(order)
        text = json.dumps(body, indent=2) + "\n"
        if out is None:
            typer.echo(text, nl=False)
            return
        try:
            with out.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            raise ConfigError(f"{out}: already exists; not overwriting") from None
        except OSError as exc:
            raise ConfigError(f"{out}: cannot write: {exc.strerror}") from None
        typer.echo(f"wrote {out}", err=True)

    _guard(run)

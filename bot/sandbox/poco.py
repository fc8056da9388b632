"""Deploy a complete PoCo instance (token mode) onto any JSON-RPC chain, and drive it for tests.

The artifacts are the ones iExec publishes on npm (``npm pack @iexec/poco@6.1.0``, cached by
``make setup``, never committed). The sequence follows PoCo's own ``deploy/0_deploy.ts``
(reference: test-rigs.md section 3.3): diamond + base facets, the order library linked into the
facets that need it, the PoCo facets registered by selector (deduplicated), the RLC token, the
three registries, ``configure(...)`` and the five standard categories.

Known traps, each handled below: web3.py refuses the library's ABI (enum type names), so the
library is deployed from its bytecode alone; the same selector appears in several facets, so each
is registered once; ``fallback``/``receive`` are registered as ``0xffffffff``/``0x00000000``.

The helpers after the deployer (workerpools, apps, RLC, stake, order matching, hub relocation)
are what the marketplace server, the sandbox and the tests use to stage realistic situations.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils.abi import function_abi_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.logs import DISCARD

from bot.domain.errors import ChainRevert, ConfigError, InputError
from bot.domain.model import (
    ZERO_ADDRESS,
    ZERO_BYTES32,
    SignedWorkerpoolOrder,
    norm_address,
)
from bot.domain.networks import STANDARD_CATEGORIES, Network, local_network
from bot.domain.signing import APP_ORDER_TYPE, REQUEST_ORDER_TYPE
from bot.sandbox.anvil import cache_dir, rpc_batch, rpc_call

__all__ = [
    "ARBITRUM_HUB",
    "BELLECOUR_HUB",
    "POCO_VERSION",
    "RLC_SUPPLY_NRLC",
    "PocoDeployment",
    "app_order",
    "contribute_and_finalize",
    "create_app",
    "create_workerpool",
    "deploy_poco",
    "deposit_stake",
    "fund_rlc",
    "hub_abi",
    "hub_contract",
    "initialize_task",
    "match_orders",
    "network_of",
    "poco_artifacts_dir",
    "relocate_hub",
    "request_order",
    "rlc_balance",
    "sign_app_order",
    "sign_request_order",
    "task_id_of",
    "transfer_workerpool",
    "web3_for",
]

POCO_VERSION = "6.1.0"
BELLECOUR_HUB = "0x3eca1b216a7df1c7689aeb259ffb83adfb894e7f"
ARBITRUM_HUB = "0x098bfcb1e50ebca0baa92c12ea0c3f045a1ad9f0"
RLC_SUPPLY_NRLC = 87_000_000 * 10**9  # the RLC contract mints its whole supply to its deployer

_FACETS = (
    "IexecAccessorsABILegacyFacet",
    "IexecCategoryManagerFacet",
    "IexecConfigurationExtraFacet",
    "IexecConfigurationFacet",
    "IexecERC20Facet",
    "IexecEscrowTokenFacet",
    "IexecOrderManagementFacet",
    "IexecPoco1Facet",
    "IexecPoco2Facet",
    "IexecPocoAccessorsFacet",
    "IexecPocoBoostFacet",
    "IexecPocoBoostAccessorsFacet",
    "IexecRelayFacet",
)
_REGISTRIES = (
    ("apps/AppRegistry", "https://apps-registry.local/"),
    ("datasets/DatasetRegistry", "https://datasets-registry.local/"),
    ("workerpools/WorkerpoolRegistry", "https://workerpools-registry.local/"),
)
_RECEIPT_TIMEOUT_S = 30.0

# Plain ERC-20 subset of RLC (the package ships RLC's ABI only in human-readable form).
_RLC_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": name,
        "stateMutability": mut,
        "inputs": [{"name": f"a{i}", "type": t} for i, t in enumerate(ins)],
        "outputs": [{"name": "", "type": t} for t in outs],
    }
    for name, mut, ins, outs in (
        ("transfer", "nonpayable", ("address", "uint256"), ("bool",)),
        ("approve", "nonpayable", ("address", "uint256"), ("bool",)),
        ("balanceOf", "view", ("address",), ("uint256",)),
        ("allowance", "view", ("address", "address"), ("uint256",)),
        ("totalSupply", "view", (), ("uint256",)),
    )
]

_ADDRESS_FIELDS = {
    "app",
    "dataset",
    "workerpool",
    "requester",
    "beneficiary",
    "callback",
    "datasetrestrict",
    "workerpoolrestrict",
    "requesterrestrict",
    "apprestrict",
}


@dataclass(frozen=True, slots=True)
class PocoDeployment:
    """Where a PoCo instance lives. Addresses are lower-case, like everywhere in the bot."""

    rpc_url: str
    chain_id: int
    hub: str
    rlc: str
    app_registry: str
    dataset_registry: str
    workerpool_registry: str
    deployer: str

    def to_json(self) -> dict[str, str | int]:
        return {
            "rpc_url": self.rpc_url,
            "chain_id": self.chain_id,
            "hub": self.hub,
            "rlc": self.rlc,
            "app_registry": self.app_registry,
            "dataset_registry": self.dataset_registry,
            "workerpool_registry": self.workerpool_registry,
            "deployer": self.deployer,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PocoDeployment:
        try:
            return cls(
                rpc_url=str(data["rpc_url"]),
                chain_id=int(data["chain_id"]),
                **{
                    name: norm_address(data[name], name)
                    for name in (
                        "hub",
                        "rlc",
                        "app_registry",
                        "dataset_registry",
                        "workerpool_registry",
                        "deployer",
                    )
                },
            )
        except KeyError as exc:
            raise InputError(str(exc.args[0]), "is required in a deployment file") from exc


# --- artifacts ---------------------------------------------------------------------------------


def poco_artifacts_dir() -> Path:
    """The unpacked ``@iexec/poco`` npm package, or a ConfigError saying to run ``make setup``."""
    path = cache_dir() / f"poco-{POCO_VERSION}" / "package"
    if not (path / "artifacts" / "contracts").is_dir():
        raise ConfigError(
            f"PoCo {POCO_VERSION} artifacts not found in {path}: run `make setup` "
            "(or set PRICEBOT_CACHE to the folder holding poco-6.1.0/package)"
        )
    return path


@functools.cache
def _read_json(path: Path) -> dict[str, Any]:
    with path.open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _artifact(rel: str) -> dict[str, Any]:
    """``artifacts/contracts/<rel>.sol/<name>.json`` (Hardhat format)."""
    name = rel.rsplit("/", 1)[-1]
    return _read_json(
        poco_artifacts_dir() / "artifacts" / "contracts" / f"{rel}.sol" / f"{name}.json"
    )


def _deployment(name: str) -> dict[str, Any]:
    """``deployments/arbitrum/<name>.json``: where the mudgen diamond facets and RLC live."""
    return _read_json(poco_artifacts_dir() / "deployments" / "arbitrum" / f"{name}.json")


def hub_abi() -> list[dict[str, Any]]:
    """The ABI of everything behind the diamond proxy (IexecInterfaceToken)."""
    return list(_artifact("IexecInterfaceToken")["abi"])


def _selectors(abi: Sequence[Mapping[str, Any]]) -> list[bytes]:
    out: list[bytes] = []
    for item in abi:
        if item["type"] == "function":
            out.append(bytes(function_abi_to_4byte_selector(cast(Any, item))))
        elif item["type"] == "fallback":
            out.append(b"\xff\xff\xff\xff")
        elif item["type"] == "receive":
            out.append(b"\x00\x00\x00\x00")
    return out


def _link(artifact: Mapping[str, Any], libraries: Mapping[str, str]) -> str:
    """Splice library addresses into the creation bytecode at each ``linkReferences`` offset."""
    code = str(artifact["bytecode"]).removeprefix("0x")
    for refs in artifact.get("linkReferences", {}).values():
        for lib_name, places in refs.items():
            if lib_name not in libraries:
                raise ConfigError(f"artifact needs library {lib_name}, which is not deployed")
            addr = libraries[lib_name].removeprefix("0x").lower()
            for place in places:
                start = 2 * int(place["start"])  # byte offset -> hex-digit offset
                code = code[:start] + addr + code[start + 2 * int(place["length"]) :]
    return "0x" + code


# --- transactions --------------------------------------------------------------------------------


def web3_for(rpc_url: str) -> Web3:
    """A bare Web3: no default middleware, whose per-call chain-id lookups double the RPC count."""
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}), middleware=[])


def _revert_reason(exc: Exception) -> str:
    msg = str(getattr(exc, "message", None) or exc)
    return msg.removeprefix("execution reverted: ").removeprefix("execution reverted")


class _Wallet:
    """Sends transactions from one key with a local nonce counter (deploys are sequential)."""

    def __init__(self, w3: Web3, key: str | None, address: str | None = None) -> None:
        self.w3 = w3
        self.key = key
        if key is not None:
            address = Account.from_key(key).address
        if address is None:
            raise InputError("key", "a private key or an unlocked address is required")
        self.address = to_checksum_address(address)
        self.nonce: int = int(w3.eth.get_transaction_count(self.address, "pending"))
        self.chain_id = w3.eth.chain_id
        # A key the node holds unlocked (anvil's test accounts): let the node fill in gas, fees
        # and the signature, which halves the round trips of a 48-transaction deploy.
        self.unlocked = self.address.lower() in {str(a).lower() for a in _node_accounts(w3)}

    def send(self, to: str | None, data: str, value: int = 0) -> dict[str, Any]:
        tx: dict[str, Any] = {"from": self.address, "data": data, "value": value}
        if to is not None:
            tx["to"] = to_checksum_address(to)
        if self.unlocked:
            return self._send_unlocked(tx)
        try:
            gas = self.w3.eth.estimate_gas(tx)  # type: ignore[arg-type]
        except ContractLogicError as exc:
            raise ChainRevert(_revert_reason(exc)) from exc
        tx.update(
            gas=gas + gas // 5,
            gasPrice=self.w3.eth.gas_price,
            nonce=self.nonce,
            chainId=self.chain_id,
        )
        if self.key is not None:
            signed = Account.sign_transaction(tx, self.key)
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        else:
            tx_hash = self.w3.eth.send_transaction(tx)  # type: ignore[arg-type]
        self.nonce += 1
        receipt = dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, _RECEIPT_TIMEOUT_S))
        if receipt["status"] != 1:
            raise ChainRevert("transaction failed", f"tx {tx_hash.hex()} reverted")
        return receipt

    def _send_unlocked(self, tx: dict[str, Any]) -> dict[str, Any]:
        try:
            tx_hash = self.w3.eth.send_transaction(tx)  # type: ignore[arg-type]
        except (ContractLogicError, Web3RPCError) as exc:
            raise ChainRevert(_revert_reason(exc)) from exc
        self.nonce += 1
        receipt = dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, _RECEIPT_TIMEOUT_S))
        if receipt["status"] != 1:
            # the node did not pre-check: replay the call on the state before it for the reason
            try:
                before = int(str(receipt["blockNumber"])) - 1
                self.w3.eth.call(tx, before)  # type: ignore[arg-type]
            except (ContractLogicError, Web3RPCError) as exc:
                raise ChainRevert(_revert_reason(exc)) from exc
            raise ChainRevert("transaction failed", f"tx {tx_hash.hex()} reverted")
        return receipt

    def deploy(self, bytecode: str, ctor_data: str = "") -> str:
        receipt = self.send(None, bytecode + ctor_data.removeprefix("0x"))
        return str(receipt["contractAddress"]).lower()


def _node_accounts(w3: Web3) -> list[str]:
    try:
        return [str(a) for a in w3.eth.accounts]
    except Exception:  # a public node without eth_accounts: sign locally
        return []


def _wallet(dep: PocoDeployment, key: str | None) -> _Wallet:
    """A wallet for ``key``, or the deployer as an unlocked node account (anvil) when None."""
    w3 = web3_for(dep.rpc_url)
    return _Wallet(w3, key, None if key is not None else dep.deployer)


def hub_contract(w3: Web3, hub: str) -> Any:
    return w3.eth.contract(address=to_checksum_address(hub), abi=hub_abi())


# --- the deployer --------------------------------------------------------------------------------


def deploy_poco(rpc_url: str, deployer_key: str) -> PocoDeployment:
    """Deploy diamond, facets, RLC, registries and categories; return where they are."""
    w3 = web3_for(rpc_url)
    if not w3.is_connected():
        raise ConfigError(f"no JSON-RPC node answers at {rpc_url}")
    wallet = _Wallet(w3, deployer_key)
    contract = w3.eth.contract

    # 1-2. the mudgen diamond and its base facets
    base: dict[str, str] = {}
    for name in ("DiamondInit", "DiamondCutFacet", "DiamondLoupeFacet", "OwnershipFacet"):
        base[name] = wallet.deploy(str(_deployment(name)["bytecode"]))
    known: set[bytes] = set()
    cuts = []
    for name in ("DiamondCutFacet", "DiamondLoupeFacet", "OwnershipFacet"):
        sels = [s for s in _selectors(_deployment(name)["abi"]) if s not in known]
        known.update(sels)
        cuts.append((to_checksum_address(base[name]), 0, sels))
    diamond_art = _artifact("Diamond")
    init_sel = keccak(text="init()")[:4]
    ctor = contract(abi=diamond_art["abi"], bytecode=diamond_art["bytecode"]).constructor(
        cuts, (wallet.address, to_checksum_address(base["DiamondInit"]), init_sel)
    )
    hub = wallet.deploy("0x", str(ctor.data_in_transaction))
    hub_cs = to_checksum_address(hub)

    # 3. the order library, linked into the facets
    lib = wallet.deploy(str(_artifact("libs/IexecLibOrders_v5")["bytecode"]))
    libraries = {"IexecLibOrders_v5": lib}

    # 4. PoCo facets, one diamondCut each, selectors deduplicated
    cutter = contract(address=hub_cs, abi=_deployment("DiamondCutFacet")["abi"])
    for name in _FACETS:
        art = _artifact(f"facets/{name}")
        facet = wallet.deploy(_link(art, libraries))
        sels = [s for s in _selectors(art["abi"]) if s not in known]
        known.update(sels)
        data = cutter.encode_abi(
            "diamondCut", args=[[(to_checksum_address(facet), 0, sels)], ZERO_ADDRESS, b""]
        )
        wallet.send(hub, data)

    # 5. RLC: raw creation code, the deployer receives the whole supply
    rlc = wallet.deploy(str(_deployment("RLC")["bytecode"]))

    # 6. registries
    regs: list[str] = []
    for rel, base_uri in _REGISTRIES:
        art = _artifact(f"registries/{rel}")
        reg = wallet.deploy(str(art["bytecode"]))
        reg_c = contract(address=to_checksum_address(reg), abi=art["abi"])
        wallet.send(reg, reg_c.encode_abi("initialize", args=[ZERO_ADDRESS]))
        wallet.send(reg, reg_c.encode_abi("setBaseURI", args=[base_uri]))
        regs.append(reg)

    # 7. configure (stores the EIP-712 domain separator) and the standard categories
    hub_c = hub_contract(w3, hub)
    app_reg, dataset_reg, pool_reg = regs
    data = hub_c.encode_abi(
        "configure",
        args=[
            to_checksum_address(rlc),
            "Staked RLC",
            "SRLC",
            9,
            to_checksum_address(app_reg),
            to_checksum_address(dataset_reg),
            to_checksum_address(pool_reg),
            ZERO_ADDRESS,
        ],
    )
    wallet.send(hub, data)
    for cat in STANDARD_CATEGORIES:
        data = hub_c.encode_abi("createCategory", args=[cat.name, '""', cat.work_clock_time_ref])
        wallet.send(hub, data)

    return PocoDeployment(
        rpc_url=rpc_url,
        chain_id=wallet.chain_id,
        hub=hub,
        rlc=rlc,
        app_registry=app_reg,
        dataset_registry=dataset_reg,
        workerpool_registry=pool_reg,
        deployer=wallet.address.lower(),
    )


def network_of(dep: PocoDeployment) -> Network:
    """The bot's Network for this deployment, so bot.domain.signing signs for its domain."""
    return local_network(dep.chain_id, dep.hub, rpc_url=dep.rpc_url)


# --- assets: workerpools, apps, RLC, stake -----------------------------------------------------


def create_workerpool(dep: PocoDeployment, owner_key: str, description: str = "test-pool") -> str:
    """Register a workerpool owned by ``owner_key``'s address (it sends the tx); idempotent."""
    w3 = web3_for(dep.rpc_url)
    art = _artifact("registries/workerpools/WorkerpoolRegistry")
    reg = w3.eth.contract(address=to_checksum_address(dep.workerpool_registry), abi=art["abi"])
    owner = Account.from_key(owner_key).address
    predicted = str(reg.functions.predictWorkerpool(owner, description).call())
    if not reg.functions.isRegistered(predicted).call():
        wallet = _Wallet(w3, owner_key)
        wallet.send(
            dep.workerpool_registry, reg.encode_abi("createWorkerpool", args=[owner, description])
        )
    return predicted.lower()


def transfer_workerpool(dep: PocoDeployment, owner_key: str, workerpool: str, to: str) -> None:
    """Hand the workerpool NFT (and with it the right to sign its orders) to ``to``."""
    w3 = web3_for(dep.rpc_url)
    art = _artifact("registries/workerpools/WorkerpoolRegistry")
    reg = w3.eth.contract(address=to_checksum_address(dep.workerpool_registry), abi=art["abi"])
    owner = Account.from_key(owner_key).address
    token_id = int(norm_address(workerpool, "workerpool"), 16)
    data = reg.encode_abi("transferFrom", args=[owner, to_checksum_address(to), token_id])
    _Wallet(w3, owner_key).send(dep.workerpool_registry, data)


def create_app(
    dep: PocoDeployment,
    owner_key: str,
    name: str = "test-app",
    multiaddr: str = "docker.io/iexechub/python-hello-world:8.0.0",
    checksum: str = "0x" + "00" * 31 + "01",
    app_type: str = "DOCKER",
    mrenclave: bytes = b"",
) -> str:
    """Register an app owned by ``owner_key``'s address; idempotent."""
    w3 = web3_for(dep.rpc_url)
    art = _artifact("registries/apps/AppRegistry")
    reg = w3.eth.contract(address=to_checksum_address(dep.app_registry), abi=art["abi"])
    owner = Account.from_key(owner_key).address
    args = [owner, name, app_type, multiaddr.encode(), bytes.fromhex(checksum[2:]), mrenclave]
    predicted = str(reg.functions.predictApp(*args).call())
    if not reg.functions.isRegistered(predicted).call():
        _Wallet(w3, owner_key).send(dep.app_registry, reg.encode_abi("createApp", args=args))
    return predicted.lower()


def fund_rlc(
    dep: PocoDeployment, to: str, amount_nrlc: int, *, from_key: str | None = None
) -> None:
    """Transfer RLC from the deployer (who holds the supply); unlocked node account if no key."""
    w3 = web3_for(dep.rpc_url)
    token = w3.eth.contract(address=to_checksum_address(dep.rlc), abi=_RLC_ABI)
    data = token.encode_abi("transfer", args=[to_checksum_address(to), amount_nrlc])
    _wallet(dep, from_key).send(dep.rlc, data)


def rlc_balance(dep: PocoDeployment, account: str) -> int:
    w3 = web3_for(dep.rpc_url)
    token = w3.eth.contract(address=to_checksum_address(dep.rlc), abi=_RLC_ABI)
    return int(token.functions.balanceOf(to_checksum_address(account)).call())


def deposit_stake(dep: PocoDeployment, account_key: str, amount_nrlc: int) -> None:
    """Approve the hub and deposit RLC into the account's hub escrow (its free stake)."""
    w3 = web3_for(dep.rpc_url)
    wallet = _Wallet(w3, account_key)
    token = w3.eth.contract(address=to_checksum_address(dep.rlc), abi=_RLC_ABI)
    wallet.send(
        dep.rlc, token.encode_abi("approve", args=[to_checksum_address(dep.hub), amount_nrlc])
    )
    wallet.send(dep.hub, hub_contract(w3, dep.hub).encode_abi("deposit", args=[amount_nrlc]))


# --- orders and matching -------------------------------------------------------------------------


def _domain(dep: PocoDeployment) -> dict[str, Any]:
    return {
        "name": "iExecODB",
        "version": "5.0.0",
        "chainId": dep.chain_id,
        "verifyingContract": to_checksum_address(dep.hub),
    }


def _typed_message(fields: Mapping[str, Any], types: list[dict[str, str]]) -> dict[str, Any]:
    msg: dict[str, Any] = {}
    for item in types:
        name, typ = item["name"], item["type"]
        value = fields[name]
        if typ == "address":
            value = to_checksum_address(value)
        elif typ == "bytes32":
            value = bytes.fromhex(str(value)[2:])
        msg[name] = value
    return msg


def _sign_typed(
    dep: PocoDeployment,
    primary: str,
    types: list[dict[str, str]],
    fields: Mapping[str, Any],
    key: str,
) -> dict[str, Any]:
    signable = encode_typed_data(
        domain_data=_domain(dep),
        message_types={primary: types},
        message_data=_typed_message(fields, types),
    )
    signed = Account.sign_message(signable, key)
    out = {item["name"]: fields[item["name"]] for item in types}
    out["sign"] = "0x" + bytes(signed.signature).hex()
    out["orderHash"] = "0x" + bytes(signed.message_hash).hex()
    return out


def app_order(
    app: str,
    *,
    appprice: int = 0,
    volume: int = 1_000_000,
    tag: str = ZERO_BYTES32,
    datasetrestrict: str = ZERO_ADDRESS,
    workerpoolrestrict: str = ZERO_ADDRESS,
    requesterrestrict: str = ZERO_ADDRESS,
    salt: str | None = None,
) -> dict[str, Any]:
    """The eight EIP-712 fields of an app order (random salt unless given)."""
    return {
        "app": norm_address(app, "app"),
        "appprice": appprice,
        "volume": volume,
        "tag": tag,
        "datasetrestrict": datasetrestrict,
        "workerpoolrestrict": workerpoolrestrict,
        "requesterrestrict": requesterrestrict,
        "salt": salt or "0x" + keccak(Account.create().key).hex(),
    }


def request_order(
    app: str,
    requester: str,
    *,
    workerpoolmaxprice: int,
    category: int = 0,
    volume: int = 1,
    workerpool: str = ZERO_ADDRESS,
    appmaxprice: int = 0,
    dataset: str = ZERO_ADDRESS,
    datasetmaxprice: int = 0,
    tag: str = ZERO_BYTES32,
    trust: int = 0,
    beneficiary: str | None = None,
    callback: str = ZERO_ADDRESS,
    params: str = "",
    salt: str | None = None,
) -> dict[str, Any]:
    """The fifteen EIP-712 fields of a request order (random salt unless given)."""
    return {
        "app": norm_address(app, "app"),
        "appmaxprice": appmaxprice,
        "dataset": norm_address(dataset, "dataset"),
        "datasetmaxprice": datasetmaxprice,
        "workerpool": norm_address(workerpool, "workerpool"),
        "workerpoolmaxprice": workerpoolmaxprice,
        "requester": norm_address(requester, "requester"),
        "volume": volume,
        "tag": tag,
        "category": category,
        "trust": trust,
        "beneficiary": norm_address(beneficiary or requester, "beneficiary"),
        "callback": norm_address(callback, "callback"),
        "params": params,
        "salt": salt or "0x" + keccak(Account.create().key).hex(),
    }


def sign_app_order(dep: PocoDeployment, order: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Sign with the app owner's key; returns the fields plus ``sign`` and ``orderHash``."""
    return _sign_typed(dep, "AppOrder", APP_ORDER_TYPE, order, key)


def sign_request_order(dep: PocoDeployment, order: Mapping[str, Any], key: str) -> dict[str, Any]:
    """Sign with the requester's key; returns the fields plus ``sign`` and ``orderHash``."""
    return _sign_typed(dep, "RequestOrder", REQUEST_ORDER_TYPE, order, key)


def _order_tuple(abi_input: Mapping[str, Any], order: Mapping[str, Any]) -> tuple[Any, ...]:
    values: list[Any] = []
    for comp in abi_input["components"]:
        name, typ = comp["name"], comp["type"]
        value = order.get(name)
        if value is None:
            value = {"address": ZERO_ADDRESS, "bytes32": ZERO_BYTES32, "bytes": "0x"}.get(typ, 0)
        if typ == "address":
            value = to_checksum_address(value)
        elif typ in ("bytes32", "bytes"):
            value = bytes.fromhex(str(value)[2:])
        values.append(value)
    return tuple(values)


_EMPTY_DATASET_ORDER: dict[str, Any] = {}


def match_orders(
    dep: PocoDeployment,
    sender_key: str,
    apporder: Mapping[str, Any],
    datasetorder: Mapping[str, Any] | None,
    workerpoolorder: Mapping[str, Any] | SignedWorkerpoolOrder,
    requestorder: Mapping[str, Any],
) -> str:
    """Send ``matchOrders`` and return the deal id from ``OrdersMatched``.

    Orders are signed dicts (fields + ``sign``); a workerpool order may also be a
    SignedWorkerpoolOrder. The requester needs (app + dataset + workerpool price) x volume of
    free stake and the pool owner floor(price x 30 / 100) x volume.
    """
    if isinstance(workerpoolorder, SignedWorkerpoolOrder):
        workerpoolorder = {**workerpoolorder.order.fields(), "sign": workerpoolorder.sign}
    w3 = web3_for(dep.rpc_url)
    hub_c = hub_contract(w3, dep.hub)
    inputs = next(x for x in hub_abi() if x.get("name") == "matchOrders")["inputs"]
    args = [
        _order_tuple(inputs[0], apporder),
        _order_tuple(inputs[1], datasetorder or _EMPTY_DATASET_ORDER),
        _order_tuple(inputs[2], workerpoolorder),
        _order_tuple(inputs[3], requestorder),
    ]
    receipt = _Wallet(w3, sender_key).send(dep.hub, hub_c.encode_abi("matchOrders", args=args))
    for log in hub_c.events.OrdersMatched().process_receipt(receipt, errors=DISCARD):
        return "0x" + bytes(log["args"]["dealid"]).hex()
    raise ChainRevert("no OrdersMatched event", "matchOrders succeeded but emitted no deal")


# --- the task lifecycle, as the iExec Core and its workers drive it ------------------------------


def task_id_of(deal_id: str, index: int) -> str:
    """PoCo's task id: keccak256(abi.encodePacked(dealid, idx))."""
    packed = bytes.fromhex(deal_id.removeprefix("0x")) + index.to_bytes(32, "big")
    return "0x" + keccak(packed).hex()


def initialize_task(dep: PocoDeployment, sender_key: str, deal_id: str, index: int) -> str:
    """``initialize(dealid, idx)`` (the scheduler's wallet sends it); emits ``TaskInitialize``
    and sets the task's contribution deadline to deal start + 7 x workClockTimeRef."""
    w3 = web3_for(dep.rpc_url)
    hub_c = hub_contract(w3, dep.hub)
    data = hub_c.encode_abi("initialize", args=[bytes.fromhex(deal_id[2:]), index])
    _Wallet(w3, sender_key).send(dep.hub, data)
    return task_id_of(deal_id, index)


def contribute_and_finalize(
    dep: PocoDeployment, worker_key: str, scheduler_key: str, task_id: str, results: bytes = b""
) -> None:
    """A trust-1 worker's ``contributeAndFinalize``: the scheduler (the pool owner) authorizes
    the worker for the task by signing keccak256(worker, taskid, enclave = 0) as an Ethereum
    signed message; emits ``TaskContribute``, ``TaskConsensus``, ``TaskReveal`` and
    ``TaskFinalize``. PoCo refuses it once ``contributionDeadline <= block.timestamp``."""
    w3 = web3_for(dep.rpc_url)
    hub_c = hub_contract(w3, dep.hub)
    worker = Account.from_key(worker_key).address
    tid = bytes.fromhex(task_id[2:])
    packed = bytes.fromhex(worker[2:]) + tid + bytes(20)
    authorization = Account.sign_message(encode_defunct(primitive=keccak(packed)), scheduler_key)
    digest = keccak(results or tid)
    data = hub_c.encode_abi(
        "contributeAndFinalize",
        args=[tid, digest, results, b"", ZERO_ADDRESS, b"", bytes(authorization.signature)],
    )
    _Wallet(w3, worker_key).send(dep.hub, data)


# --- relocation to a production hub address ------------------------------------------------------


def _dump_account(rpc_url: str, address: str) -> dict[str, Any]:
    raw = str(rpc_call(rpc_url, "anvil_dumpState", timeout=60.0))
    state = json.loads(gzip.decompress(bytes.fromhex(raw.removeprefix("0x"))))
    accounts: dict[str, Any] = state["accounts"]
    for addr, acct in accounts.items():
        if addr.lower() == address.lower():
            return dict(acct)
    raise ConfigError(f"anvil_dumpState has no account {address}")


def relocate_hub(
    dep: PocoDeployment,
    target_address: str,
    *,
    sender_key: str | None = None,
    update_domain: bool = True,
) -> PocoDeployment:
    """Clone the configured hub to ``target_address`` (anvil only) and fix its EIP-712 domain.

    With anvil started on the production chain id (134 Bellecour, 42161 Arbitrum One), the clone
    has exactly the production domain, so production-domain signatures verify on a real contract.
    The facets, token and registries stay where they are: the diamond only points at them.
    """
    target = norm_address(target_address, "target_address")
    account = _dump_account(dep.rpc_url, dep.hub)
    target_cs = to_checksum_address(target)
    rpc_call(dep.rpc_url, "anvil_setCode", [target_cs, account["code"]])
    writes = [
        (
            "anvil_setStorageAt",
            [
                target_cs,
                "0x" + format(int(slot, 16), "064x"),
                "0x" + format(int(value, 16), "064x"),
            ],
        )
        for slot, value in account.get("storage", {}).items()
    ]
    rpc_batch(dep.rpc_url, writes)
    moved = replace(dep, hub=target)
    if not update_domain:  # only tests want a stale separator (the adapter must refuse it)
        return moved
    w3 = web3_for(dep.rpc_url)
    _wallet(moved, sender_key).send(
        target, hub_contract(w3, target).encode_abi("updateDomainSeparator", args=[])
    )
    domain = hub_contract(w3, target).functions.domain().call()
    if int(domain[2]) != dep.chain_id or str(domain[3]).lower() != target:
        raise ConfigError(f"relocated hub reports domain {domain}, expected {target}")
    return moved

"""What `pricebot order sign` prints is what PoCo accepts: verified and matched on a real chain.

Runs on the shared anvil + PoCo 6.1.0 fixtures (tests/plugins/chain.py); every transaction is
reverted after the test by ``chain_snapshot``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.app.cli import app
from bot.domain.signing import address_of
from bot.sandbox import poco as pc
from tests.plugins.chain import APP_OWNER_KEY, DEPLOYER_KEY, OWNER_KEY, REQUESTER_KEY, STRANGER_KEY

pytestmark = [pytest.mark.chain, pytest.mark.xdist_group("chain")]

runner = CliRunner()
PRICE = 100_000_000  # 0.1 RLC


def _cli(*args: str, key: str | None = None) -> Any:
    result = runner.invoke(app, list(args), env={"PRICEBOT_PRIVATE_KEY": key})
    return result


def _sign_with_cli(tmp_path: Path, dep: pc.PocoDeployment, pool: str, key: str) -> dict[str, Any]:
    net = ["--network", "local", "--chain-id", str(dep.chain_id), "--hub", dep.hub]
    template = tmp_path / f"order-{address_of(key)}.json"
    made = _cli(
        "order", "init", *net, "--workerpool", pool, "--price", "0.1 RLC", "--volume", "3",
        "--out", str(template),
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    signed = _cli("order", "sign", *net, str(template), key=key)
    assert signed.exit_code == 0, signed.stderr
    out: dict[str, Any] = json.loads(signed.stdout)
    return out


def _compact(sign: str) -> bytes:
    raw = bytes.fromhex(sign[2:])
    vs = int.from_bytes(raw[32:64], "big") | ((raw[64] - 27) << 255)
    return raw[:32] + vs.to_bytes(32, "big")


def test_cli_signed_order_verifies_and_matches_on_chain(
    tmp_path: Path, poco: pc.PocoDeployment, workerpool: str, chain_snapshot: Any
) -> None:
    hub = pc.hub_contract(pc.web3_for(poco.rpc_url), poco.hub)
    owner = pc.web3_for(poco.rpc_url).to_checksum_address(address_of(OWNER_KEY))
    signed = _sign_with_cli(tmp_path, poco, workerpool, OWNER_KEY)
    digest = bytes.fromhex(signed["orderHash"][2:])

    assert signed["workerpoolprice"] == PRICE and signed["volume"] == 3
    assert hub.functions.verifySignature(owner, digest, bytes.fromhex(signed["sign"][2:])).call()
    assert hub.functions.verifySignature(owner, digest, _compact(signed["sign"])).call()

    # A requester buys one task from it: the contract recomputes the same hash and consumes it.
    app_addr = pc.create_app(poco, APP_OWNER_KEY)
    apporder = pc.sign_app_order(poco, pc.app_order(app_addr), APP_OWNER_KEY)
    requester = address_of(REQUESTER_KEY)
    pc.fund_rlc(poco, requester, PRICE, from_key=DEPLOYER_KEY)
    pc.deposit_stake(poco, REQUESTER_KEY, PRICE)
    request = pc.sign_request_order(
        poco, pc.request_order(app_addr, requester, workerpoolmaxprice=PRICE), REQUESTER_KEY
    )
    deal = pc.match_orders(poco, REQUESTER_KEY, apporder, None, signed, request)
    assert deal.startswith("0x") and len(deal) == 66
    assert hub.functions.viewConsumed(digest).call() == 1


def test_order_signed_by_a_non_owner_is_refused_on_chain(
    tmp_path: Path, poco: pc.PocoDeployment, workerpool: str
) -> None:
    hub = pc.hub_contract(pc.web3_for(poco.rpc_url), poco.hub)
    owner = pc.web3_for(poco.rpc_url).to_checksum_address(address_of(OWNER_KEY))
    signed = _sign_with_cli(tmp_path, poco, workerpool, STRANGER_KEY)
    digest = bytes.fromhex(signed["orderHash"][2:])
    assert not hub.functions.verifySignature(
        owner, digest, bytes.fromhex(signed["sign"][2:])
    ).call()


@pytest.mark.parametrize(("chain_id", "network"), [(134, "bellecour"), (42161, "arbitrum-mainnet")])
def test_public_network_signature_verifies_on_the_production_domain(
    tmp_path: Path, relocated_poco: Any, chain_id: int, network: str
) -> None:
    """`--network bellecour|arbitrum-mainnet` alone (no --chain-id/--hub) signs for production."""
    rig = relocated_poco(chain_id)
    template = tmp_path / "order.json"
    made = _cli(
        "order", "init", "--network", network, "--workerpool", rig.workerpool,
        "--price", "0.1 RLC", "--out", str(template),
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    signed = _cli("order", "sign", "--network", network, str(template), key=OWNER_KEY)
    assert signed.exit_code == 0, signed.stderr
    out = json.loads(signed.stdout)
    w3 = pc.web3_for(rig.poco.rpc_url)
    hub = pc.hub_contract(w3, rig.poco.hub)
    owner = w3.to_checksum_address(address_of(OWNER_KEY))
    digest = bytes.fromhex(out["orderHash"][2:])
    assert hub.functions.verifySignature(owner, digest, bytes.fromhex(out["sign"][2:])).call()

"""The deployer and its helpers against a real anvil: what the sandbox and the market rely on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from web3 import Web3

from bot.domain.errors import ChainRevert
from bot.domain.model import ZERO_BYTES32, WorkerpoolOrder
from bot.domain.networks import STANDARD_CATEGORIES
from bot.domain.signing import address_of, domain_separator, random_salt, sign_order
from bot.sandbox import poco as pc
from bot.sandbox.anvil import AnvilNode
from tests.plugins.chain import (
    APP_OWNER_KEY,
    OWNER_KEY,
    OWNER_STAKE_NRLC,
    REQUESTER_KEY,
    RelocatedPoco,
)

pytestmark = pytest.mark.chain


def _hub(dep: pc.PocoDeployment) -> Any:
    return pc.hub_contract(pc.web3_for(dep.rpc_url), dep.hub)


def test_deployed_hub_has_the_local_domain_and_standard_categories(
    poco: pc.PocoDeployment,
) -> None:
    hub = _hub(poco)
    name, version, chain_id, verifying = hub.functions.domain().call()
    assert (name, version, chain_id, verifying.lower()) == ("iExecODB", "5.0.0", 31337, poco.hub)
    assert "0x" + hub.functions.eip712domain_separator().call().hex() == domain_separator(
        pc.network_of(poco)
    )
    assert hub.functions.token().call().lower() == poco.rlc
    got = [
        hub.functions.viewCategory(i).call() for i in range(hub.functions.countCategory().call())
    ]
    assert [(n, ref) for n, _, ref in got] == [
        (c.name, c.work_clock_time_ref) for c in STANDARD_CATEGORIES
    ]


def test_workerpool_is_owned_by_key_1_with_stake(poco: pc.PocoDeployment, workerpool: str) -> None:
    w3 = pc.web3_for(poco.rpc_url)
    art = pc._artifact("registries/workerpools/Workerpool")
    pool = w3.eth.contract(address=Web3.to_checksum_address(workerpool), abi=art["abi"])
    assert pool.functions.owner().call().lower() == address_of(OWNER_KEY)
    stake, locked = (
        _hub(poco).functions.viewAccount(Web3.to_checksum_address(address_of(OWNER_KEY))).call()
    )
    assert (stake, locked) == (OWNER_STAKE_NRLC, 0)


def test_match_orders_locks_stake_and_consumes_volume(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    requester = address_of(REQUESTER_KEY)
    pc.fund_rlc(poco, requester, 10**12)
    pc.deposit_stake(poco, REQUESTER_KEY, 10**11)
    app = pc.create_app(poco, APP_OWNER_KEY)
    price = 10**9
    order = WorkerpoolOrder(
        workerpool=workerpool,
        workerpoolprice=price,
        volume=5,
        tag=ZERO_BYTES32,
        category=0,
        trust=0,
        salt=random_salt(),
    )
    signed = sign_order(pc.network_of(poco), order, OWNER_KEY)
    ao = pc.sign_app_order(poco, pc.app_order(app), APP_OWNER_KEY)
    ro = pc.sign_request_order(
        poco, pc.request_order(app, requester, workerpoolmaxprice=price, volume=2), REQUESTER_KEY
    )
    deal_id = pc.match_orders(poco, REQUESTER_KEY, ao, None, signed, ro)
    hub = _hub(poco)
    assert deal_id.startswith("0x") and len(deal_id) == 66
    assert hub.functions.viewConsumed(bytes.fromhex(signed.order_hash[2:])).call() == 2
    _, locked = hub.functions.viewAccount(Web3.to_checksum_address(address_of(OWNER_KEY))).call()
    assert locked == price * 30 // 100 * 2


def test_match_above_the_request_max_price_reverts_with_reason(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    requester = address_of(REQUESTER_KEY)
    app = pc.create_app(poco, APP_OWNER_KEY)
    order = WorkerpoolOrder(
        workerpool=workerpool, workerpoolprice=10, volume=1, tag=ZERO_BYTES32, category=0, trust=0
    )
    signed = sign_order(pc.network_of(poco), order, OWNER_KEY)
    ao = pc.sign_app_order(poco, pc.app_order(app), APP_OWNER_KEY)
    ro = pc.sign_request_order(
        poco, pc.request_order(app, requester, workerpoolmaxprice=9), REQUESTER_KEY
    )
    with pytest.raises(ChainRevert, match="0x05"):
        pc.match_orders(poco, REQUESTER_KEY, ao, None, signed, ro)


@pytest.mark.xdist_group("relocated-hubs")  # built once per worker: keep them on one
@pytest.mark.parametrize(("chain_id", "hub"), [(134, pc.BELLECOUR_HUB), (42161, pc.ARBITRUM_HUB)])
def test_relocated_hub_has_the_production_domain(
    relocated_poco: Callable[[int], RelocatedPoco], chain_id: int, hub: str
) -> None:
    rig = relocated_poco(chain_id)
    assert rig.poco.hub == hub
    got = _hub(rig.poco).functions.domain().call()
    assert (got[2], got[3].lower()) == (chain_id, hub)
    expected = {
        134: "0xf2cbd98a556869939d25b73c3fa68ba45f19932f8c9a06f744c98290ed9ef860",
        42161: "0x3b211ab198ac0c745a332d34416d88c417c2f06a87bd9f0d2fdd37b242c75402",
    }[chain_id]
    assert "0x" + _hub(rig.poco).functions.eip712domain_separator().call().hex() == expected

"""pytest fixtures for the real local chain: anvil + the PoCo 6.1.0 contracts (CHAIN engineer).

Fixtures (all processes they start are stopped at the end of the session, even on failure):

- ``anvil`` (session): an ``AnvilNode`` (chain id 31337) on a free 127.0.0.1 port, one per
  pytest-xdist worker.
- ``poco`` (session): a ``PocoDeployment`` on ``anvil``, deployed once, with a workerpool owned
  by anvil key #1 (``OWNER_KEY``) and ``OWNER_STAKE_NRLC`` of its RLC deposited as stake.
- ``workerpool`` (session): the address of that workerpool (lower-case).
- ``chain_snapshot`` (function): ``evm_snapshot`` before the test and ``evm_revert`` after it,
  so a test may send transactions freely; yields the ``AnvilNode``. Build adapters inside the
  test (a nonce manager created before a revert would hold nonces from the future).
- ``relocated_poco`` (session): a factory ``relocated_poco(chain_id) -> RelocatedPoco`` for 134
  (Bellecour) or 42161 (Arbitrum One): a separate anvil started with that chain id, PoCo deployed
  and cloned to the production hub address, so the EIP-712 domain is exactly production's; it
  has the same workerpool and stake set-up. Each chain id is built once per session (per
  xdist worker): mark tests using it `@pytest.mark.xdist_group("relocated-hubs")`.

Keys (anvil's default mnemonic, public test keys): ``DEPLOYER_KEY`` #0 (holds the RLC supply),
``OWNER_KEY`` #1 (pool owner), ``RELAYER_KEY`` #2 (gas wallet that relays cancels),
``REQUESTER_KEY`` #3, ``APP_OWNER_KEY`` #4, ``STRANGER_KEY`` #5.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from bot.domain.signing import address_of
from bot.sandbox.anvil import ANVIL_KEYS, AnvilNode, run_anvil
from bot.sandbox.poco import (
    ARBITRUM_HUB,
    BELLECOUR_HUB,
    PocoDeployment,
    create_workerpool,
    deploy_poco,
    deposit_stake,
    fund_rlc,
    relocate_hub,
)

__all__ = [
    "APP_OWNER_KEY",
    "DEPLOYER_KEY",
    "OWNER_KEY",
    "OWNER_STAKE_NRLC",
    "RELAYER_KEY",
    "REQUESTER_KEY",
    "STRANGER_KEY",
    "WORKERPOOL_DESCRIPTION",
    "RelocatedPoco",
]

DEPLOYER_KEY = ANVIL_KEYS[0]
OWNER_KEY = ANVIL_KEYS[1]
RELAYER_KEY = ANVIL_KEYS[2]
REQUESTER_KEY = ANVIL_KEYS[3]
APP_OWNER_KEY = ANVIL_KEYS[4]
STRANGER_KEY = ANVIL_KEYS[5]
OWNER_STAKE_NRLC = 1_000 * 10**9
WORKERPOOL_DESCRIPTION = "test-pool"
PRODUCTION_HUBS = {134: BELLECOUR_HUB, 42161: ARBITRUM_HUB}


@dataclass(frozen=True, slots=True)
class RelocatedPoco:
    node: AnvilNode
    poco: PocoDeployment
    workerpool: str


def _stage_pool(dep: PocoDeployment) -> str:
    pool = create_workerpool(dep, OWNER_KEY, WORKERPOOL_DESCRIPTION)
    fund_rlc(dep, address_of(OWNER_KEY), 10 * OWNER_STAKE_NRLC, from_key=DEPLOYER_KEY)
    deposit_stake(dep, OWNER_KEY, OWNER_STAKE_NRLC)
    return pool


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilNode]:
    with run_anvil() as node:
        yield node


@pytest.fixture(scope="session")
def poco(anvil: AnvilNode) -> PocoDeployment:
    dep = deploy_poco(anvil.rpc_url, DEPLOYER_KEY)
    _stage_pool(dep)
    return dep


@pytest.fixture(scope="session")
def workerpool(poco: PocoDeployment) -> str:
    return create_workerpool(poco, OWNER_KEY, WORKERPOOL_DESCRIPTION)  # idempotent: finds it


@pytest.fixture
def chain_snapshot(anvil: AnvilNode, poco: PocoDeployment) -> Iterator[AnvilNode]:
    snap = anvil.snapshot()
    try:
        yield anvil
    finally:
        anvil.call("evm_setAutomine", True)
        anvil.revert(snap)


@pytest.fixture(scope="session")
def relocated_poco() -> Iterator[Callable[[int], RelocatedPoco]]:
    built: dict[int, RelocatedPoco] = {}
    with contextlib.ExitStack() as stack:

        def make(chain_id: int) -> RelocatedPoco:
            if chain_id not in PRODUCTION_HUBS:
                raise ValueError(f"chain_id: must be one of {sorted(PRODUCTION_HUBS)}")
            if chain_id not in built:
                node = stack.enter_context(run_anvil(chain_id))
                dep = relocate_hub(
                    deploy_poco(node.rpc_url, DEPLOYER_KEY),
                    PRODUCTION_HUBS[chain_id],
                    sender_key=DEPLOYER_KEY,
                )
                built[chain_id] = RelocatedPoco(node=node, poco=dep, workerpool=_stage_pool(dep))
            return built[chain_id]

        yield make

"""The iExec networks, by the names the iExec SDK uses.

Values come from iexec-sdk ``src/common/utils/config.js`` and PoCo ``config/config.json``
(see ../shared/reference/market-api.md section 1 and poco-contracts.md sections 4-5). Bellecour was
removed from SDK v9 and is being retired; it stays here because it is the network the seed
rules were written for and because old orders may still be signed for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from bot.domain.errors import InputError
from bot.domain.model import Category, norm_address

__all__ = [
    "ARBITRUM_MAINNET",
    "ARBITRUM_SEPOLIA",
    "BELLECOUR",
    "NETWORKS",
    "STANDARD_CATEGORIES",
    "Network",
    "TagRules",
    "get_network",
    "local_network",
]

TagRules = Literal["bellecour", "arbitrum"]

# PoCo config/config.json, identical since v5.0.0.
STANDARD_CATEGORIES: tuple[Category, ...] = (
    Category(0, "XS", 300),
    Category(1, "S", 1200),
    Category(2, "M", 3600),
    Category(3, "L", 10800),
    Category(4, "XL", 36000),
)


@dataclass(frozen=True, slots=True)
class Network:
    name: str
    chain_id: int
    hub: str  # PoCo proxy: the EIP-712 verifyingContract
    market_url: str
    rpc_url: str
    token_mode: bool  # False: native (Bellecour xRLC); True: ERC-20 RLC
    tag_rules: TagRules
    categories: tuple[Category, ...] = STANDARD_CATEGORIES

    def category(self, category_id: int) -> Category:
        for cat in self.categories:
            if cat.id == category_id:
                return cat
        raise InputError(
            "category",
            f"must be one of {[c.id for c in self.categories]} on {self.name}",
            category_id,
        )


ARBITRUM_MAINNET = Network(
    name="arbitrum-mainnet",
    chain_id=42161,
    hub="0x098bfcb1e50ebca0baa92c12ea0c3f045a1ad9f0",
    market_url="https://api.market.arbitrum-mainnet.iex.ec",
    rpc_url="https://arb1.arbitrum.io/rpc",
    token_mode=True,
    tag_rules="arbitrum",
)

ARBITRUM_SEPOLIA = Network(
    name="arbitrum-sepolia-testnet",
    chain_id=421614,
    hub="0xb2157bf2fab286b2a4170e3491ac39770111da3e",
    market_url="https://api-market.arbitrum-sepolia-testnet.iex.ec",
    rpc_url="https://sepolia-rollup.arbitrum.io/rpc",
    token_mode=True,
    tag_rules="arbitrum",
)

BELLECOUR = Network(
    name="bellecour",
    chain_id=134,
    hub="0x3eca1b216a7df1c7689aeb259ffb83adfb894e7f",
    market_url="https://api.market.v8-bellecour.iex.ec",
    rpc_url="https://bellecour.iex.ec",
    token_mode=False,
    tag_rules="bellecour",
)

NETWORKS: dict[str, Network] = {n.name: n for n in (ARBITRUM_MAINNET, ARBITRUM_SEPOLIA, BELLECOUR)}


def local_network(
    chain_id: int,
    hub: str,
    *,
    market_url: str = "http://127.0.0.1:3000",
    rpc_url: str = "http://127.0.0.1:8545",
    categories: tuple[Category, ...] = STANDARD_CATEGORIES,
) -> Network:
    """A local chain (anvil, the sandbox). It follows Bellecour's rules on 134, Arbitrum's otherwise."""
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise InputError("chain_id", "must be a positive integer", chain_id)
    return Network(
        name="local",
        chain_id=chain_id,
        hub=norm_address(hub, "hub"),
        market_url=market_url,
        rpc_url=rpc_url,
        token_mode=True,
        tag_rules="bellecour" if chain_id == 134 else "arbitrum",
        categories=categories,
    )


def get_network(
    name: str,
    *,
    chain_id: int | None = None,
    hub: str | None = None,
    market_url: str | None = None,
    rpc_url: str | None = None,
) -> Network:
    """Resolve a network by SDK name; ``local`` needs ``chain_id`` and ``hub``.

    For a public network, the URLs may be overridden (a private RPC, a mirror of the API), but
    never the chain id or the hub: those define what a signature means.
    """
    if name == "local":
        if chain_id is None or hub is None:
            raise InputError(
                "network", "'local' needs a chain id and a hub address (--chain-id, --hub)"
            )
        net = local_network(chain_id, hub)
    elif name in NETWORKS:
        net = NETWORKS[name]
        if chain_id is not None and chain_id != net.chain_id:
            raise InputError("chain_id", f"{name} is chain {net.chain_id}", chain_id)
        if hub is not None and norm_address(hub, "hub") != net.hub:
            raise InputError("hub", f"{name}'s hub is {net.hub}", hub)
    else:
        raise InputError("network", f"must be one of {[*NETWORKS, 'local']}", name)
    if market_url is not None:
        net = replace(net, market_url=market_url)
    if rpc_url is not None:
        net = replace(net, rpc_url=rpc_url)
    return net

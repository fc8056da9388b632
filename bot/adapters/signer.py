"""The owner key behind the Signer port: signs orders, CLOSE operations and login challenges.

The key lives only inside this object; nothing prints it (``repr`` shows the address), and every
signature is made for the one network it was built for, so an order can never be signed for a
domain the rest of the bot did not verify.
"""

from __future__ import annotations

from typing import Any

from bot.adapters.keys import SecretKey, as_secret
from bot.domain.errors import InputError
from bot.domain.model import SignedWorkerpoolOrder, WorkerpoolOrder
from bot.domain.networks import Network
from bot.domain.rules import check_publishable
from bot.domain.signing import (
    CLOSE,
    GATEWAY_CHALLENGE_PREFIX,
    sign_gateway_challenge,
    sign_operation,
    sign_order,
)

__all__ = ["LocalKeySigner"]


class LocalKeySigner:
    """A private key held in memory as a :class:`bot.adapters.keys.SecretKey`; implements bot.engine.ports.Signer."""

    __slots__ = ("_address", "_key", "_network")

    def __init__(self, network: Network, private_key: SecretKey | str) -> None:
        self._network = network
        self._key = as_secret(private_key, "private_key")  # never a plain str in this object
        self._address = self._key.address

    def __repr__(self) -> str:
        return f"LocalKeySigner(network={self._network.name!r}, address={self._address!r})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("LocalKeySigner holds a private key and cannot be pickled")

    @property
    def address(self) -> str:
        return self._address

    @property
    def network(self) -> Network:
        return self._network

    def sign_order(self, order: WorkerpoolOrder) -> SignedWorkerpoolOrder:
        """Sign only what the network's publishing rules allow (raises RuleViolation)."""
        check_publishable(self._network, order)
        return sign_order(self._network, order, self._key.reveal())

    def sign_close(self, order: WorkerpoolOrder) -> str:
        return sign_operation(self._network, order, CLOSE, self._key.reveal())

    def sign_gateway_challenge(self, chain_id: int, challenge: str) -> str:
        """Sign only a genuine marketplace login challenge, on our own chain."""
        if chain_id != self._network.chain_id:
            raise InputError(
                "chainId", f"challenge must be for chain {self._network.chain_id}", chain_id
            )
        if not challenge.startswith(GATEWAY_CHALLENGE_PREFIX):
            raise InputError("challenge", f"must start with {GATEWAY_CHALLENGE_PREFIX!r}")
        return sign_gateway_challenge(chain_id, challenge, self._key.reveal())

"""Which listed workerpool orders PoCo would actually accept: signature checks for the book.

The marketplace is not trusted to have checked signatures. A record with a zero, garbage or
foreign ``sign`` can never be matched on chain, yet one such order at 1 nRLC would drag a
``competitive`` price to its floor. :class:`BookSignatureCheck` verifies each listed order the way
PoCo's ``SignatureVerifier`` does at match time, against the workerpool's current owner:

- the workerpool must be registered in the hub's workerpool registry and answer ``owner()``;
- a presigned order (``viewPresigned(hash) == owner``) is valid whatever its ``sign`` (PoCo
  checks the presignature first, so such orders often carry an empty ``sign``);
- a contract owner is asked ``isValidSignature(hash, sign)`` (ERC-1271) and nothing else;
- an EOA owner must have signed the hash: 65-byte (v 27/28, low s) or 64-byte EIP-2098
  signatures, recovered locally (``bot.domain.signing.signature_problem``, no RPC).

Verdicts are cached by (order hash, sign) together with the owner they were checked against, so
a listed order costs chain calls once (a verdict not asked for in an hour is forgotten:
``bot.adapters.book_cache.RecentMap``); owner look-ups are cached for ``owner_ttl`` seconds, after
which a transferred pool re-checks its orders. A refused order is logged once (not every tick)
and counted by reason in :attr:`BookSignatureCheck.dropped`. A transient chain failure is raised:
the book is then not sampled this tick (the sampler reuses its last good value), never silently
filtered or left unchecked.

The order hash handed in must have been recomputed from the order's fields (the market client's
hub check does that), so the cache cannot be fooled by new fields under an old hash.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.adapters.book_cache import RecentMap
from bot.adapters.safe_text import clean_text
from bot.domain.errors import ChainError, TransientError
from bot.domain.model import ZERO_ADDRESS, SignedWorkerpoolOrder
from bot.domain.signing import signature_problem

__all__ = ["BookSignatureCheck", "SignatureChain"]

log = logging.getLogger(__name__)

DEFAULT_OWNER_TTL = 600.0
DEFAULT_MAX_ORDERS = 20_000


class SignatureChain(Protocol):
    """The chain reads signature checks need (``bot.adapters.chain.RpcChain`` has them)."""

    def owner(self, workerpool: str) -> str: ...

    def is_contract(self, address: str) -> bool: ...

    def workerpool_registered(self, workerpool: str) -> bool: ...

    def presigned(self, order_hash: str) -> str: ...

    def is_valid_signature(self, account: str, digest: str, signature: str) -> bool: ...


Refusal = tuple[str, str]
"""(counted kind, detail for the log line)."""


@dataclass(frozen=True, slots=True)
class _Owner:
    """A workerpool's signer as PoCo sees it, or why there is none; ``until`` = cache expiry."""

    address: str | None
    contract: bool
    refusal: Refusal | None
    until: float


class BookSignatureCheck:
    """Callable: ``check(signed) -> None`` when PoCo would accept the order, else the reason."""

    def __init__(
        self,
        chain: SignatureChain,
        *,
        owner_ttl: float = DEFAULT_OWNER_TTL,
        max_orders: int = DEFAULT_MAX_ORDERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._chain = chain
        self._owner_ttl = owner_ttl
        self._clock = clock
        self._owners: dict[str, _Owner] = {}
        self._verdicts: RecentMap[tuple[str, str], tuple[str | None, Refusal | None]] = RecentMap(
            max_orders, clock=clock
        )
        self.dropped: Counter[str] = Counter()
        """Distinct orders refused, by kind of reason (each order counted and logged once)."""

    def __call__(self, signed: SignedWorkerpoolOrder) -> str | None:
        owner = self._owner(signed.order.workerpool)
        key = (signed.order_hash, signed.sign)
        cached = self._verdicts.get(key)
        if cached is not None and cached[0] == owner.address:
            refusal = cached[1]
            return None if refusal is None else refusal[1]
        refusal = owner.refusal or self._verify(signed, owner)
        self._verdicts.put(key, (owner.address, refusal))
        if refusal is None:
            return None
        self.dropped[refusal[0]] += 1
        log.warning(
            "book: order %s of workerpool %s at %s nRLC left out: %s (logged once per order)",
            signed.order_hash,
            signed.order.workerpool,
            signed.order.workerpoolprice,
            refusal[1],
        )
        return refusal[1]

    def _owner(self, workerpool: str) -> _Owner:
        now = self._clock()
        known = self._owners.get(workerpool)
        if known is not None and known.until > now:
            return known
        until = now + self._owner_ttl
        chain = self._chain
        try:
            if not chain.workerpool_registered(workerpool):
                found = _Owner(
                    None,
                    False,
                    ("unregistered workerpool", "the workerpool is not in the hub's registry"),
                    until,
                )
            else:
                address = chain.owner(workerpool).lower()
                found = _Owner(address, chain.is_contract(address), None, until)
        except TransientError:
            raise
        except ChainError as exc:
            found = _Owner(
                None,
                False,
                (
                    "no owner on chain",
                    f"the workerpool owner is unreadable ({clean_text(str(exc), 120)})",
                ),
                until,
            )
        self._owners[workerpool] = found
        return found

    def _verify(self, signed: SignedWorkerpoolOrder, owner: _Owner) -> Refusal | None:
        assert owner.address is not None
        digest, sign = signed.order_hash, signed.sign
        refusal: Refusal
        if owner.contract:
            if self._chain.is_valid_signature(owner.address, digest, sign):
                return None
            refusal = (
                "rejected by the contract owner",
                f"the contract owner {owner.address} rejects its sign (ERC-1271)",
            )
        else:
            problem = signature_problem(digest, sign, owner.address)
            if problem is None:
                return None
            kind = (
                "unsigned"
                if problem == "empty signature"
                else "signed by another key"
                if problem.startswith("signed by")
                else "malformed signature"
            )
            refusal = (kind, problem)
        presigner = self._chain.presigned(digest)
        if presigner != ZERO_ADDRESS and presigner == owner.address:
            return None  # PoCo accepts a presigned order whatever its sign
        return refusal[0], f"{refusal[1]}, and not presigned on chain"

"""An in-memory world behind the ports, for the service's logic tests.

Signing is real (EIP-712 with anvil's public test key #1 on a local network), so order hashes are
the real ones; the market and the chain are dictionaries with fault-injection knobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.adapters.signer import LocalKeySigner
from bot.domain.errors import ChainError, RejectedError, TransientError
from bot.domain.model import (
    BookEntry,
    Category,
    ChainOrderStatus,
    Deal,
    MarketStatus,
    OwnOrder,
    PoolUtilization,
    RequestOrderView,
    SignedWorkerpoolOrder,
    Stake,
    WorkerpoolOrder,
)
from bot.domain.networks import STANDARD_CATEGORIES, local_network
from bot.domain.signing import address_of, sign_order
from bot.engine.cycle import CyclePorts
from bot.engine.ports import BookQuery, CancelOutcome, Journal, Signer

OWNER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil #1
OTHER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"  # anvil #2
OWNER = address_of(OWNER_KEY)
POOL = "0x" + "ab" * 20
RIVAL = "0x" + "cd" * 20
NETWORK = local_network(31337, "0x" + "11" * 20)


@dataclass
class FakeClock:
    t: float = 1_700_000_000.0

    def now(self) -> float:
        return self.t


class FakeSigner(LocalKeySigner):
    """Not a fake: the production signer (real EIP-712, the network's publishing rules), on the
    fake world's local network with anvil's public test key #1 unless told otherwise."""

    __slots__ = ()

    def __init__(self, key: str = OWNER_KEY) -> None:
        super().__init__(NETWORK, key)


@dataclass
class FakeWorld:
    """Market + chain + pool in one object; each port is a thin view on it."""

    clock: FakeClock = field(default_factory=FakeClock)
    owner: str = OWNER
    book: dict[str, BookEntry] = field(default_factory=dict)
    listed: dict[str, SignedWorkerpoolOrder] = field(default_factory=dict)
    dead_bodies: dict[str, SignedWorkerpoolOrder] = field(default_factory=dict)
    consumed: dict[str, int] = field(default_factory=dict)
    requests: list[RequestOrderView] = field(default_factory=list)
    deals_list: list[Deal] = field(default_factory=list)
    stake_value: Stake = field(default_factory=lambda: Stake(free=10**15, locked=0))
    util: PoolUtilization = field(
        default_factory=lambda: PoolUtilization(registered_cpu=8, computing_cpu=0)
    )
    publish_failures: list[Exception] = field(default_factory=list)
    cancel_failures: list[Exception] = field(default_factory=list)
    fail_parts: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)
    on_publish: list = field(default_factory=list)

    # -- MarketReader -------------------------------------------------------------------------
    def workerpool_orders(self, query: BookQuery) -> list[BookEntry]:
        if "book" in self.fail_parts:
            raise TransientError("book down")
        out: list[BookEntry] = []
        if query.workerpool is None or query.workerpool != POOL:
            out += [
                e
                for e in self.book.values()
                if (query.category is None or e.category == query.category)
                and (query.min_tag is None or e.tag & query.min_tag == query.min_tag)
                and (query.workerpool is None or e.workerpool == query.workerpool)
            ]
        if query.workerpool in (None, POOL):
            out += [self._entry(s) for h, s in self.listed.items()]
        return sorted(out, key=lambda e: (e.price, e.published_at))

    def _entry(
        self, s: SignedWorkerpoolOrder, status: MarketStatus = MarketStatus.OPEN
    ) -> BookEntry:
        o = s.order
        return BookEntry(
            order_hash=s.order_hash,
            workerpool=o.workerpool,
            owner=self.owner,
            price=o.workerpoolprice,
            volume=o.volume,
            remaining=o.volume - self.consumed.get(s.order_hash, 0),
            category=o.category,
            tag=o.tag_int,
            trust=o.trust,
            published_at=self.clock.t,
            status=status,
        )

    def our_orders(self, workerpool: str) -> list[OwnOrder]:
        if "book" in self.fail_parts:
            raise TransientError("book down")
        return [
            OwnOrder(
                s, s.order.volume - self.consumed.get(h, 0), True, self.clock.t, MarketStatus.OPEN
            )
            for h, s in self.listed.items()
        ]

    def workerpool_order(self, order_hash: str) -> BookEntry | None:
        if order_hash in self.listed:
            return self._entry(self.listed[order_hash])
        if order_hash in self.dead_bodies:
            return self._entry(self.dead_bodies[order_hash], MarketStatus.DEAD)
        return self.book.get(order_hash)

    def make_dead(self, signed: SignedWorkerpoolOrder) -> None:
        self.listed.pop(signed.order_hash, None)
        self.dead_bodies[signed.order_hash] = signed

    def request_orders(
        self, category: int | None = None, workerpool: str | None = None
    ) -> list[RequestOrderView]:
        if "requests" in self.fail_parts:
            raise TransientError("requests down")
        return [r for r in self.requests if category is None or r.category == category]

    def deals(self, workerpool: str, since: float | None = None) -> list[Deal]:
        return [d for d in self.deals_list if since is None or d.at >= since]

    # -- MarketWriter -------------------------------------------------------------------------
    def publish(self, signed: SignedWorkerpoolOrder) -> str:
        self.calls.append(("publish", signed.order_hash))
        for hook in self.on_publish:
            hook(signed)
        if self.publish_failures:
            raise self.publish_failures.pop(0)
        if self.consumed.get(signed.order_hash, 0) >= signed.order.volume:
            raise RejectedError("order is not open", 400)
        self.listed[signed.order_hash] = signed
        self.dead_bodies.pop(signed.order_hash, None)
        return signed.order_hash

    def unpublish(self, order_hash: str) -> None:
        self.calls.append(("unpublish", order_hash))
        self.listed.pop(order_hash, None)

    def unpublish_all(self, workerpool: str) -> list[str]:
        hashes = list(self.listed)
        for h in hashes:
            self.unpublish(h)
        return hashes

    # -- Chain ----------------------------------------------------------------------------------
    @property
    def chain_id(self) -> int:
        return NETWORK.chain_id

    def owner_of(self, workerpool: str) -> str:
        return self.owner

    def consumed_of(self, order_hash: str) -> int:
        if "chain" in self.fail_parts:
            raise TransientError("rpc down")
        return self.consumed.get(order_hash, 0)

    def order_status(self, signed: SignedWorkerpoolOrder) -> ChainOrderStatus:
        c = self.consumed.get(signed.order_hash, 0)
        if c == 0:
            return ChainOrderStatus.OPEN
        return ChainOrderStatus.CLOSED if c >= signed.order.volume else ChainOrderStatus.PARTIAL

    def stake(self, account: str) -> Stake:
        if "stake" in self.fail_parts:
            raise ChainError("stake unavailable")
        return self.stake_value

    def categories(self) -> Sequence[Category]:
        return STANDARD_CATEGORIES

    def cancel(self, signed: SignedWorkerpoolOrder) -> CancelOutcome:
        self.calls.append(("cancel", signed.order_hash))
        if self.cancel_failures:
            raise self.cancel_failures.pop(0)
        already = self.consumed.get(signed.order_hash, 0) >= signed.order.volume
        self.consumed[signed.order_hash] = signed.order.volume
        self.listed.pop(signed.order_hash, None)
        return CancelOutcome(signed.order_hash, None if already else "0x" + "ee" * 32, already)

    def gas_balance(self) -> int:
        return 10**18

    # -- PoolMetrics ------------------------------------------------------------------------------
    def utilization(self) -> PoolUtilization:
        if "utilization" in self.fail_parts:
            raise TransientError("core down")
        return self.util

    def match(self, order_hash: str, n: int) -> None:
        """A requester took ``n`` tasks of one of our orders."""
        self.consumed[order_hash] = self.consumed.get(order_hash, 0) + n


class ChainView:
    """The Chain port of a FakeWorld (owner/consumed have clashing names on the world)."""

    def __init__(self, world: FakeWorld) -> None:
        self.w = world

    @property
    def chain_id(self) -> int:
        return self.w.chain_id

    def owner(self, workerpool: str) -> str:
        return self.w.owner_of(workerpool)

    def consumed(self, order_hash: str) -> int:
        return self.w.consumed_of(order_hash)

    def consumed_many(self, order_hashes: Sequence[str]) -> dict[str, int]:
        return {h: self.w.consumed_of(h) for h in order_hashes}

    def order_status(self, signed: SignedWorkerpoolOrder) -> ChainOrderStatus:
        return self.w.order_status(signed)

    def stake(self, account: str) -> Stake:
        return self.w.stake(account)

    def categories(self) -> Sequence[Category]:
        return self.w.categories()

    def cancel(self, signed: SignedWorkerpoolOrder) -> CancelOutcome:
        return self.w.cancel(signed)

    def gas_balance(self) -> int:
        return self.w.gas_balance()


def rival_order(
    price: int, *, category: int = 0, tag: int = 0, volume: int = 10, n: int = 0
) -> BookEntry:
    return BookEntry(
        order_hash="0x" + format(n + 1, "064x"),
        workerpool=RIVAL,
        owner=RIVAL,
        price=price,
        volume=volume,
        remaining=volume,
        category=category,
        tag=tag,
        trust=0,
        published_at=1.0 + n,
    )


def our_order(
    price: int, volume: int = 5, *, category: int = 0, salt: int = 1
) -> SignedWorkerpoolOrder:
    order = WorkerpoolOrder(
        workerpool=POOL,
        workerpoolprice=price,
        volume=volume,
        tag="0x" + "0" * 64,
        category=category,
        trust=0,
        salt="0x" + format(salt, "064x"),
    )
    return sign_order(NETWORK, order, OWNER_KEY)


def fake_ports(world: FakeWorld, journal: Journal, signer: Signer | None = None) -> CyclePorts:
    """The fake world as the cycle's ports (typed: mypy checks the fakes implement them all)."""
    return CyclePorts(
        clock=world.clock,
        market=world,
        writer=world,
        chain=ChainView(world),
        signer=signer or FakeSigner(),
        metrics=world,
        journal=journal,
    )

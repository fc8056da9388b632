"""An independent checker: the physical invariants of our pool's orders, read from the world itself.

The soak (``bench/soak``) runs the bot against the sandbox under faults; this module says whether
anything dangerous happened. It never reads the bot's journal, decisions or memory to decide what
is true: the truth is

- the marketplace's own database (``posted``: every order any client ever posted, unpublished ones
  included; ``orders``: what is listed now and with which status),
- the chain (``viewConsumed`` of every posted order of ours not yet finished, in one batched
  JSON-RPC request straight to anvil, and ``viewAccount`` for the owner's stake),
- the simulated pool's own state (its slots, its tasks, their deadlines and statuses), read from
  the sandbox core's ``GET /_sandbox/pool`` (not a route of iexec-core; the bot never reads it).

After every cycle :meth:`Checker.check` tests:

``volume``
    the valid volume of our orders (volume - consumed on chain, listed or not) is within the
    configured maximum per slot and in all, and within what the pool's slots can still deliver
    before the deadline a task matched now would get (recomputed here from the pool's tasks);
``own-stake``
    no order of ours is ``dead`` (nobody else moves our stake in the soak, so a dead order can
    only be killed by our own orders' stake), and the stake our listed orders need fits the free
    stake on chain;
``deadline``
    no task of ours failed its contribution deadline (the pool's workers all stay; a failure is
    over-selling);
``price-rise``
    once a dearer order of ours is listed in a slot, no order of that slot posted before it and
    cheaper is still valid on chain ``rise_grace`` healthy cycles later (cycles in which the
    chain was reachable: an RPC outage can delay a cancel, not excuse it afterwards);
``at-rest``
    after a cycle with no fault in it or the one before, at most ``max_listed_per_slot`` orders
    of ours are listed per slot.

:meth:`Checker.agree` is the one check that opens the journal, read-only, as the thing under test
after a reconcile: the orders it tracks (not ``closed``) must be exactly those valid on chain, and
every order listed open must be one it tracks. Nothing lost (valid on chain, untracked), nothing
orphaned (listed, unknown), nothing stale (tracked but finished on chain).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = ["Checker", "CheckerLimits", "OurOrder", "Violation"]

_VIEW_CONSUMED = "0x4b2bec8c"  # viewConsumed(bytes32)
_STAKE_RATIO_PERCENT = 30  # PoCo's WORKERPOOL_STAKE_RATIO

SlotKey = tuple[int, str, int]  # category, tag, trust


def _selector(signature: str) -> str:
    from eth_utils.crypto import keccak

    return "0x" + keccak(text=signature)[:4].hex()


_VIEW_ACCOUNT = _selector("viewAccount(address)")


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant: which, at which cycle, and what was seen."""

    rule: str
    cycle: int
    detail: str


@dataclass(frozen=True, slots=True)
class CheckerLimits:
    """The limits the checker holds the world to (from the bot's config and the pool's spec).

    ``max_volume_per_slot`` and ``max_volume_total`` are the config's ``offers[].max_volume``
    and ``rails.max_volume``; ``max_listed_per_slot`` is the planner's ceiling on orders per
    slot; ``rise_grace`` is how many healthy cycles a cheaper order may outlive a price rise.
    """

    max_volume_per_slot: int
    max_volume_total: int
    max_listed_per_slot: int
    rise_grace: int = 2


@dataclass(frozen=True, slots=True)
class OurOrder:
    """One order of our pool as the marketplace received it."""

    order_hash: str
    slot: SlotKey
    price: int
    volume: int
    first_at: float


@dataclass(slots=True)
class _Rise:
    slot: SlotKey
    price: int
    listed_at: float
    cycle: int
    healthy_left: int


@dataclass(slots=True)
class _State:
    orders: dict[str, OurOrder] = field(default_factory=dict)
    finished: set[str] = field(default_factory=set)
    consumed: dict[str, int] = field(default_factory=dict)
    seen_open: set[str] = field(default_factory=set)
    listed_min: dict[SlotKey, int] = field(default_factory=dict)
    rises: list[_Rise] = field(default_factory=list)
    failed_tasks: set[str] = field(default_factory=set)
    reported: set[tuple[str, str]] = field(default_factory=set)


class Checker:
    """Reads the world after each cycle and returns what it finds broken (see module doc)."""

    def __init__(
        self,
        *,
        market_db: Path,
        rpc_url: str,
        hub: str,
        workerpool: str,
        owner: str,
        core_url: str,
        limits: CheckerLimits,
    ) -> None:
        self.market_db = Path(market_db)
        self.rpc_url = rpc_url
        self.hub = hub.lower()
        self.workerpool = workerpool.lower()
        self.owner = owner.lower()
        self.core_url = core_url.rstrip("/")
        self.limits = limits
        self._http = httpx.Client(timeout=30.0)
        self._state = _State()
        self._lock = threading.Lock()
        self.violations: list[Violation] = []
        self.checks = 0
        self.max_valid_volume = 0

    def close(self) -> None:
        self._http.close()

    # -- reading the world -----------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.market_db}?mode=ro", uri=True, timeout=30.0)

    def _read_market(self) -> dict[str, tuple[str, int]]:
        """New posted orders of ours into the state; returns hash -> (status, remaining) listed."""
        db = self._db()
        try:
            posted = db.execute(
                "SELECT order_hash, first_at, body FROM posted "
                "WHERE kind = 'workerpoolorder' AND workerpool = ?",
                (self.workerpool,),
            ).fetchall()
            listed = db.execute(
                "SELECT order_hash, status, remaining FROM orders "
                "WHERE kind = 'workerpoolorder' AND workerpool = ?",
                (self.workerpool,),
            ).fetchall()
        finally:
            db.close()
        for h, first_at, body in posted:
            if h in self._state.orders:
                continue
            o = json.loads(body)
            self._state.orders[h] = OurOrder(
                order_hash=h,
                slot=(int(o["category"]), str(o["tag"]).lower(), int(o["trust"])),
                price=int(o["workerpoolprice"]),
                volume=int(o["volume"]),
                first_at=float(first_at),
            )
        return {str(h): (str(s), int(r)) for h, s, r in listed}

    def _batch(self, calls: list[tuple[str, str]]) -> list[str]:
        """``eth_call`` each (to, data) in one JSON-RPC batch; results in order."""
        if not calls:
            return []
        payload = [
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": "eth_call",
                "params": [{"to": to, "data": data}, "latest"],
            }
            for i, (to, data) in enumerate(calls)
        ]
        resp = self._http.post(self.rpc_url, json=payload)
        resp.raise_for_status()
        answers = sorted(resp.json(), key=lambda a: int(a["id"]))
        out: list[str] = []
        for a in answers:
            if "error" in a:
                raise RuntimeError(f"checker: eth_call failed: {a['error']}")
            out.append(str(a["result"]))
        return out

    def consumed_of(self, hashes: list[str]) -> dict[str, int]:
        """``viewConsumed`` of each hash on chain, in one batch."""
        results = self._batch([(self.hub, _VIEW_CONSUMED + h.removeprefix("0x")) for h in hashes])
        return {h: int(r, 16) for h, r in zip(hashes, results, strict=True)}

    def _read_chain(self) -> int:
        """Refresh consumed volume of every unfinished order; return the owner's free stake."""
        st = self._state
        todo = [h for h in st.orders if h not in st.finished]
        account = _VIEW_ACCOUNT + self.owner.removeprefix("0x").rjust(64, "0")
        results = self._batch(
            [(self.hub, account)]
            + [(self.hub, _VIEW_CONSUMED + h.removeprefix("0x")) for h in todo]
        )
        free_stake = int(results[0][2:66], 16)
        for h, r in zip(todo, results[1:], strict=True):
            consumed = int(r, 16)
            st.consumed[h] = consumed
            if consumed >= st.orders[h].volume:
                st.finished.add(h)
        return free_stake

    def valid(self) -> dict[str, int]:
        """hash -> remaining volume on chain, for our posted orders still matchable."""
        st = self._state
        return {
            h: o.volume - st.consumed.get(h, 0)
            for h, o in st.orders.items()
            if h not in st.finished and o.volume - st.consumed.get(h, 0) > 0
        }

    # -- the pool's own capacity ------------------------------------------------------------------

    def pool_state(self) -> dict[str, Any]:
        """The simulated pool's own state: slots, deadline rule, every task (see module doc)."""
        resp = self._http.get(self.core_url + "/_sandbox/pool")
        resp.raise_for_status()
        return dict(resp.json())

    @staticmethod
    def deliverable(pool: Mapping[str, Any], category: int) -> int:
        """Tasks of ``category`` the pool's slots can still finish if matched now.

        A task matched now is due ``deadline_factor x median`` seconds later (the pool's own
        rule). Slot time available before that horizon, minus the work already there (the rest
        of each running task, every waiting task due before the horizon), divided by the
        category's median run time: the necessary condition of an EDF schedule.
        """
        durations = pool["durations"]
        median = float(durations.get(str(category), max(durations.values())))
        now = float(pool["now"])
        horizon = float(pool["deadline_factor"]) * median - float(pool["init_delay"])
        busy = 0.0
        for t in pool["tasks"]:
            if t["status"] == "RUNNING" and t["started_at"] is not None:
                busy += min(max(0.0, t["started_at"] + t["duration"] - now), horizon)
            elif t["status"] in ("RECEIVED", "INITIALIZED") and t["deadline"] <= now + horizon:
                busy += t["duration"]
        free = int(pool["slots"]) * horizon - busy
        return max(0, int(free // median))

    # -- the invariants -----------------------------------------------------------------------------

    def _flag(self, rule: str, cycle: int, key: str, detail: str) -> None:
        if (rule, key) in self._state.reported:
            return
        self._state.reported.add((rule, key))
        self.violations.append(Violation(rule, cycle, detail))

    def check(self, cycle: int, *, chain_healthy: bool, at_rest: bool) -> list[Violation]:
        """Read everything and test every per-cycle invariant; returns the new violations."""
        with self._lock:
            before = len(self.violations)
            self.checks += 1
            listed = self._read_market()
            free_stake = self._read_chain()
            pool = self.pool_state()
            valid = self.valid()
            st = self._state
            lim = self.limits
            self.max_valid_volume = max(self.max_valid_volume, sum(valid.values()))

            by_slot: dict[SlotKey, int] = {}
            for h, left in valid.items():
                slot = st.orders[h].slot
                by_slot[slot] = by_slot.get(slot, 0) + left
            total = sum(by_slot.values())
            if total > lim.max_volume_total:
                self._flag(
                    "volume",
                    cycle,
                    f"total@{cycle}",
                    f"valid volume {total} > {lim.max_volume_total}",
                )
            for slot, vol in by_slot.items():
                if vol > lim.max_volume_per_slot:
                    self._flag(
                        "volume",
                        cycle,
                        f"{slot}@{cycle}",
                        f"slot {slot}: valid volume {vol} > {lim.max_volume_per_slot} "
                        f"({sorted((h[:10], n) for h, n in valid.items())})",
                    )
                can = self.deliverable(pool, slot[0])
                if vol > can:
                    self._flag(
                        "volume",
                        cycle,
                        f"{slot}@{cycle}:pool",
                        f"slot {slot}: valid volume {vol} > {can} the pool can deliver in time",
                    )

            need = 0
            for h, (status, remaining) in listed.items():
                o = st.orders.get(h)
                if o is None:
                    continue
                if status == "dead":
                    self._flag("own-stake", cycle, h, f"order {h[:10]} went dead")
                if status == "open":
                    need += (o.price * _STAKE_RATIO_PERCENT // 100) * remaining
            if need > free_stake:
                self._flag(
                    "own-stake",
                    cycle,
                    f"need@{cycle}",
                    f"listed orders need {need} nRLC of stake, {free_stake} free",
                )

            for t in pool["tasks"]:
                if t["status"] == "FAILED" and t["task_id"] not in st.failed_tasks:
                    st.failed_tasks.add(t["task_id"])
                    self._flag(
                        "deadline",
                        cycle,
                        t["task_id"],
                        f"task {t['task_id'][:14]} missed its deadline "
                        f"(received {t['received_at']:.1f}, due {t['deadline']:.1f})",
                    )

            self._price_rises(cycle, listed, valid, chain_healthy)

            if at_rest:
                counts: dict[SlotKey, int] = {}
                for h, (status, _) in listed.items():
                    # closed on chain but not yet seen so by the marketplace's watcher: not listed
                    if status == "open" and h in valid:
                        slot = st.orders[h].slot
                        counts[slot] = counts.get(slot, 0) + 1
                for slot, n in counts.items():
                    if n > lim.max_listed_per_slot:
                        self._flag(
                            "at-rest",
                            cycle,
                            f"{slot}@{cycle}",
                            f"slot {slot}: {n} orders listed > {lim.max_listed_per_slot}",
                        )
            return self.violations[before:]

    def _price_rises(
        self,
        cycle: int,
        listed: Mapping[str, tuple[str, int]],
        valid: Mapping[str, int],
        chain_healthy: bool,
    ) -> None:
        st = self._state
        open_now = {h for h, (s, _) in listed.items() if s == "open" and h in st.orders}
        for h in sorted(open_now - st.seen_open, key=lambda x: st.orders[x].first_at):
            o = st.orders[h]
            before = st.listed_min.get(o.slot)
            if before is not None and o.price > before:
                st.rises.append(_Rise(o.slot, o.price, o.first_at, cycle, self.limits.rise_grace))
        st.seen_open |= open_now
        mins: dict[SlotKey, int] = {}
        for h in open_now:
            o = st.orders[h]
            mins[o.slot] = min(mins.get(o.slot, o.price), o.price)
        st.listed_min.update(mins)
        keep: list[_Rise] = []
        for rise in st.rises:
            if rise.cycle < cycle and chain_healthy:
                rise.healthy_left -= 1
            if rise.healthy_left > 0:
                keep.append(rise)
                continue
            for h in valid:
                o = st.orders[h]
                if o.slot == rise.slot and o.price < rise.price and o.first_at < rise.listed_at:
                    self._flag(
                        "price-rise",
                        cycle,
                        h,
                        f"order {h[:10]} at {o.price} still valid on chain "
                        f"({valid[h]} left) {self.limits.rise_grace} healthy cycles after a rise "
                        f"to {rise.price} (cycle {rise.cycle})",
                    )
        st.rises = keep

    # -- after a reconcile: the journal under test ------------------------------------------------

    def finished(self) -> set[str]:
        """Our orders seen finished on chain so far (call before a reconcile, for :meth:`agree`)."""
        with self._lock:
            self._read_market()
            self._read_chain()
            return set(self._state.finished)

    def agree(
        self, journal: Path, cycle: int, finished_before: set[str], *, bot_running: bool = False
    ) -> list[Violation]:
        """Journal (read-only) vs marketplace vs chain after a reconcile: sets must agree.

        ``finished_before``: orders finished on chain before the reconcile began; one filled by
        a requester since then is not yet known to the bot, which is no disagreement. The views
        are read marketplace, then journal, then chain: a bot still running (``bot_running``)
        journals an order before it publishes it and closes it on chain before it journals the
        close, so in that order no write of its can look like a disagreement.
        """
        with self._lock:
            before = len(self.violations)
            listed = self._read_market()
            db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=30.0)
            try:
                rows = db.execute("SELECT order_hash, volume, state FROM signed_orders").fetchall()
            finally:
                db.close()
            self._read_chain()
            st = self._state
            states = {str(h): str(s) for h, _, s in rows}
            tracked = {h for h, s in states.items() if s != "closed"}
            unposted = [h for h in tracked if h not in st.orders]
            consumed = self.consumed_of(unposted)
            volumes = {str(h): int(v) for h, v, _ in rows}
            valid = set(self.valid())
            valid |= {h for h in unposted if volumes[h] - consumed[h] > 0}
            for h in sorted(valid - tracked):
                what = "closed in the journal" if h in states else "unknown to the journal"
                self._flag("lost", cycle, h, f"order {h[:10]} valid on chain but {what}")
            # never posted, finished: only our own cancel can have closed it, and reconcile
            # must have seen that (unless the bot is still running and just did it)
            judged = finished_before if bot_running else finished_before | set(unposted)
            for h in sorted((tracked - valid) & judged):
                self._flag(
                    "stale", cycle, h, f"order {h[:10]} tracked ({states[h]}) but finished on chain"
                )
            for h, (status, _) in sorted(listed.items()):
                # listed but closed in the journal: the watcher has not seen the close yet, or
                # it is still valid on chain and flagged "lost" above
                if status == "open" and h not in states:
                    self._flag("orphaned", cycle, h, f"order {h[:10]} listed but not journalled")
            return self.violations[before:]

    def revenue(self) -> tuple[int, int]:
        """(nRLC, tasks) of every deal matched for our pool, from the marketplace's deal index."""
        db = self._db()
        try:
            rows = db.execute(
                "SELECT body FROM deals WHERE workerpool = ?", (self.workerpool,)
            ).fetchall()
        finally:
            db.close()
        deals = [json.loads(r[0]) for r in rows]
        return (
            sum(int(d["workerpool"]["price"]) * int(d["volume"]) for d in deals),
            sum(int(d["volume"]) for d in deals),
        )

    def summary(self) -> dict[str, Any]:
        st = self._state
        by_rule: dict[str, int] = {}
        for v in self.violations:
            by_rule[v.rule] = by_rule.get(v.rule, 0) + 1
        return {
            "checks": self.checks,
            "orders_posted": len(st.orders),
            "orders_valid": len(self.valid()),
            "max_valid_volume": self.max_valid_volume,
            "tasks_failed": len(st.failed_tasks),
            "violations": by_rule,
        }

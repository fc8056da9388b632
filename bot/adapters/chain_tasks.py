"""The TaskFeed port on PoCo's events: our pool's deals and how far each task got.

What the chain tells, and nothing else (``/metrics`` counts tasks by status, with no category,
deadline or duration; reference core-and-sdk.md A2, A9):

- **deals**: ``SchedulerNotice(workerpool indexed, dealid)`` for our pool, each read once with
  ``viewDeal`` (category, ``startTime``, ``botFirst``, ``botSize``); a task of it is
  ``keccak256(dealid, idx)`` and must be contributed before ``startTime + 7 x workClockTimeRef``
  (the category's, read on chain);
- **initialized**: ``TaskInitialize(taskid indexed, workerpool indexed)`` for our pool;
- **contributed**: ``TaskContribute(taskid indexed, worker indexed, hash)`` for our open tasks
  (the first contribution; with trust > 1 the others follow).

The chain does not say when a worker took a task, so ``started_at`` stays None: the run time
learned from a task counts from its initialize (the core initializes at once, whatever the load),
an over-estimate where tasks queue (bot.pricing.runtimes). Logs are read incrementally from the last
block seen, in chunks (providers cap one query's range); the first read starts at the block of
``since``, found by bisection on block times. Errors are translated by the RPC pool.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from eth_abi.abi import decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.types import FilterParams

from bot.adapters.chain import _DEAL_TUPLE, SCHEDULER_NOTICE_TOPIC, Web3Chain, _call_data
from bot.adapters.chain_rpc import RpcPool
from bot.domain.model import PoolTask, norm_address

__all__ = [
    "TASK_CONTRIBUTE_TOPIC",
    "TASK_INITIALIZE_TOPIC",
    "ChainTaskFeed",
]

log = logging.getLogger(__name__)

TASK_INITIALIZE_TOPIC = "0x" + keccak(text="TaskInitialize(bytes32,address)").hex()
TASK_CONTRIBUTE_TOPIC = "0x" + keccak(text="TaskContribute(bytes32,address,bytes32)").hex()
_TOPICS_PER_QUERY = 100  # task ids OR-ed in one eth_getLogs filter


@dataclass(frozen=True, slots=True)
class _Deal:
    deal_id: str
    category: int
    start: float
    first: int
    size: int
    deadline: float


def _topic_address(address: str) -> str:
    return "0x" + "00" * 12 + address[2:]


def _task_id(deal_id: str, index: int) -> str:
    return "0x" + keccak(bytes.fromhex(deal_id[2:]) + index.to_bytes(32, "big")).hex()


class ChainTaskFeed:
    """bot.engine.ports.TaskFeed over JSON-RPC (build it from the verified chain adapter)."""

    def __init__(
        self,
        rpc: RpcPool,
        hub: str,
        time_refs: Mapping[int, int],
        *,
        chunk_blocks: int = 10_000,
    ) -> None:
        self._rpc = rpc
        self._hub = to_checksum_address(hub)
        self._time_refs = dict(time_refs)
        self._chunk = chunk_blocks
        self._pool: str | None = None
        self._next_block: int | None = None
        self._deals: dict[str, _Deal] = {}
        self._tasks: dict[str, tuple[str, int]] = {}  # task id -> (deal id, index)
        self._initialized: dict[str, float] = {}
        self._contributed: dict[str, float] = {}
        self._block_times: dict[int, float] = {}

    @classmethod
    def for_chain(cls, chain: Web3Chain, *, chunk_blocks: int = 10_000) -> ChainTaskFeed:
        refs = {c.id: c.work_clock_time_ref for c in chain.categories()}
        return cls(chain.rpc, chain.network.hub, refs, chunk_blocks=chunk_blocks)

    # -- the port ----------------------------------------------------------------------------

    def pool_tasks(self, workerpool: str, since: float) -> list[PoolTask]:
        pool = norm_address(workerpool, "workerpool")
        if self._pool != pool:  # another pool: start over
            self._pool, self._next_block = pool, None
            self._deals.clear()
            self._tasks.clear()
            self._initialized.clear()
            self._contributed.clear()
        self._rpc.run("task events", lambda w3: self._catch_up(w3, pool, since))
        self._forget_before(since)
        out: list[PoolTask] = []
        for deal in sorted(self._deals.values(), key=lambda d: (d.start, d.deal_id)):
            if deal.start < since:
                continue
            for index in range(deal.first, deal.first + deal.size):
                tid = _task_id(deal.deal_id, index)
                out.append(
                    PoolTask(
                        task_id=tid,
                        category=deal.category,
                        deal_start=deal.start,
                        contribution_deadline=deal.deadline,
                        initialized_at=self._initialized.get(tid),
                        contributed_at=self._contributed.get(tid),
                    )
                )
        return out

    # -- reading the chain -------------------------------------------------------------------

    def _catch_up(self, w3: Web3, pool: str, since: float) -> None:
        head = int(w3.eth.block_number)
        start = self._next_block
        if start is None:
            start = self._block_at(w3, since, head)
        for low in range(start, head + 1, self._chunk):
            high = min(head, low + self._chunk - 1)
            self._read_range(w3, pool, low, high)
            self._next_block = high + 1
        if self._next_block is None or self._next_block <= head:
            self._next_block = head + 1

    def _logs(self, w3: Web3, low: int, high: int, topics: list[Any]) -> list[Any]:
        query = {"address": self._hub, "fromBlock": low, "toBlock": high, "topics": topics}
        return list(w3.eth.get_logs(cast(FilterParams, query)))

    def _read_range(self, w3: Web3, pool: str, low: int, high: int) -> None:
        pool_topic = _topic_address(pool)
        for entry in self._logs(w3, low, high, [SCHEDULER_NOTICE_TOPIC, pool_topic]):
            deal_id = "0x" + bytes(decode(["bytes32"], bytes(entry["data"]))[0]).hex()
            if deal_id not in self._deals:
                self._add_deal(w3, deal_id)
        for entry in self._logs(w3, low, high, [TASK_INITIALIZE_TOPIC, None, pool_topic]):
            tid = "0x" + bytes(entry["topics"][1]).hex()
            self._initialized.setdefault(tid, self._block_time(w3, int(entry["blockNumber"])))
        open_ids = [t for t in self._tasks if t not in self._contributed]
        for i in range(0, len(open_ids), _TOPICS_PER_QUERY):
            ids = open_ids[i : i + _TOPICS_PER_QUERY]
            found = self._logs(w3, low, high, [TASK_CONTRIBUTE_TOPIC, ids])
            for entry in sorted(found, key=lambda e: int(e["blockNumber"])):
                tid = "0x" + bytes(entry["topics"][1]).hex()
                self._contributed.setdefault(tid, self._block_time(w3, int(entry["blockNumber"])))

    def _add_deal(self, w3: Web3, deal_id: str) -> None:
        data = _call_data("viewDeal(bytes32)", ["bytes32"], [bytes.fromhex(deal_id[2:])])
        raw = w3.eth.call({"to": self._hub, "data": data})
        (deal,) = decode([_DEAL_TUPLE], bytes(raw))
        category = int(deal[4])
        start = float(deal[10])
        first, size = int(deal[11]), int(deal[12])
        ref = self._time_refs.get(category)
        if ref is None:
            log.warning("deal %s: category %s unknown on chain; ignored", deal_id, category)
            return
        self._deals[deal_id] = _Deal(deal_id, category, start, first, size, start + 7 * ref)
        for index in range(first, first + size):
            self._tasks[_task_id(deal_id, index)] = (deal_id, index)

    def _block_time(self, w3: Web3, number: int) -> float:
        got = self._block_times.get(number)
        if got is None:
            got = float(w3.eth.get_block(number)["timestamp"])
            if len(self._block_times) > 10_000:
                self._block_times.clear()
            self._block_times[number] = got
        return got

    def _block_at(self, w3: Web3, t: float, head: int) -> int:
        """The first block at or after time ``t`` (bisection on block times)."""
        low, high = 0, head
        if self._block_time(w3, high) < t:
            return head
        while low < high:
            mid = (low + high) // 2
            if self._block_time(w3, mid) < t:
                low = mid + 1
            else:
                high = mid
        return low

    def _forget_before(self, since: float) -> None:
        old = [d for d in self._deals.values() if d.start < since]
        for deal in old:
            del self._deals[deal.deal_id]
            for tid in _ids(deal):
                self._tasks.pop(tid, None)
                self._initialized.pop(tid, None)
                self._contributed.pop(tid, None)


def _ids(deal: _Deal) -> Iterable[str]:
    return (_task_id(deal.deal_id, i) for i in range(deal.first, deal.first + deal.size))

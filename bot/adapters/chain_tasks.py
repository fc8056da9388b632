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

from eth_abi.abi import decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from bot.adapters.chain import _DEAL_TUPLE, SCHEDULER_NOTICE_TOPIC, RpcChain, _call_data
from bot.adapters.chain_rpc import Log, Rpc, RpcPool, quantity
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
_SEARCH_FAN_OUT = 16  # block times read per round trip when looking for the block at a time


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
    def for_chain(cls, chain: RpcChain, *, chunk_blocks: int = 10_000) -> ChainTaskFeed:
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
        self._rpc.run("task events", lambda rpc: self._catch_up(rpc, pool, since))
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

    def _catch_up(self, rpc: Rpc, pool: str, since: float) -> None:
        head = rpc.block_number()
        start = self._next_block
        if start is None:
            start = self._block_at(rpc, since, head)
        for low in range(start, head + 1, self._chunk):
            high = min(head, low + self._chunk - 1)
            self._read_range(rpc, pool, low, high)
            self._next_block = high + 1
        if self._next_block is None or self._next_block <= head:
            self._next_block = head + 1

    def _logs(self, rpc: Rpc, low: int, high: int, filters: list[list[object]]) -> list[list[Log]]:
        """The hub's logs in ``[low, high]`` for each topic filter, in one batch."""
        return rpc.get_logs_many(
            [
                {"address": self._hub, "fromBlock": hex(low), "toBlock": hex(high), "topics": t}
                for t in filters
            ]
        )

    def _read_range(self, rpc: Rpc, pool: str, low: int, high: int) -> None:
        """Three round trips: the pool's deal notices and task initializations, the new deals
        (``viewDeal``), then the contributions to open tasks and the block times they need."""
        pool_topic = _topic_address(pool)
        notices, inits = self._logs(
            rpc,
            low,
            high,
            [[SCHEDULER_NOTICE_TOPIC, pool_topic], [TASK_INITIALIZE_TOPIC, None, pool_topic]],
        )
        new_deals: list[str] = []
        for entry in notices:
            deal_id = "0x" + bytes(decode(["bytes32"], entry.data)[0]).hex()
            if deal_id not in self._deals and deal_id not in new_deals:
                new_deals.append(deal_id)
        self._add_deals(rpc, new_deals)
        open_ids = [t for t in self._tasks if t not in self._contributed]
        chunks: list[list[object]] = [
            [TASK_CONTRIBUTE_TOPIC, open_ids[i : i + _TOPICS_PER_QUERY]]
            for i in range(0, len(open_ids), _TOPICS_PER_QUERY)
        ]
        contributions = [e for found in self._logs(rpc, low, high, chunks) for e in found]
        contributions.sort(key=lambda e: e.block_number)
        self._block_times_of(rpc, [e.block_number for e in (*inits, *contributions)])
        for entry in inits:
            tid = "0x" + entry.topics[1].hex()
            self._initialized.setdefault(tid, self._block_time(rpc, entry.block_number))
        for entry in contributions:
            tid = "0x" + entry.topics[1].hex()
            self._contributed.setdefault(tid, self._block_time(rpc, entry.block_number))

    def _add_deals(self, rpc: Rpc, deal_ids: list[str]) -> None:
        """Read new deals with ``viewDeal``, 100 to a JSON-RPC batch."""
        for low in range(0, len(deal_ids), _TOPICS_PER_QUERY):
            chunk = deal_ids[low : low + _TOPICS_PER_QUERY]
            calls = [
                (self._hub, _call_data("viewDeal(bytes32)", ["bytes32"], [bytes.fromhex(d[2:])]))
                for d in chunk
            ]
            for deal_id, raw in zip(chunk, rpc.eth_calls(calls), strict=True):
                self._add_deal(deal_id, raw)

    def _add_deal(self, deal_id: str, raw: bytes) -> None:
        (deal,) = decode([_DEAL_TUPLE], raw)
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

    def _block_time(self, rpc: Rpc, number: int) -> float:
        return self._block_times_of(rpc, [number])[0]

    def _block_times_of(self, rpc: Rpc, numbers: list[int]) -> list[float]:
        """Timestamps of blocks ``numbers``; those not cached are read in one batch."""
        missing = sorted({n for n in numbers if n not in self._block_times})
        if missing:
            blocks = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in missing])
            if len(self._block_times) + len(missing) > 10_000:
                self._block_times.clear()
            for n, block in zip(missing, blocks, strict=True):
                stamp = block.get("timestamp") if isinstance(block, dict) else None
                self._block_times[n] = float(quantity(stamp))
        return [self._block_times[n] for n in numbers]

    def _block_at(self, rpc: Rpc, t: float, head: int) -> int:
        """The first block at or after time ``t``: a search that reads up to
        ``_SEARCH_FAN_OUT`` block times per round trip (about 3 round trips per million blocks,
        where a bisection takes 20)."""
        if self._block_time(rpc, head) < t:
            return head
        low, high = 0, head  # the answer is in [low, high]; block ``high`` is at or after t
        while low < high:
            step = max(1, -(-(high - low) // _SEARCH_FAN_OUT))
            points = list(range(low, high, step))
            times = self._block_times_of(rpc, points)
            after = [p for p, at in zip(points, times, strict=True) if at >= t]
            if after:
                first = after[0]
                before = [p for p in points if p < first]
                high, low = first, (before[-1] + 1 if before else low)
            else:
                low = points[-1] + 1
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

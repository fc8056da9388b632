"""The samplers put the task board in the snapshot: learned run times, open tasks, staleness."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.domain.errors import TransientError
from bot.domain.model import PoolTask
from bot.engine.ports import TaskFeed
from bot.engine.samplers import SamplerMemory, sample_snapshot
from tests.unit.engine.test_cycle_fake import make_cycle


@dataclass
class Feed:
    """Our pool's tasks as a list the test edits; ``down`` makes every read fail."""

    tasks: list[PoolTask] = field(default_factory=list)
    down: bool = False
    calls: list[float] = field(default_factory=list)

    def pool_tasks(self, workerpool: str, since: float) -> list[PoolTask]:
        self.calls.append(since)
        if self.down:
            raise TransientError("rpc down")
        return [t for t in self.tasks if t.deal_start >= since]


def test_board_from_the_feed_learns_run_times_and_goes_stale() -> None:
    cycle, world = make_cycle()
    feed = Feed()
    assert isinstance(feed, TaskFeed)
    ports = replace(cycle.ports, tasks=feed)
    now = world.clock.now()
    for i in range(30):  # 30 contributed XS tasks of 500 s: above the 300 s prior
        start = now - 1800 + i
        feed.tasks.append(
            PoolTask(f"d{i}", 0, start, start + 2100, start, start, start + 500 + i % 2)
        )
    feed.tasks.append(PoolTask("open", 0, now - 10, now + 2090, now - 10))
    memory = SamplerMemory()
    snap = sample_snapshot(ports, cycle.settings, memory)
    board = snap.tasks
    assert board is not None
    assert [t.task_id for t in board.open_tasks] == ["open"]
    assert board.run_times[0].samples == 30 and board.run_times[0].seconds == 501.0
    # read back as far as the longest contribution window (XL: 7 x 36000 s)
    assert feed.calls == [now - 7 * 36_000]

    # the feed fails: the last board is reused while it is fresh, then left out
    feed.down = True
    world.clock.t += 60
    assert sample_snapshot(ports, cycle.settings, memory).tasks is not None
    world.clock.t += 601
    assert sample_snapshot(ports, cycle.settings, memory).tasks is None


def test_without_a_feed_there_is_no_board() -> None:
    cycle, _ = make_cycle()
    assert cycle.ports.tasks is None
    assert sample_snapshot(cycle.ports, cycle.settings, SamplerMemory()).tasks is None


def test_running_charge_setting_puts_the_run_time_tails_on_the_board() -> None:
    """``[rails] running_charge`` reaches the ledger through the board (one path)."""
    cycle, world = make_cycle()
    feed = Feed()
    ports = replace(cycle.ports, tasks=feed)
    now = world.clock.now()
    for i in range(6):
        start = now - 1800 + i
        feed.tasks.append(PoolTask(f"d{i}", 0, start, start + 2100, start, start, start + 400 + i))
    assert cycle.settings.rails.running_charge == "floor"  # default: main's charge, no tails
    plain = sample_snapshot(ports, cycle.settings, SamplerMemory()).tasks
    assert plain is not None and plain.tails == {}
    for mode in ("tail", "conditional"):
        on = replace(cycle.settings, rails=replace(cycle.settings.rails, running_charge=mode))
        board = sample_snapshot(ports, on, SamplerMemory()).tasks
        assert board is not None
        assert board.tails[0].ordered == tuple(400.0 + i for i in range(6))
        assert board.tails[0].mode == mode

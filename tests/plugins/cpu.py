"""Opt-in per-test CPU accounting: ``PRICEBOT_TEST_CPU=FILE pytest ...``.

Why: the suite's budget is CPU on 2 shared cores, and ``--durations`` reports wall time, which
the machine's load inflates (x3-4 under other runs) and which counts a test's real-time waits
(the sandbox tests sleep on bot periods) as if they were work. This plugin appends one JSON line
per test to FILE: ``cpu_s`` (this process's ``time.process_time`` over set-up, call and
tear-down), ``children_s`` (user + system CPU of the child processes the test started and waited
for: the CLI and sandbox tests spend theirs there), ``wall_s`` and the worker. Every xdist worker
appends to the same file (one ``os.write`` per line, ``O_APPEND``); at the end the controller
prints the 25 dearest tests and the total. Off (no file, no hook work) unless the variable is set.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Generator
from pathlib import Path

import pytest

_ENV = "PRICEBOT_TEST_CPU"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    target = os.environ.get(_ENV)
    if not target:
        yield
        return
    cpu, children, wall = time.process_time(), _children_cpu(), time.perf_counter()
    yield
    line = {
        "test": item.nodeid,
        "cpu_s": round(time.process_time() - cpu, 3),
        "children_s": round(_children_cpu() - children, 3),
        "wall_s": round(time.perf_counter() - wall, 3),
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
    }
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
    finally:
        os.close(fd)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    target = os.environ.get(_ENV)
    if not target or os.environ.get("PYTEST_XDIST_WORKER") or not Path(target).exists():
        return
    rows = [json.loads(s) for s in Path(target).read_text().splitlines() if s.strip()]
    rows.sort(key=lambda r: -(r["cpu_s"] + r["children_s"]))
    own = sum(r["cpu_s"] for r in rows)
    kids = sum(r["children_s"] for r in rows)
    terminalreporter.section(f"CPU per test ({_ENV}={target})")
    for r in rows[:25]:
        terminalreporter.write_line(
            f"{r['cpu_s']:8.2f} s cpu {r['children_s']:8.2f} s children "
            f"{r['wall_s']:8.2f} s wall  {r['test']}"
        )
    terminalreporter.write_line(
        f"{len(rows)} tests in {target}: {own:.1f} s cpu, {kids:.1f} s in child processes"
    )

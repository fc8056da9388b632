"""Every adapter, simulated twin and test fake implements the whole of its port.

The loop calls ports directly (no capability probing), so a missing method would only show as an
AttributeError on the one path that needs it. Two checks: each class has every member of its
Protocol (run time, all implementations), and the fakes type-check against the ports (mypy over
``tests/support/fakes.py``, whose ``fake_ports`` assigns them to ``CyclePorts``; the adapters and
the simulator are checked by ``mypy bot`` through ``bot.app.service`` and ``bot.backtest.engine``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Generic, Protocol

import pytest

from bot.adapters.chain import RpcChain
from bot.adapters.core_metrics import CoreMetrics
from bot.adapters.journal import MemoryJournal, SqliteJournal
from bot.adapters.market_api import MarketApiClient
from bot.adapters.signer import LocalKeySigner
from bot.engine.ports import Chain, Clock, Journal, MarketReader, MarketWriter, PoolMetrics, Signer
from bot.sim.faults import FaultyChain, FaultyMarket, FaultyPoolMetrics
from bot.sim.market_sim import SimChain, SimClock, SimMarket, SimPoolMetrics, SimSigner
from tests.support.fakes import ChainView, FakeClock, FakeSigner, FakeWorld

ROOT = Path(__file__).resolve().parents[3]


def members(protocol: type) -> set[str]:
    """The public names a Protocol declares, its own and those of the Protocols it extends."""
    out: set[str] = set()
    for cls in protocol.__mro__:
        if cls not in (object, Protocol, Generic):
            out |= {n for n in vars(cls) if not n.startswith("_")}
    return out


IMPLEMENTATIONS: list[tuple[type, list[type]]] = [
    (Journal, [SqliteJournal, MemoryJournal]),
    (MarketReader, [MarketApiClient, SimMarket, FaultyMarket, FakeWorld]),
    (MarketWriter, [MarketApiClient, SimMarket, FaultyMarket, FakeWorld]),
    (Chain, [RpcChain, SimChain, FaultyChain, ChainView]),
    (PoolMetrics, [CoreMetrics, SimPoolMetrics, FaultyPoolMetrics, FakeWorld]),
    (Signer, [LocalKeySigner, SimSigner, FakeSigner]),
    (Clock, [SimClock, FakeClock]),
]


@pytest.mark.parametrize(
    ("protocol", "impl"),
    [(p, i) for p, impls in IMPLEMENTATIONS for i in impls],
    ids=lambda x: x.__name__,
)
def test_every_implementation_has_every_member_of_its_port(protocol: type, impl: type) -> None:
    missing = sorted(n for n in members(protocol) if not hasattr(impl, n))
    assert not missing, f"{impl.__name__} lacks {missing} of {protocol.__name__}"


def test_the_ports_members_are_what_the_loop_uses() -> None:
    assert {"set_order_state", "order_state", "order_rows", "persistent"} <= members(Journal)
    assert "our_orders" in members(MarketReader)
    assert "consumed_many" in members(Chain)


def test_the_fakes_type_check_against_the_ports() -> None:
    from mypy import api

    out, err, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), str(ROOT / "tests/support/fakes.py")]
    )
    assert status == 0, out + err

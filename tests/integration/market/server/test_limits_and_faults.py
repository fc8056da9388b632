"""Rate limit keyed by client header, and the injected faults, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from bot.sandbox.market_server import MarketServer
from bot.sandbox.poco import PocoDeployment
from tests.plugins.chain import OWNER_KEY
from tests.support.market_server_helpers import make_order, publish

pytestmark = [pytest.mark.chain, pytest.mark.xdist_group("market-faults")]


def _get(
    server: MarketServer, path: str = "/workerpoolorders", ip: str | None = None
) -> httpx.Response:
    headers = {"X-Real-IP": ip} if ip else {}
    return server.client.get(path, params={"chainId": server.chain_id}, headers=headers, timeout=10)


def test_rate_limit_per_client_header(market_server_factory: object) -> None:
    server: MarketServer = market_server_factory(rate_limit_max=3)  # type: ignore[operator]
    codes = [_get(server, ip="10.0.0.1").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = _get(server, ip="10.0.0.1")
    assert limited.json() == {"ok": False, "error": "Rate limit exceeded"}
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-ratelimit-limit"] == "3"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    # another client key has its own budget; so does a request without the header
    assert _get(server, ip="10.0.0.2").status_code == 200
    assert _get(server).status_code == 200
    ok = _get(server, ip="10.0.0.3")
    assert ok.headers["x-ratelimit-remaining"] == "2"


def test_challenges_count_against_the_budget(
    market_server_factory: object, poco: PocoDeployment, workerpool: str
) -> None:
    server: MarketServer = market_server_factory(rate_limit_max=3)  # type: ignore[operator]
    headers = {"X-Real-IP": "10.9.9.9"}
    assert (
        publish(
            server, OWNER_KEY, make_order(poco, workerpool, OWNER_KEY), headers=headers
        ).status_code
        == 200
    )
    # 3rd request: the challenge (still allowed); 4th: the write, refused
    second = publish(server, OWNER_KEY, make_order(poco, workerpool, OWNER_KEY), headers=headers)
    assert second.status_code == 429


def test_admin_limits_route_changes_limits(market_server: MarketServer) -> None:
    got = market_server.client.post("/_admin/limits", json={"rate_limit_max": 2})
    assert got.json()["rate_limit_max"] == 2
    assert [_get(market_server, ip="a").status_code for _ in range(3)] == [200, 200, 429]
    bad = market_server.client.post("/_admin/limits", json={"rate_limit_max": 0})
    assert bad.status_code == 400
    assert "rate_limit_max" in bad.json()["error"]
    unknown = market_server.client.post("/_admin/limits", json={"ratelimit": 5})
    assert unknown.status_code == 400 and "ratelimit" in unknown.json()["error"]


@pytest.mark.parametrize("status", [500, 503])
def test_error_rate_per_route(market_server: MarketServer, status: int) -> None:
    market_server.set_faults(
        {"routes": {"GET /workerpoolorders": {"error_rate": 1.0, "error_status": status}}}
    )
    got = _get(market_server)
    assert got.status_code == status
    assert got.json()["ok"] is False
    assert _get(market_server, "/categories").status_code == 200  # other routes untouched
    assert _get(market_server, "/workerpoolorders/0x" + "00" * 32).status_code == 404


def test_error_rate_is_a_seeded_probability(market_server: MarketServer) -> None:
    faults = {"routes": {"*": {"error_rate": 0.5}}, "seed": 7}
    market_server.set_faults(faults)
    first = [_get(market_server, "/version").status_code for _ in range(20)]
    market_server.set_faults(faults)
    second = [_get(market_server, "/version").status_code for _ in range(20)]
    assert first == second
    assert 200 in first and 500 in first


def test_faults_can_target_some_clients_only(market_server: MarketServer) -> None:
    market_server.set_faults({"routes": {"*": {"error_rate": 1.0}}, "clients": ["bot"]})
    assert _get(market_server, ip="bot").status_code == 500
    assert _get(market_server, ip="agent-7").status_code == 200
    assert _get(market_server).status_code == 200


def test_429_burst_with_retry_after(market_server: MarketServer) -> None:
    market_server.client.post("/_admin/faults", json={"burst_429": 2, "retry_after": 7})
    got = [_get(market_server) for _ in range(3)]
    assert [r.status_code for r in got] == [429, 429, 200]
    assert got[0].headers["retry-after"] == "7"
    state = market_server.client.get("/_admin/faults").json()
    assert state["injected"]["429"] == 2 and state["burst_left"] == 0


def test_dropped_connection(market_server: MarketServer) -> None:
    market_server.set_faults({"routes": {"GET /workerpoolorders": {"drop_rate": 1.0}}})
    with pytest.raises(httpx.RemoteProtocolError):
        _get(market_server)
    assert _get(market_server, "/version").status_code == 200  # the server survives


def test_stale_reads_replay_an_older_answer(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    market_server.set_faults({"routes": {"GET /workerpoolorders": {"stale_rate": 1.0}}})
    before = _get(market_server).json()
    assert before["count"] == 0
    assert (
        publish(market_server, OWNER_KEY, make_order(poco, workerpool, OWNER_KEY)).status_code
        == 200
    )
    assert _get(market_server).json()["count"] == 0  # stale: the book from before
    market_server.set_faults(None)
    assert _get(market_server).json()["count"] == 1


def test_latency_is_configurable_and_bad_faults_are_refused(market_server: MarketServer) -> None:
    ok = market_server.client.post(
        "/_admin/faults",
        json={"routes": {"GET /version": {"latency": 0.01}}},
    )
    assert ok.json()["faults"]["routes"]["GET /version"]["latency"] == 0.01
    assert _get(market_server, "/version").status_code == 200
    bad = market_server.client.post(
        "/_admin/faults",
        json={"routes": {"GET /version": {"error_rate": 2}}},
    )
    assert bad.status_code == 400 and "error_rate" in bad.json()["error"]
    bad_key = market_server.client.post("/_admin/faults", json={"routes": {"/version": {}}})
    assert bad_key.status_code == 400 and "route key" in bad_key.json()["error"]

"""/readyz, reload (HTTP and the main thread's ticket), cancel, the journal's deal totals and
the new alert events, against the real ops server on loopback around the service on the fake
world."""

from __future__ import annotations

import sqlite3
import threading

import httpx
import pytest

from bot.domain.fill_orders import fill_detail
from bot.domain.model import Deal
from tests.support.fakes import POOL, FakeWorld, rival_order
from tests.support.ops_helpers import TOKEN, config_toml, make_service, metric_samples, serving

AUTH = {"authorization": f"Bearer {TOKEN}"}


def test_readyz_lists_the_preflight_checks_and_fails_on_a_stale_source(tmp_path, receiver):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    with serving(tmp_path, world, receiver.url) as (svc, ops, url):
        before = httpx.get(url + "/readyz")
        assert before.status_code == 503
        assert set(before.json()["failing"]) == {"reconcile", "sample"}
        svc.reconcile()
        ops.hub.mark_reconciled()
        svc.reprice()
        ready = httpx.get(url + "/readyz")
        assert ready.status_code == 200, ready.text
        names = [c["name"] for c in ready.json()["checks"]]
        assert names[:4] == ["config", "reconcile", "running", "chain"]
        assert {"book", "owner", "stake", "gas_wallet", "pool"} <= set(names)
        owner = next(c for c in ready.json()["checks"] if c["name"] == "owner")
        assert owner["detail"].endswith("is the owner key")

        world.fail_parts.add("book")
        for _ in range(3):
            world.clock.t += 3
            svc.reprice()
        down = httpx.get(url + "/readyz")
        assert down.status_code == 503
        assert down.json()["failing"] == ["book"]


def _reload_over_http(url: str, svc) -> httpx.Response:
    """POST /api/v1/reload while this thread plays the service's main thread."""
    answer: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answer.append(httpx.post(url + "/api/v1/reload", headers=AUTH, timeout=30))
    )
    thread.start()
    while thread.is_alive():
        svc.apply_pending_reloads()
        thread.join(0.02)
    return answer[0]


def test_reload_applies_a_new_rail_and_refuses_a_broken_config(tmp_path, receiver):
    config = tmp_path / "pricebot.toml"
    config.write_text(config_toml(tmp_path))
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    with serving(tmp_path, world, receiver.url, config_path=config) as (svc, _ops, url):
        svc.reconcile()
        svc.reprice()
        (first,) = world.listed.values()
        assert first.order.workerpoolprice == 99_000  # one step under the rival

        # A new floor above the rival's price: applied live, the next tick lists at the floor.
        config.write_text(config_toml(tmp_path, floor=150_000).replace("port = 0", "port = 9999"))
        done = _reload_over_http(url, svc)
        assert done.status_code == 200, done.text
        message = done.json()["message"]
        assert "rails" in message
        assert "needs a restart (running values kept): ops" in message
        assert svc.runtime.settings.rails.floor == 150_000
        assert svc.runtime.config.ops.port == 0  # restart-only: the running value stays
        shown = httpx.get(url + "/api/v1/config").json()
        assert shown["rails"]["floor"] == 150_000
        world.clock.t += 1
        svc.reprice()
        prices = sorted(o.order.workerpoolprice for o in world.listed.values())
        assert prices and prices[0] >= 150_000

        # A broken file: refused, the running config stays, the bot goes on.
        config.write_text(config_toml(tmp_path, floor=200_000) + "\n[rails\n")
        refused = _reload_over_http(url, svc)
        assert refused.status_code == 409
        assert "refused, the running config stays" in refused.json()["message"]
        assert "not valid TOML" in refused.json()["message"]
        config.write_text(config_toml(tmp_path, floor=-5))
        refused = _reload_over_http(url, svc)
        assert refused.status_code == 409 and "rails.floor" in refused.json()["message"]
        assert svc.runtime.settings.rails.floor == 150_000
        world.clock.t += 1
        svc.reprice()
        assert httpx.get(url + "/healthz").status_code == 200


def test_a_reload_ticket_waits_for_the_main_thread_and_sighup_only_sets_a_flag(tmp_path, receiver):
    config = tmp_path / "pricebot.toml"
    config.write_text(config_toml(tmp_path, floor=2000))
    world = FakeWorld()
    svc, _ops = make_service(tmp_path, world, receiver.url, config_path=config)
    try:
        ticket = svc.request_reload()  # what POST /api/v1/reload files
        assert not ticket.done.is_set()
        assert svc.runtime.settings.rails.floor == 1000
        svc.apply_pending_reloads()  # the main thread, between jobs
        assert ticket.done.is_set() and ticket.ok, ticket.message
        assert svc.runtime.settings.rails.floor == 2000
        assert svc.cycle.settings is svc.runtime.settings
        config.write_text(config_toml(tmp_path, floor=3000))
        svc._hup_pending = True  # what the SIGHUP handler does: a flag, nothing else
        assert svc.runtime.settings.rails.floor == 2000
        svc.apply_pending_reloads()
        assert svc.runtime.settings.rails.floor == 3000 and not svc._hup_pending
    finally:
        svc.runtime.close()


def test_cancel_is_done_by_the_service_and_refuses_an_unknown_hash(tmp_path, receiver):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    with serving(tmp_path, world, receiver.url) as (svc, _ops, url):
        svc.reconcile()
        svc.reprice()
        (h,) = world.listed
        unknown = httpx.post(url + "/api/v1/cancel/0x" + "12" * 32, headers=AUTH)
        assert unknown.status_code == 409
        assert "not an order of ours" in unknown.json()["message"]
        assert httpx.post(url + f"/api/v1/cancel/{h[:14]}").status_code == 401
        done = httpx.post(url + f"/api/v1/cancel/{h[:14]}", headers=AUTH, timeout=30)
        assert done.status_code == 200, done.text
        assert done.json()["message"] == f"{h}: unpublish ok, cancel ok"
        assert h not in world.listed
        assert world.consumed[h] > 0  # closed on chain
        db = sqlite3.connect(tmp_path / "journal-live.sqlite")
        (state,) = db.execute(
            "SELECT state FROM signed_orders WHERE order_hash = ?", (h,)
        ).fetchone()
        assert state == "closed"


def _deal(n: int, at: float, price: int, volume: int) -> Deal:
    return Deal(
        deal_id="0x" + format(n, "064x"),
        workerpool=POOL,
        price=price,
        volume=volume,
        category=0,
        tag=0,
        trust=0,
        at=at,
    )


def test_deals_and_revenue_over_history_equal_the_journal(tmp_path, receiver):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    with serving(tmp_path, world, receiver.url) as (svc, _ops, url):
        svc.reconcile()
        t0 = world.clock.t
        world.deals_list.append(_deal(1, t0 - 10, 90_000, 3))
        svc.reprice()
        svc.record()
        world.clock.t += 86_400  # the next day; the first deal is still in the window twice
        world.deals_list.append(_deal(2, world.clock.t - 5, 80_000, 2))
        svc.reprice()
        svc.record()
        svc.record()
        # a confirmed fill (issue #15) as the fill executor journals it
        detail = fill_detail("0x" + "de" * 32, "0x" + "ab" * 32, 2, 80_000, 657_622, "0x77")
        svc.runtime.journal.record_action(world.clock.t, "fill", "0x" + "cd" * 32, "ok", detail)
        m = metric_samples(httpx.get(url + "/metrics").text)
        revenue = httpx.get(url + "/api/v1/revenue").json()
        page = httpx.get(url + "/api/v1/dashboard").json()
    assert m[("pricebot_deals_total", (("category", "0"),))] == 2
    assert m[("pricebot_revenue_rlc_total", (("category", "0"),))] == pytest.approx(
        (90_000 * 3 + 80_000 * 2) / 1e9
    )
    assert revenue["total"] == {
        "deals": 2,
        "tasks": 5,
        "revenue_nrlc": 430_000,
        "revenue": revenue["total"]["revenue"],
        "fills": 1,
        "fill_tasks": 2,
        "fill_revenue_nrlc": 160_000,
        "fill_revenue": revenue["total"]["fill_revenue"],
        "match_gas": 657_622,
    }
    assert [d["deals"] for d in revenue["days"]] == [1, 1]
    assert [d["fills"] for d in revenue["days"]] == [0, 1]
    assert page["revenue"]["total"]["fills"] == 1
    assert m[("pricebot_fills_total", ())] == 1
    assert m[("pricebot_fill_revenue_rlc_total", ())] == pytest.approx(160_000 / 1e9)
    assert m[("pricebot_match_gas_total", ())] == 657_622
    assert m[("pricebot_gas_wallet_balance_eth", ())] == 1.0
    assert m[("pricebot_invariant_violations_total", (("invariant", "cap"),))] == 0
    assert m[("pricebot_task_deadline_misses_total", ())] == 0


def test_an_over_cap_bot_pauses_itself_and_says_so(tmp_path, receiver):
    from bot.domain.model import PoolUtilization

    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc, ops = make_service(tmp_path, world, receiver.url)
    ops.start()
    try:
        svc.reconcile()
        svc.reprice()
        assert world.listed
        # The planner is bypassed (a bug, a second bot): the pool is full but orders stay out.
        real = svc.cycle.executor.execute
        svc.cycle.executor.execute = lambda actions, own, recheck=None: real([], own, recheck)
        world.util = PoolUtilization(registered_cpu=8, computing_cpu=8, backlog=50)
        for _ in range(3):
            world.clock.t += 1
            svc.reprice()
        assert ops.hub.paused
        assert ops.hub.view.invariant_violations["cap"] == 1
        bodies = receiver.wait_for(3)
        names = [b["alerts"][0]["labels"]["alertname"] for b in bodies]
        assert "invariant_violation" in names
    finally:
        ops.stop()
        svc.runtime.close()


def test_the_daily_summary_is_sent_once_at_the_first_check_of_a_new_utc_day(tmp_path, receiver):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    world.clock.t = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
    svc, ops = make_service(tmp_path, world, receiver.url)
    ops.start()
    try:
        svc.reconcile()
        world.deals_list.append(_deal(7, world.clock.t - 60, 90_000, 2))
        svc.reprice()
        svc.record()
        assert not ops.daily_summary_due(world.clock.t + 3600)  # same day: nothing
        assert ops.daily_summary_due(world.clock.t + 7200)  # 2023-11-15
        assert not ops.daily_summary_due(world.clock.t + 7300)  # once
        bodies = receiver.wait_for(2)
    finally:
        ops.stop()
        svc.runtime.close()
    summaries = [b for b in bodies if b["alerts"][0]["labels"]["alertname"] == "daily_summary"]
    assert len(summaries) == 1
    text = summaries[0]["alerts"][0]["annotations"]["summary"]
    assert text.startswith("2023-11-14 (UTC): 1 deal(s), 2 task(s), 0.00018 RLC; 2 action(s)")


def test_a_cheaper_order_left_valid_after_a_price_rise_is_alerted_then_pauses_the_bot(
    tmp_path, receiver
):
    from bot.domain.errors import ChainError

    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc, ops = make_service(tmp_path, world, receiver.url)
    ops.start()
    try:
        svc.reconcile()
        svc.reprice()
        (cheap,) = world.listed
        world.book["r"] = rival_order(150_000)  # the rival rises: we follow, the old must close
        world.cancel_failures.extend(ChainError("cancel reverted") for _ in range(50))
        for _ in range(4):
            world.clock.t += 1
            svc.reprice()
        assert cheap not in world.listed and world.consumed.get(cheap, 0) == 0  # still valid
        assert ops.hub.view.invariant_violations["cheaper_valid"] == 1
        assert ops.hub.paused
        bodies = receiver.wait_for(4)
    finally:
        ops.stop()
        svc.runtime.close()
    names = [b["alerts"][0]["labels"]["alertname"] for b in bodies]
    assert "stale_cheaper_order" in names and "invariant_violation" in names
    assert "cancel_failed" in names

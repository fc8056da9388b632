"""Unpublish, and the statuses the watcher derives from chain events."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils.address import to_checksum_address

from bot.domain.signing import address_of
from bot.sandbox.market_server import MarketServer
from bot.sandbox.poco import (
    PocoDeployment,
    app_order,
    create_app,
    deposit_stake,
    fund_rlc,
    match_orders,
    request_order,
    sign_app_order,
    sign_request_order,
)
from tests.plugins.chain import (
    APP_OWNER_KEY,
    DEPLOYER_KEY,
    OWNER_KEY,
    REQUESTER_KEY,
    STRANGER_KEY,
)
from tests.support.market_server_helpers import (
    cancel_on_chain,
    consumed,
    make_order,
    publish,
    stake_of,
    transfer_workerpool,
    unpublish,
    withdraw_stake,
)

pytestmark = [pytest.mark.chain, pytest.mark.xdist_group("market-lifecycle")]

OWNER = to_checksum_address(address_of(OWNER_KEY))
REQUESTER = to_checksum_address(address_of(REQUESTER_KEY))


def _status(server: MarketServer, order_hash: str, kind: str = "workerpoolorder") -> Any:
    return server.get(f"/{kind}s/{order_hash}").json()


def test_unpublish_one_last_all(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    orders = [make_order(poco, workerpool, OWNER_KEY, price=p) for p in (1, 2, 3, 4)]
    for o in orders:
        assert publish(market_server, OWNER_KEY, o).status_code == 200
    one = unpublish(market_server, OWNER_KEY, {"orderHash": orders[0].order_hash})
    assert one.json() == {"ok": True, "unpublished": [orders[0].order_hash]}
    assert _status(market_server, orders[0].order_hash) == {
        "ok": False,
        "error": "workerpoolorder not found",
    }
    last = unpublish(
        market_server, OWNER_KEY, {"target": "unpublish_last", "workerpool": workerpool}
    )
    assert last.json()["unpublished"] == [orders[3].order_hash]
    rest = unpublish(
        market_server, OWNER_KEY, {"target": "unpublish_all", "workerpool": workerpool}
    )
    assert sorted(rest.json()["unpublished"]) == sorted(o.order_hash for o in orders[1:3])
    none = unpublish(
        market_server, OWNER_KEY, {"target": "unpublish_all", "workerpool": workerpool}
    )
    assert none.status_code == 403
    assert none.json()["error"] == (
        f"no open workerpoolorder published by signer {OWNER} "
        f"for workerpool {to_checksum_address(workerpool)}"
    )


def test_unpublish_errors(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    signed = make_order(poco, workerpool, OWNER_KEY)
    assert publish(market_server, OWNER_KEY, signed).status_code == 200
    stranger = unpublish(market_server, STRANGER_KEY, {"orderHash": signed.order_hash})
    assert stranger.status_code == 403
    assert stranger.json()["error"] == f"only order signer {OWNER} can unpublish an order"
    missing = "0x" + "cd" * 32
    gone = unpublish(market_server, OWNER_KEY, {"orderHash": missing})
    assert gone.json()["error"] == f"workerpoolorder with orderHash {missing} is not published"
    bad = unpublish(market_server, OWNER_KEY, {"target": "unpublish_everything"})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("target must be one of the following values")
    no_pool = unpublish(market_server, OWNER_KEY, {"target": "unpublish_last"})
    assert no_pool.json() == {"ok": False, "error": "workerpool is a required field"}


def test_unpublished_order_stays_valid_on_chain_and_can_be_republished(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    """Unpublish only deletes the listing: the signed order can still be matched on chain."""
    signed = make_order(poco, workerpool, OWNER_KEY, volume=4)
    assert publish(market_server, OWNER_KEY, signed).status_code == 200
    assert unpublish(market_server, OWNER_KEY, {"orderHash": signed.order_hash}).status_code == 200
    assert consumed(poco, signed.order_hash) == 0 < signed.order.volume  # still matchable
    again = publish(market_server, OWNER_KEY, signed)
    assert again.status_code == 200
    assert again.json()["published"]["remaining"] == 4
    cancel_on_chain(poco, OWNER_KEY, signed)
    assert consumed(poco, signed.order_hash) == signed.order.volume


def test_cancel_on_chain_marks_canceled(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    signed = make_order(poco, workerpool, OWNER_KEY, volume=3)
    assert publish(market_server, OWNER_KEY, signed).status_code == 200
    cancel_on_chain(poco, OWNER_KEY, signed)
    market_server.sync()
    got = _status(market_server, signed.order_hash)
    assert (got["status"], got["remaining"]) == ("canceled", 0)
    assert market_server.get("/workerpoolorders").json()["count"] == 0
    again = publish(market_server, OWNER_KEY, signed)
    assert again.json()["error"] == "order already published"  # not dead: no republish


def _stage_match(
    poco: PocoDeployment, workerpool: str, *, price: int, volume: int
) -> dict[str, Any]:
    app = create_app(poco, APP_OWNER_KEY)
    fund_rlc(poco, REQUESTER, 10**12, from_key=DEPLOYER_KEY)
    deposit_stake(poco, REQUESTER_KEY, 10**12)
    aorder = sign_app_order(poco, app_order(app), APP_OWNER_KEY)
    return {"app": app, "apporder": aorder}


def test_matches_update_remaining_fill_and_record_deals(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    staged = _stage_match(poco, workerpool, price=100, volume=3)
    signed = make_order(poco, workerpool, OWNER_KEY, price=100, volume=3)
    assert publish(market_server, OWNER_KEY, signed).status_code == 200
    req = sign_request_order(
        poco,
        request_order(staged["app"], REQUESTER, workerpoolmaxprice=100, volume=2),
        REQUESTER_KEY,
    )
    dealid = match_orders(poco, REQUESTER_KEY, staged["apporder"], None, signed, req)
    market_server.sync()
    got = _status(market_server, signed.order_hash)
    assert (got["status"], got["remaining"]) == ("open", 1)
    deals = market_server.get("/deals", workerpool=workerpool).json()
    assert deals["count"] == 1
    deal = deals["deals"][0]
    assert deal["dealid"] == dealid
    assert deal["workerpoolHash"] == signed.order_hash
    assert deal["workerpool"]["price"] == 100
    assert deal["workerpool"]["owner"] == OWNER
    assert deal["volume"] == 2 and deal["category"] == 0
    assert market_server.get(f"/deals/{dealid}").json()["requester"] == REQUESTER
    by_hash = market_server.get("/deals", workerpoolorderHash=signed.order_hash).json()
    assert by_hash["count"] == 1
    req2 = sign_request_order(
        poco,
        request_order(staged["app"], REQUESTER, workerpoolmaxprice=150, volume=5),
        REQUESTER_KEY,
    )
    match_orders(poco, REQUESTER_KEY, staged["apporder"], None, signed, req2)
    market_server.sync()
    got = _status(market_server, signed.order_hash)
    assert (got["status"], got["remaining"]) == ("filled", 0)
    assert market_server.get("/deals", workerpool=workerpool).json()["count"] == 2
    ohlc = market_server.get("/ohlc", category=0).json()["ohlc"]
    assert [row[1:] for row in ohlc] == [[100, 1], [100, 2]]  # newest first; the 2nd took 1
    assert market_server.get("/ohlc").json()["error"] == "category is a required field"


def test_stake_too_low_makes_orders_dead_and_dead_can_be_republished(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    stake = stake_of(poco, OWNER)
    price = stake * 100 // 30 // 2  # needs half the stake for volume 1 ... then 2x for volume 2
    cheap = make_order(poco, workerpool, OWNER_KEY, price=0, volume=1)
    dear = make_order(poco, workerpool, OWNER_KEY, price=price, volume=2)
    assert publish(market_server, OWNER_KEY, cheap).status_code == 200
    assert publish(market_server, OWNER_KEY, dear).status_code == 200
    withdraw_stake(poco, OWNER_KEY, stake // 2)
    market_server.sync()
    assert _status(market_server, dear.order_hash)["status"] == "dead"
    assert _status(market_server, cheap.order_hash)["status"] == "open"  # free orders need none
    assert publish(market_server, OWNER_KEY, dear).json()["error"] == (
        "workerpool owner's stake is too low to cover required workerpool lock"
    )
    deposit_stake(poco, OWNER_KEY, stake // 2)
    back = publish(market_server, OWNER_KEY, dear)
    assert back.status_code == 200
    assert back.json()["published"]["status"] == "open"


def test_owner_change_makes_orders_dead(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    signed = make_order(poco, workerpool, OWNER_KEY)
    assert publish(market_server, OWNER_KEY, signed).status_code == 200
    transfer_workerpool(poco, OWNER_KEY, workerpool, address_of(STRANGER_KEY))
    market_server.sync()
    assert _status(market_server, signed.order_hash)["status"] == "dead"
    assert market_server.get("/workerpoolorders").json()["count"] == 0


def test_watcher_thread_indexes_without_being_asked(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    signed = make_order(poco, workerpool, OWNER_KEY)
    assert publish(market_server, OWNER_KEY, signed).status_code == 200
    cancel_on_chain(poco, OWNER_KEY, signed)
    import time

    deadline = time.monotonic() + 10
    while _status(market_server, signed.order_hash)["status"] != "canceled":
        assert time.monotonic() < deadline, "watcher thread never indexed the cancel"
        time.sleep(0.05)


def test_request_orders_need_a_matching_app_order_and_stake(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    app = create_app(poco, APP_OWNER_KEY)
    req = sign_request_order(
        poco, request_order(app, REQUESTER, workerpoolmaxprice=50, appmaxprice=5), REQUESTER_KEY
    )
    got = publish(market_server, REQUESTER_KEY, req, kind="requestorder")
    assert got.json()["error"] == (
        "requester stake is too low to cover requestorder payment, minimum stake required is 55 nRLC"
    )
    fund_rlc(poco, REQUESTER, 10**6, from_key=DEPLOYER_KEY)
    deposit_stake(poco, REQUESTER_KEY, 10**6)
    got = publish(market_server, REQUESTER_KEY, req, kind="requestorder")
    assert got.json()["error"] == f"No apporder published for app {to_checksum_address(app)}"
    dear_app = sign_app_order(poco, app_order(app, appprice=9), APP_OWNER_KEY)
    assert publish(market_server, APP_OWNER_KEY, dear_app, kind="apporder").status_code == 200
    got = publish(market_server, REQUESTER_KEY, req, kind="requestorder")
    assert got.json()["error"] == (
        f"appmaxprice for app {to_checksum_address(app)} is too low, actual best price is 9 nRLC"
    )
    cheap_app = sign_app_order(poco, app_order(app, appprice=5), APP_OWNER_KEY)
    assert publish(market_server, APP_OWNER_KEY, cheap_app, kind="apporder").status_code == 200
    ok = publish(market_server, REQUESTER_KEY, req, kind="requestorder")
    assert ok.status_code == 200, ok.text
    assert ok.json()["published"]["signer"] == REQUESTER
    # the app order it relied on goes away: the request order is dead
    gone = unpublish(
        market_server, APP_OWNER_KEY, {"orderHash": cheap_app["orderHash"]}, "apporder"
    )
    assert gone.status_code == 200
    assert _status(market_server, req["orderHash"], "requestorder")["status"] == "dead"


def test_request_book_sorted_by_max_price_and_pool_restriction(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    app = create_app(poco, APP_OWNER_KEY)
    fund_rlc(poco, REQUESTER, 10**6, from_key=DEPLOYER_KEY)
    deposit_stake(poco, REQUESTER_KEY, 10**6)
    aorder = sign_app_order(poco, app_order(app), APP_OWNER_KEY)
    assert publish(market_server, APP_OWNER_KEY, aorder, kind="apporder").status_code == 200
    reqs = [
        sign_request_order(poco, request_order(app, REQUESTER, workerpoolmaxprice=p), REQUESTER_KEY)
        for p in (10, 30, 20)
    ]
    aimed = sign_request_order(
        poco,
        request_order(app, REQUESTER, workerpoolmaxprice=25, workerpool=workerpool),
        REQUESTER_KEY,
    )
    for r in [*reqs, aimed]:
        assert publish(market_server, REQUESTER_KEY, r, kind="requestorder").status_code == 200

    def hashes(**params: object) -> list[str]:
        got = market_server.get("/requestorders", **params).json()
        return [o["orderHash"] for o in got["orders"]]

    open_to_all = [reqs[1]["orderHash"], reqs[2]["orderHash"], reqs[0]["orderHash"]]
    assert hashes() == open_to_all
    assert hashes(workerpool=workerpool) == [
        reqs[1]["orderHash"],
        aimed["orderHash"],
        reqs[2]["orderHash"],
        reqs[0]["orderHash"],
    ]
    assert hashes(workerpool=workerpool, isWorkerpoolStrict="true") == [aimed["orderHash"]]
    assert hashes(workerpool="any")[1] == aimed["orderHash"]
    apps = market_server.get("/apporders", app=app).json()
    assert apps["count"] == 1
    assert market_server.get("/apporders").json()["error"] == "app or appOwner is required"


def test_database_file_survives_restarts_but_not_a_new_chain(
    market_server_factory: Any, poco: PocoDeployment, workerpool: str, tmp_path: Any
) -> None:
    from bot.sandbox.market_server._storage import Storage

    db = str(tmp_path / "market.sqlite")
    first = market_server_factory(db_path=db)
    signed = make_order(poco, workerpool, OWNER_KEY)
    assert publish(first, OWNER_KEY, signed).status_code == 200
    first.close()
    again = market_server_factory(db_path=db)
    assert _status(again, signed.order_hash)["status"] == "open"  # same chain: kept
    again.close()
    tamper = Storage(db)
    tamper.set_meta("chain_identity", f"{poco.chain_id}:{poco.hub}:0x" + "de" * 32)
    tamper.close()
    fresh = market_server_factory(db_path=db)  # "another genesis": wiped and re-indexed
    assert _status(fresh, signed.order_hash)["error"] == "workerpoolorder not found"
    assert fresh.get("/categories").json()["count"] == 5

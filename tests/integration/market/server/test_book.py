"""Reading the book: sorting, pagination, filters, restricted orders, query validation."""

from __future__ import annotations

import pytest
from eth_utils.address import to_checksum_address

from bot.domain.model import ZERO_BYTES32, tag_to_bytes32
from bot.domain.signing import address_of
from bot.sandbox.market_server import MarketServer
from bot.sandbox.poco import PocoDeployment
from tests.plugins.chain import OWNER_KEY, REQUESTER_KEY
from tests.support.market_server_helpers import make_order, publish

pytestmark = [pytest.mark.chain, pytest.mark.xdist_group("market-book")]

REQUESTER = to_checksum_address(address_of(REQUESTER_KEY))


def _publish_all(server: MarketServer, orders: list) -> None:  # type: ignore[type-arg]
    for signed in orders:
        got = publish(server, OWNER_KEY, signed)
        assert got.status_code == 200, got.text


def test_cheapest_first_then_earliest(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    orders = [make_order(poco, workerpool, OWNER_KEY, price=p) for p in (300, 100, 200, 100, 300)]
    _publish_all(market_server, orders)
    got = market_server.get("/workerpoolorders").json()
    listed = [o["orderHash"] for o in got["orders"]]
    expected = [orders[i].order_hash for i in (1, 3, 2, 0, 4)]
    assert listed == expected
    assert got["count"] == 5
    assert "nextPage" not in got


def test_pages_with_count_and_next_page(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    orders = [make_order(poco, workerpool, OWNER_KEY, price=10 + i) for i in range(13)]
    _publish_all(market_server, orders)
    seen: list[str] = []
    pages = []
    for index in range(2):
        page = market_server.get("/workerpoolorders", pageIndex=index, pageSize=10).json()
        pages.append(page)
        seen += [o["orderHash"] for o in page["orders"]]
    assert [len(p["orders"]) for p in pages] == [10, 3]
    assert [p.get("nextPage") for p in pages] == [10, None]
    assert all(p["count"] == 13 for p in pages)
    assert seen == [o.order_hash for o in orders]
    assert market_server.get("/workerpoolorders", pageIndex=5, pageSize=10).json()["orders"] == []
    # the deprecated raw offset still works, with the default page size of 20
    legacy = market_server.get("/workerpoolorders", page=11).json()
    assert [o["orderHash"] for o in legacy["orders"]] == seen[11:]
    assert "nextPage" not in legacy


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pageSize": 9}, "pageSize must be greater than or equal to 10"),
        ({"pageSize": 1001}, "pageSize must be less than or equal to 1000"),
        ({"pageIndex": -1}, "pageIndex must be greater than or equal to 0"),
        ({"category": 2**53}, "category must be less than or equal to 9007199254740990"),
        ({"minTag": "0x1"}, "minTag must be a bytes32 hexstring"),
        ({"workerpool": "nope"}, "workerpool is not a valid ethereum address"),
        ({"chainId": 1}, "chainId 1 is not supported"),
    ],
)
def test_bad_queries_are_400(market_server: MarketServer, params: dict, message: str) -> None:  # type: ignore[type-arg]
    got = market_server.get("/workerpoolorders", **params)
    assert got.status_code == 400
    assert got.json() == {"ok": False, "error": message}


def test_unknown_hash_is_404(market_server: MarketServer) -> None:
    got = market_server.get("/workerpoolorders/0x" + "ab" * 32)
    assert got.status_code == 404
    assert got.json() == {"ok": False, "error": "workerpoolorder not found"}
    req = market_server.get("/requestorders/0x" + "ab" * 32)
    assert req.json() == {"ok": False, "error": "requestorder not found"}


def test_restricted_orders_are_hidden_unless_asked(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    public = make_order(poco, workerpool, OWNER_KEY, price=5)
    private = make_order(poco, workerpool, OWNER_KEY, price=1, requesterrestrict=REQUESTER)
    _publish_all(market_server, [public, private])

    def hashes(**params: object) -> list[str]:
        return [
            o["orderHash"]
            for o in market_server.get("/workerpoolorders", **params).json()["orders"]
        ]

    assert hashes() == [public.order_hash]
    assert hashes(requester=REQUESTER.lower()) == [private.order_hash, public.order_hash]
    assert hashes(requester=REQUESTER, isRequesterStrict="true") == [private.order_hash]
    assert hashes(requester="any") == [private.order_hash, public.order_hash]
    other = "0x" + "12" * 20
    assert hashes(requester=other) == [public.order_hash]
    assert hashes(app="any", dataset="any", requester="any") == [
        private.order_hash,
        public.order_hash,
    ]


def test_filters(market_server: MarketServer, poco: PocoDeployment, workerpool: str) -> None:
    std = make_order(poco, workerpool, OWNER_KEY, price=10, category=0, volume=2)
    tee = make_order(
        poco, workerpool, OWNER_KEY, price=20, category=0, tag=tag_to_bytes32(0x9), trust=1
    )
    gpu = make_order(
        poco, workerpool, OWNER_KEY, price=30, category=1, tag=tag_to_bytes32(0x100), volume=9
    )
    _publish_all(market_server, [std, tee, gpu])

    def hashes(**params: object) -> list[str]:
        return [
            o["orderHash"]
            for o in market_server.get("/workerpoolorders", **params).json()["orders"]
        ]

    assert hashes(category=0) == [std.order_hash, tee.order_hash]
    assert hashes(minTag=tag_to_bytes32(0x1)) == [tee.order_hash]
    assert hashes(maxTag=ZERO_BYTES32) == [std.order_hash]
    assert hashes(maxTag=tag_to_bytes32(0x9)) == [std.order_hash, tee.order_hash]
    assert hashes(minVolume=3) == [tee.order_hash, gpu.order_hash]
    assert hashes(minTrust=1) == [std.order_hash, tee.order_hash, gpu.order_hash]  # <= 1 ignored
    assert hashes(workerpool=workerpool) == [std.order_hash, tee.order_hash, gpu.order_hash]
    assert hashes(workerpool="0x" + "11" * 20) == []
    owner = to_checksum_address(address_of(OWNER_KEY))
    assert len(hashes(workerpoolOwner=owner)) == 3
    assert hashes(workerpoolOwner=REQUESTER) == []


def test_version_categories_and_metrics(market_server: MarketServer) -> None:
    assert market_server.get("/version").json()["ok"] is True
    cats = market_server.get("/categories").json()
    assert [c["name"] for c in cats["categories"]] == ["XS", "S", "M", "L", "XL"]
    assert [c["workClockTimeRef"] for c in cats["categories"]] == [300, 1200, 3600, 10800, 36000]
    one = market_server.get("/categories/2").json()
    assert one["name"] == "M" and one["ok"] is True
    assert market_server.get("/categories/99").status_code == 404
    metrics = market_server.get("/metrics").json()
    assert metrics["workerpoolorders"] == 0
    assert metrics["checkpointBlock"] <= metrics["lastBlock"]

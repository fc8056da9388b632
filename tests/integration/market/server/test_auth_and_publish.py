"""Challenge auth and the publish checks, over real HTTP against the local chain."""

from __future__ import annotations

import re

import httpx
import pytest
from eth_utils.address import to_checksum_address

from bot.domain.model import WorkerpoolOrder
from bot.domain.signing import address_of, gateway_challenge_hash, random_salt, sign_order
from bot.sandbox.market_server import MarketServer
from bot.sandbox.poco import PocoDeployment
from tests.plugins.chain import OWNER_KEY, OWNER_STAKE_NRLC, STRANGER_KEY
from tests.support.market_server_helpers import (
    auth_header,
    cancel_on_chain,
    make_order,
    publish,
    wire,
)

pytestmark = [pytest.mark.chain, pytest.mark.xdist_group("market-auth")]

OWNER = to_checksum_address(address_of(OWNER_KEY))


def test_challenge_is_gateway_typed_data_and_reused_until_consumed(
    market_server: MarketServer,
) -> None:
    first = market_server.get("/challenge", address=OWNER.lower()).json()
    again = market_server.get("/challenge", address=OWNER).json()
    data = first["data"]
    assert first["ok"] is True
    assert data["primaryType"] == "Challenge"
    assert data["domain"] == {
        "name": "iExec Gateway",
        "version": "1",
        "chainId": str(market_server.chain_id),
    }
    assert [t["name"] for t in data["types"]["EIP712Domain"]] == ["name", "version", "chainId"]
    assert re.fullmatch(
        r"Sign this message to log into iExec Gateway: [A-Za-z0-9]{32}",
        data["message"]["challenge"],
    )
    assert again["data"] == data  # same challenge until it is used


def test_challenge_needs_an_address(market_server: MarketServer) -> None:
    got = market_server.get("/challenge")
    assert got.status_code == 400
    assert got.json() == {"ok": False, "error": "address is a required field"}
    bad = market_server.get("/challenge", address="0x123")
    assert bad.json()["error"] == "address is not a valid ethereum address"


def test_publish_returns_the_stored_record(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    signed = make_order(poco, workerpool, OWNER_KEY, price=1_000, volume=5, category=2)
    got = publish(market_server, OWNER_KEY, signed)
    assert got.status_code == 200, got.text
    rec = got.json()["published"]
    assert got.json()["ok"] is True
    assert rec["orderHash"] == signed.order_hash
    assert rec["status"] == "open"
    assert rec["remaining"] == 5
    assert rec["signer"] == OWNER
    assert rec["chainId"] == market_server.chain_id
    assert rec["order"]["workerpool"] == to_checksum_address(workerpool)
    assert rec["order"]["workerpoolprice"] == 1_000
    assert rec["order"]["sign"] == signed.sign
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["publicationTimestamp"])
    one = market_server.get(f"/workerpoolorders/{signed.order_hash}").json()
    assert one["chainId"] == str(market_server.chain_id)
    assert one["status"] == "open" and one["order"] == rec["order"]


def test_numbers_as_decimal_strings_are_accepted_like_the_sdk_sends_them(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    signed = make_order(poco, workerpool, OWNER_KEY, price=7, volume=3)
    body = {k: (str(val) if isinstance(val, int) else val) for k, val in wire(signed).items()}
    got = publish(market_server, OWNER_KEY, body)
    assert got.status_code == 200, got.text
    assert got.json()["published"]["order"]["volume"] == 3


def test_a_challenge_is_one_use(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    auth = auth_header(market_server, OWNER_KEY)
    url = "/workerpoolorders"
    params = {"chainId": market_server.chain_id}
    first = make_order(poco, workerpool, OWNER_KEY)
    ok = market_server.client.post(
        url, params=params, json={"order": wire(first)}, headers={"authorization": auth}
    )
    assert ok.status_code == 200
    second = make_order(poco, workerpool, OWNER_KEY)
    again = market_server.client.post(
        url, params=params, json={"order": wire(second)}, headers={"authorization": auth}
    )
    assert again.status_code == 403
    assert again.json() == {"ok": False, "error": "invalid authorization"}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h, s, a: "",  # missing
        lambda h, s, a: f"{h}_{s}",  # malformed
        lambda h, s, a: f"0x{'11' * 32}_{s}_{a}",  # unknown challenge hash
        lambda h, s, a: f"{h}_0x{'00' if s[2:4] != '00' else '11'}{s[4:]}_{a}",  # altered r
        lambda h, s, a: f"{h}_{s}_{to_checksum_address(address_of(STRANGER_KEY))}",  # other address
    ],
    ids=["missing", "malformed", "unknown-hash", "bad-signature", "other-address"],
)
def test_bad_authorization_is_403_invalid_authorization(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str, mangle: object
) -> None:
    h, s, a = auth_header(market_server, OWNER_KEY).split("_")
    header = mangle(h, s, a)  # type: ignore[operator]
    got = market_server.client.post(
        "/workerpoolorders",
        params={"chainId": market_server.chain_id},
        json={"order": wire(make_order(poco, workerpool, OWNER_KEY))},
        headers={"authorization": header} if header else {},
    )
    assert got.status_code == 403
    assert got.json() == {"ok": False, "error": "invalid authorization"}


def test_a_challenge_signed_by_another_wallet_is_refused(market_server: MarketServer) -> None:
    """The stranger signs the owner's challenge: the recovered signer mismatches."""
    from bot.domain.signing import sign_gateway_challenge

    text = market_server.get("/challenge", address=OWNER).json()["data"]["message"]["challenge"]
    h = gateway_challenge_hash(market_server.chain_id, text)
    sig = sign_gateway_challenge(market_server.chain_id, text, STRANGER_KEY)
    with pytest.raises(Exception, match="addresses mismatch"):
        market_server.market.authorize(
            {"chainId": str(market_server.chain_id)}, f"{h}_{sig}_{OWNER}"
        )


def test_already_published(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    signed = make_order(poco, workerpool, OWNER_KEY)
    assert publish(market_server, OWNER_KEY, signed).status_code == 200
    again = publish(market_server, OWNER_KEY, signed)
    assert again.status_code == 403
    assert again.json() == {"ok": False, "error": "order already published"}


def test_only_the_onchain_owner_may_publish(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    signed = make_order(poco, workerpool, STRANGER_KEY)
    got = publish(market_server, STRANGER_KEY, signed)
    assert got.status_code == 403
    assert got.json()["error"] == f"only order signer {OWNER} can publish an order"


def test_signature_must_be_the_owners(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    forged = make_order(poco, workerpool, STRANGER_KEY)  # signed by someone else
    got = publish(market_server, OWNER_KEY, forged)
    assert got.status_code == 403
    assert got.json()["error"] == "invalid sign"


def test_unregistered_workerpool(market_server: MarketServer, poco: PocoDeployment) -> None:
    signed = make_order(poco, "0x" + "ab" * 20, OWNER_KEY)
    got = publish(market_server, OWNER_KEY, signed)
    assert got.status_code == 403
    assert got.json()["error"] == "Resource not deployed"


def test_stake_must_cover_30_percent_of_price_times_remaining(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    # floor(price * 30 / 100) * volume just above the owner's stake
    volume = 10
    price = (OWNER_STAKE_NRLC // volume + 1) * 100 // 30 + 1
    too_dear = make_order(poco, workerpool, OWNER_KEY, price=price, volume=volume)
    got = publish(market_server, OWNER_KEY, too_dear)
    assert got.status_code == 403
    assert got.json()["error"] == (
        "workerpool owner's stake is too low to cover required workerpool lock"
    )
    just = make_order(
        poco, workerpool, OWNER_KEY, price=OWNER_STAKE_NRLC // volume * 100 // 30, volume=volume
    )
    assert publish(market_server, OWNER_KEY, just).status_code == 200


def test_cancelled_order_cannot_be_published(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    signed = make_order(poco, workerpool, OWNER_KEY)
    cancel_on_chain(poco, OWNER_KEY, signed)
    got = publish(market_server, OWNER_KEY, signed)
    assert got.status_code == 403
    assert got.json()["error"] == "order already consumed"


def test_open_orders_per_wallet_are_capped(
    market_server_factory: object, poco: PocoDeployment, workerpool: str
) -> None:
    server = market_server_factory(max_open_orders=2)  # type: ignore[operator]
    for _ in range(2):
        assert (
            publish(server, OWNER_KEY, make_order(poco, workerpool, OWNER_KEY)).status_code == 200
        )
    got = publish(server, OWNER_KEY, make_order(poco, workerpool, OWNER_KEY))
    assert got.status_code == 403
    assert got.json()["error"] == (
        f"maximun of 2 published open workerpoolorder has been reached for wallet {OWNER}"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "workerpoolprice",
            2**53,
            "order.workerpoolprice must be less than or equal to 9007199254740990",
        ),
        ("volume", 0, "order.volume must be greater than or equal to 1"),
        ("volume", 1.5, "order.volume must be an integer"),
        ("category", "abc", "order.category must be a `number` type"),
        ("tag", "0x01", "order.tag must be a bytes32 hexstring"),
        ("workerpool", "0xnope", "order.workerpool is not a valid ethereum address"),
        ("trust", None, "order.trust is a required field"),
    ],
)
def test_malformed_orders_are_400_naming_the_field(
    market_server: MarketServer,
    poco: PocoDeployment,
    workerpool: str,
    field: str,
    value: object,
    message: str,
) -> None:
    body = wire(make_order(poco, workerpool, OWNER_KEY))
    if value is None:
        del body[field]
    else:
        body[field] = value
    got = publish(market_server, OWNER_KEY, body)
    assert got.status_code == 400
    assert got.json()["ok"] is False
    assert got.json()["error"].startswith(message)


def test_hostile_nested_body_is_400_and_the_server_lives_on(
    market_server: MarketServer,
) -> None:
    got = market_server.client.post(
        "/workerpoolorders",
        params={"chainId": market_server.chain_id},
        content=b"[" * 100_000 + b"]" * 100_000,
        headers={
            "content-type": "application/json",
            "authorization": auth_header(market_server, OWNER_KEY),
        },
        timeout=10,
    )
    assert got.status_code == 400
    assert got.json() == {"ok": False, "error": "invalid JSON body"}
    assert market_server.client.get("/version", timeout=10).status_code == 200


def test_two_concurrent_writes_with_one_challenge_only_one_wins(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str
) -> None:
    """Why writes from one wallet must be serialized."""
    from concurrent.futures import ThreadPoolExecutor

    auth = auth_header(market_server, OWNER_KEY)
    orders = [make_order(poco, workerpool, OWNER_KEY) for _ in range(2)]

    def post(signed: object) -> int:
        with httpx.Client(base_url=market_server.url, timeout=10) as c:
            got = c.post(
                "/workerpoolorders",
                params={"chainId": market_server.chain_id},
                json={"order": wire(signed)},  # type: ignore[arg-type]
                headers={"authorization": auth},
            )
            return got.status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(post, orders))
    assert codes == [200, 403]


class _FlakyChain:
    """Delegates to the real chain reader until ``down`` is set."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.down = False

    def __getattr__(self, name: str) -> object:
        if self.down and name not in ("domain",):
            from bot.sandbox.market_server._errors import ChainUnavailable

            raise ChainUnavailable("rpc down")
        return getattr(self.real, name)


def test_chain_outage_is_500_retry_later(
    chain_snapshot: object, poco: PocoDeployment, workerpool: str
) -> None:
    from bot.sandbox.market_server import MarketServerConfig
    from bot.sandbox.market_server._chain import RpcChainReader

    chain = _FlakyChain(RpcChainReader(poco.rpc_url, poco.hub))
    config = MarketServerConfig(chain_id=poco.chain_id, rpc_url=poco.rpc_url, hub=poco.hub)
    with MarketServer(config, chain=chain) as server:  # type: ignore[arg-type]
        chain.down = True
        got = publish(server, OWNER_KEY, make_order(poco, workerpool, OWNER_KEY))
        assert got.status_code == 500
        assert got.json() == {"ok": False, "error": "Something went wrong, you should retry later."}
        chain.down = False
        assert (
            publish(server, OWNER_KEY, make_order(poco, workerpool, OWNER_KEY)).status_code == 200
        )


def test_production_bellecour_domain(relocated_poco: object) -> None:
    """On anvil --chain-id 134 with the hub at Bellecour's address, an order signed for the
    production network (bot.domain.networks.BELLECOUR) is accepted: the server hashes with the hub's
    real domain, exactly as the hosted marketplace does."""
    from bot.domain.networks import BELLECOUR
    from bot.sandbox.market_server import MarketServerConfig

    world = relocated_poco(134)  # type: ignore[operator]
    dep = world.poco
    assert dep.hub == BELLECOUR.hub
    config = MarketServerConfig(chain_id=134, rpc_url=dep.rpc_url, hub=dep.hub)
    with MarketServer(config) as server:
        order = WorkerpoolOrder(
            workerpool=world.workerpool,
            workerpoolprice=1_000,
            volume=2,
            tag="0x" + "0" * 64,
            category=0,
            trust=0,
            salt=random_salt(),
        )
        signed = sign_order(BELLECOUR, order, OWNER_KEY)
        got = publish(server, OWNER_KEY, signed)
        assert got.status_code == 200, got.text
        assert got.json()["published"]["orderHash"] == signed.order_hash
        assert server.get("/challenge", address=OWNER).json()["data"]["domain"]["chainId"] == "134"

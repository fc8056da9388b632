"""Every publishing rule refuses what it should, with its stable id, and lets the rest through."""

from __future__ import annotations

import pytest

from bot.domain.errors import RuleViolation
from bot.domain.model import WorkerpoolOrder, pool_order_fits, tag_to_bytes32
from bot.domain.networks import get_network
from bot.domain.rules import ALLOWED_TAGS, RULES, check_publishable, check_terms

POOL = "0x" + "ab" * 20
ARBITRUM = ["arbitrum-mainnet", "arbitrum-sepolia-testnet"]


def order(tag: int = 0, trust: int = 0, category: int = 0, **kw: object) -> WorkerpoolOrder:
    return WorkerpoolOrder(
        workerpool=POOL,
        workerpoolprice=1,
        volume=1,
        tag=tag_to_bytes32(tag),
        category=category,
        trust=trust,
        salt="0x" + "11" * 32,
        **kw,  # type: ignore[arg-type]
    )


def refused(network: str, o: WorkerpoolOrder, **local: object) -> str:
    with pytest.raises(RuleViolation) as info:
        check_publishable(get_network(network, **local), o)  # type: ignore[arg-type]
    assert RULES[info.value.rule] in str(info.value)  # message names the rule
    return info.value.rule


@pytest.mark.parametrize(("tag", "trust"), [(0x0, 0), (0x0, 5), (0x3, 1)])
def test_bellecour_accepts(tag: int, trust: int) -> None:
    check_publishable(get_network("bellecour"), order(tag, trust))


def test_bellecour_gramine_reserved() -> None:
    assert refused("bellecour", order(0x5, 1)) == "bellecour-gramine-reserved"


@pytest.mark.parametrize("tag", [0x1, 0x2, 0x9, 0x100, 0x103, 0x8])
def test_bellecour_other_tags_refused(tag: int) -> None:
    assert refused("bellecour", order(tag, 1)) == "bellecour-tag"


@pytest.mark.parametrize("network", ARBITRUM)
@pytest.mark.parametrize(("tag", "trust"), [(0x0, 0), (0x0, 3), (0x9, 1), (0x100, 0), (0x109, 1)])
def test_arbitrum_accepts(network: str, tag: int, trust: int) -> None:
    check_publishable(get_network(network), order(tag, trust))


@pytest.mark.parametrize("network", ARBITRUM)
@pytest.mark.parametrize("tag", [0x3, 0x5, 0x103, 0x2, 0x4])
def test_arbitrum_legacy_tee_refused(network: str, tag: int) -> None:
    assert refused(network, order(tag, 1)) == "arbitrum-legacy-tee"


@pytest.mark.parametrize("network", ARBITRUM)
@pytest.mark.parametrize("tag", [0x1, 0x8, 0x108, 0x101, 0x10, 0x200, 1 << 255])
def test_arbitrum_other_tags_refused(network: str, tag: int) -> None:
    assert refused(network, order(tag, 1)) == "arbitrum-tag"


@pytest.mark.parametrize(
    ("network", "tag"),
    [("bellecour", 0x3), *[(n, 0x9) for n in ARBITRUM], ("arbitrum-mainnet", 0x109)],
)
@pytest.mark.parametrize("trust", [0, 2, 100])
def test_tee_needs_trust_1(network: str, tag: int, trust: int) -> None:
    assert refused(network, order(tag, trust)) == "tee-trust"


@pytest.mark.parametrize("network", ["bellecour", *ARBITRUM])
def test_category_must_be_in_table(network: str) -> None:
    check_publishable(get_network(network), order(category=4))
    assert refused(network, order(category=5)) == "category-unknown"


def test_volume_min() -> None:
    o = order()
    object.__setattr__(o, "volume", 0)  # the model refuses it too; the rule is the second guard
    assert refused("bellecour", o) == "volume-min"


@pytest.mark.parametrize("field", ["apprestrict", "datasetrestrict", "requesterrestrict"])
def test_restrict_must_be_address(field: str) -> None:
    o = order()
    object.__setattr__(o, field, "0x1234")
    assert refused("arbitrum-mainnet", o) == "restrict-address"


def test_restricted_order_with_valid_addresses_is_fine() -> None:
    check_publishable(get_network("arbitrum-mainnet"), order(requesterrestrict="0x" + "CD" * 20))


def test_local_follows_bellecour_on_134_and_arbitrum_otherwise() -> None:
    hub = "0x" + "12" * 20
    assert refused("local", order(0x9, 1), chain_id=134, hub=hub) == "bellecour-tag"
    check_publishable(get_network("local", chain_id=134, hub=hub), order(0x3, 1))
    check_publishable(get_network("local", chain_id=31337, hub=hub), order(0x9, 1))
    assert refused("local", order(0x3, 1), chain_id=31337, hub=hub) == "arbitrum-legacy-tee"


def test_check_terms_matches_allowed_tags_exhaustively_on_low_bits() -> None:
    for rules, network in (("bellecour", "bellecour"), ("arbitrum", "arbitrum-mainnet")):
        net = get_network(network)
        accepted = set()
        for tag in range(0x200):
            try:
                check_terms(net, category=0, tag=tag, trust=1)
                accepted.add(tag)
            except RuleViolation:
                pass
        assert accepted == set(ALLOWED_TAGS[rules])


def test_every_rule_id_is_exercised_here() -> None:
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    for rule in RULES:
        assert f'"{rule}"' in source, rule


def test_zero_workerpool_is_refused() -> None:
    o = order()
    object.__setattr__(o, "workerpool", "0x" + "0" * 40)
    assert refused("arbitrum-mainnet", o) == "workerpool-zero"


@pytest.mark.parametrize(
    ("tag", "trust", "order_tag", "order_trust", "fits"),
    [
        (0, 0, 0, 0, True),
        (0b1, 0, 0b11, 0, True),  # every bit asked is offered
        (0b11, 0, 0b1, 0, False),  # a bit asked is missing
        (0, 5, 0, 4, False),  # the order's trust under the one asked
        (0, 4, 0, 5, True),
        (0b101, 3, 0b111, 3, True),
    ],
)
def test_pool_order_fits_is_pocos_tag_and_trust_rule(
    tag: int, trust: int, order_tag: int, order_trust: int, fits: bool
) -> None:
    assert pool_order_fits(tag, trust, order_tag, order_trust) is fits

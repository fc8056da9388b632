"""``bot.domain.signing.signature_problem``: PoCo's ECDSA rules for an order's ``sign``, never raising."""

from __future__ import annotations

import pytest

from bot.domain.signing import address_of, sign_order, signature_problem
from tests.support.fakes import NETWORK, OTHER_KEY, OWNER_KEY, our_order

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
OWNER = address_of(OWNER_KEY)
GOOD = our_order(1000)
RAW = bytes.fromhex(GOOD.sign[2:])
R, S, V = RAW[:32], int.from_bytes(RAW[32:64], "big"), RAW[64]


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def test_a_65_byte_and_its_64_byte_eip2098_form_are_the_owners() -> None:
    compact = R + (((V - 27) << 255) | S).to_bytes(32, "big")
    assert signature_problem(GOOD.order_hash, GOOD.sign, OWNER) is None
    assert (
        signature_problem(GOOD.order_hash, _hex(compact), OWNER.upper().replace("X", "x")) is None
    )


@pytest.mark.parametrize(
    ("sign", "words"),
    [
        ("0x", "empty signature"),
        ("", "empty signature"),
        ("0xzz", "not hex"),
        ("0x" + "00" * 65, "malformed"),  # v = 0
        ("0x" + "7f" * 65, "malformed"),
        ("0x" + "11" * 30, "30 bytes"),
        ("0x" + "11" * 66, "66 bytes"),
        (_hex(R + (N - S).to_bytes(32, "big") + bytes([55 - V])), "malformed"),  # high s
        (_hex(RAW[:64] + bytes([V - 27])), "malformed"),  # v 0/1
        (_hex(bytes(32) + RAW[32:]), "malformed"),  # r = 0
        (_hex(N.to_bytes(32, "big") + RAW[32:]), "malformed"),  # r = n
    ],
)
def test_every_wrong_sign_is_a_reason_not_an_exception(sign: str, words: str) -> None:
    problem = signature_problem(GOOD.order_hash, sign, OWNER)
    assert problem is not None and words in problem


def test_another_keys_signature_names_the_signer() -> None:
    other = sign_order(NETWORK, GOOD.order, OTHER_KEY)
    problem = signature_problem(other.order_hash, other.sign, OWNER)
    assert problem == f"signed by {address_of(OTHER_KEY)}, not by the workerpool owner {OWNER}"

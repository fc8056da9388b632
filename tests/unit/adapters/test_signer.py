"""LocalKeySigner: signs for its one network, never shows its key."""

from __future__ import annotations

import pickle

import pytest

from bot.adapters.signer import LocalKeySigner
from bot.domain.errors import InputError
from bot.domain.model import ZERO_BYTES32, WorkerpoolOrder
from bot.domain.networks import BELLECOUR
from bot.domain.signing import (
    CLOSE,
    GATEWAY_CHALLENGE_PREFIX,
    gateway_challenge_hash,
    operation_hash,
    recover_signer,
    verify_order,
)
from bot.engine.ports import Signer

KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil #1
ADDRESS = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"

# test-rigs.md section 4, golden vector (Bellecour domain, key #1)
GOLDEN = WorkerpoolOrder(
    workerpool="0x1234567890123456789012345678901234567890",
    workerpoolprice=1_000_000_000,
    volume=10,
    tag=ZERO_BYTES32,
    category=0,
    trust=0,
    salt="0xc3a1d4f5e6b7a8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7",
)


def test_implements_the_port_and_signs_the_golden_vector() -> None:
    signer = LocalKeySigner(BELLECOUR, KEY)
    assert isinstance(signer, Signer)
    assert signer.address == ADDRESS
    signed = signer.sign_order(GOLDEN)
    assert signed.order_hash == "0xe22350c4c2febe5300e04dadf4eaa5aef50407253143b469809c1c67d3dd1e48"
    assert signed.sign == (
        "0xe59f1a3173a2340be938c913cc2a8fd0c3552d9f6b649201d7d7ecdceb4ad00b"
        "2f3de2f3e23580bd3e37e44178ae5b23969f3cf463a11761c65f863ab8247a451b"
    )
    assert verify_order(BELLECOUR, signed) == ADDRESS


def test_close_operation_recovers_to_the_owner() -> None:
    signer = LocalKeySigner(BELLECOUR, KEY)
    sig = signer.sign_close(GOLDEN)
    assert recover_signer(operation_hash(BELLECOUR, GOLDEN, CLOSE), sig) == ADDRESS


def test_key_never_shown() -> None:
    signer = LocalKeySigner(BELLECOUR, KEY)
    for text in (repr(signer), str(signer), f"{signer}"):
        assert KEY[2:] not in text and ADDRESS in text
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(signer)


def test_bad_key_is_an_input_error_without_echoing_it() -> None:
    with pytest.raises(InputError, match="private_key") as info:
        LocalKeySigner(BELLECOUR, "0x1234")
    assert "0x1234" not in str(info.value)


def test_gateway_challenge_only_for_our_chain_and_genuine_prefix() -> None:
    signer = LocalKeySigner(BELLECOUR, KEY)
    challenge = GATEWAY_CHALLENGE_PREFIX + "abc123"
    sig = signer.sign_gateway_challenge(134, challenge)
    assert recover_signer(gateway_challenge_hash(134, challenge), sig) == ADDRESS
    with pytest.raises(InputError, match="chainId"):
        signer.sign_gateway_challenge(42161, challenge)
    with pytest.raises(InputError, match="challenge"):
        signer.sign_gateway_challenge(134, "transfer all my RLC")


def test_signer_refuses_an_order_the_network_rules_forbid() -> None:
    """The live signer checks the publishing rules itself, so no caller can sign a forbidden order."""
    import pytest as _pytest

    from bot.adapters.signer import LocalKeySigner as _Signer
    from bot.domain.errors import RuleViolation
    from bot.domain.model import WorkerpoolOrder
    from bot.domain.networks import BELLECOUR

    signer = _Signer(
        BELLECOUR, "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
    )
    gramine = WorkerpoolOrder(
        workerpool="0x1234567890123456789012345678901234567890",
        workerpoolprice=1,
        volume=1,
        tag="0x" + "0" * 63 + "5",
        category=0,
        trust=1,
    )
    with _pytest.raises(RuleViolation, match="gramine"):
        signer.sign_order(gramine)


def _plain_copies(obj: object) -> list[str]:
    """Attribute names of ``obj`` holding the key as str or bytes, in any spelling."""
    forms = {KEY, KEY[2:], KEY.upper(), KEY[2:].upper()}
    raw = bytes.fromhex(KEY[2:])
    names = [*getattr(obj, "__slots__", ()), *getattr(obj, "__dict__", {})]
    found = []
    for name in names:
        value = getattr(obj, name, None)
        if (isinstance(value, str) and value in forms) or (
            isinstance(value, bytes | bytearray) and bytes(value) == raw
        ):
            found.append(name)
    return found


def test_signer_and_gas_wallet_hold_the_key_only_as_a_secret_key() -> None:
    from bot.adapters.chain_rpc import RpcPool
    from bot.adapters.chain_wallet import GasWallet
    from bot.adapters.keys import SecretKey, key_from_hex

    pool = RpcPool(("http://127.0.0.1:9",), lambda rpc, url: None)
    for key in (KEY, key_from_hex(KEY)):
        signer = LocalKeySigner(BELLECOUR, key)
        wallet = GasWallet(pool, key)
        for holder in (signer, wallet):
            assert _plain_copies(holder) == [], type(holder).__name__
            assert isinstance(holder._key, SecretKey)  # type: ignore[attr-defined]
            for text in (
                repr(holder),
                str(holder),
                f"{holder}",
                repr(vars(holder) if hasattr(holder, "__dict__") else ""),
            ):
                assert KEY[2:] not in text.lower()
        assert signer.address == wallet.address == ADDRESS
    with pytest.raises(InputError, match="gas_key") as info:
        GasWallet(pool, "0x1234")
    assert "1234" not in str(info.value)

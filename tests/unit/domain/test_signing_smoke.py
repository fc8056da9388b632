"""The golden vector from test-rigs.md section 4 (Bellecour domain, anvil key #1)."""

from bot.domain.model import WorkerpoolOrder
from bot.domain.networks import get_network
from bot.domain.signing import domain_separator, sign_order, verify_order

KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


def test_golden_vector_bellecour_domain() -> None:
    net = get_network("bellecour")
    order = WorkerpoolOrder(
        workerpool="0x1234567890123456789012345678901234567890",
        workerpoolprice=1_000_000_000,
        volume=10,
        tag="0x" + "0" * 64,
        category=0,
        trust=0,
        salt="0xc3a1d4f5e6b7a8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7",
    )
    assert (
        domain_separator(net)
        == "0xf2cbd98a556869939d25b73c3fa68ba45f19932f8c9a06f744c98290ed9ef860"
    )
    signed = sign_order(net, order, KEY1)
    assert signed.order_hash == "0xe22350c4c2febe5300e04dadf4eaa5aef50407253143b469809c1c67d3dd1e48"
    assert signed.sign == (
        "0xe59f1a3173a2340be938c913cc2a8fd0c3552d9f6b649201d7d7ecdceb4ad00b"
        "2f3de2f3e23580bd3e37e44178ae5b23969f3cf463a11761c65f863ab8247a451b"
    )
    assert verify_order(net, signed) == "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"

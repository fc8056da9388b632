"""Publishing rules: what may be signed on which network, checked before anything is signed.

Pure. The marketplace does not check tag combinations or trust (market-api.md §3), and PoCo
accepts any bytes32 tag, so a wrong tag is not refused anywhere: it just signs an order no worker
can run, or one that matches TEE requests the pool cannot serve, with its stake at risk. These
rules are therefore ours to enforce, and each refusal carries a stable rule id that tests, logs and
the journal can rely on.

- ``bellecour`` (the iExec page this project comes from): tag ``0x0…0`` (standard) or ``0x0…3``
  (TEE with Scone); ``0x0…5`` (TEE with Gramine) is reserved and refused; any other tag refused.
- ``arbitrum`` (current iExec docs and SDK 9): tag ``0x0…0`` or ``0x0…9`` (TEE with TDX), each
  optionally with the GPU bit ``0x100``; the Scone and Gramine bits are refused as legacy.
- everywhere: a TEE order (bit 0) needs trust = 1; the category must exist in the network's table;
  volume >= 1; restrict fields must be addresses; the workerpool is not the zero address (the
  placeholder of an `order init` template: such an order can never match).

The marketplace's own limits (price and volume at most 2**53 - 1, the owner's stake) are not
signing rules: the marketplace client checks them when publishing.
"""

from __future__ import annotations

from typing import Final

from bot.domain.errors import RuleViolation
from bot.domain.model import TAG_BITS, ZERO_ADDRESS, WorkerpoolOrder, is_address
from bot.domain.networks import Network

__all__ = [
    "ALLOWED_TAGS",
    "RULES",
    "allowed_tags",
    "check_publishable",
    "check_terms",
]

_TEE = 1 << TAG_BITS["tee"]
_SCONE = 1 << TAG_BITS["scone"]
_GRAMINE = 1 << TAG_BITS["gramine"]
_TDX = 1 << TAG_BITS["tdx"]
_GPU = 1 << TAG_BITS["gpu"]

ALLOWED_TAGS: Final[dict[str, tuple[int, ...]]] = {
    "bellecour": (0, _TEE | _SCONE),
    "arbitrum": (0, _TEE | _TDX, _GPU, _TEE | _TDX | _GPU),
}

# Stable rule ids -> what they mean. Ids never change; messages may.
RULES: Final[dict[str, str]] = {
    "category-unknown": "the category must exist in the network's category table",
    "workerpool-zero": "workerpool must be a real workerpool, not the zero address",
    "volume-min": "volume must be at least 1",
    "restrict-address": "apprestrict, datasetrestrict and requesterrestrict must be addresses",
    "tee-trust": "a TEE order (tag bit 0) must have trust = 1",
    "bellecour-gramine-reserved": "bellecour: tag 0x…05 (TEE with Gramine) is reserved, never use it",
    "bellecour-tag": "bellecour: tag must be 0x…00 (standard) or 0x…03 (TEE with Scone)",
    "arbitrum-legacy-tee": "arbitrum: the Scone and Gramine tag bits are legacy and refused",
    "arbitrum-tag": "arbitrum: tag must be 0x…00 or 0x…09 (TEE with TDX), each optionally | 0x…100 (GPU)",
}


def allowed_tags(network: Network) -> tuple[int, ...]:
    return ALLOWED_TAGS[network.tag_rules]


def _violation(rule: str, detail: str) -> RuleViolation:
    return RuleViolation(rule, f"{RULES[rule]} ({detail})")


def _check_tag(network: Network, tag: int) -> None:
    shown = f"tag 0x{tag:064x} on {network.name}"
    if network.tag_rules == "bellecour":
        if tag & _GRAMINE:
            raise _violation("bellecour-gramine-reserved", shown)
        if tag not in ALLOWED_TAGS["bellecour"]:
            raise _violation("bellecour-tag", shown)
    else:
        if tag & (_SCONE | _GRAMINE):
            raise _violation("arbitrum-legacy-tee", shown)
        if tag not in ALLOWED_TAGS["arbitrum"]:
            raise _violation("arbitrum-tag", shown)


def check_terms(network: Network, *, category: int, tag: int, trust: int) -> None:
    """The rules on what an order sells; usable on a quote or a config offer before any order."""
    if not any(c.id == category for c in network.categories):
        raise _violation(
            "category-unknown",
            f"category {category} on {network.name}; known: {[c.id for c in network.categories]}",
        )
    _check_tag(network, tag)
    if tag & _TEE and trust != 1:
        raise _violation("tee-trust", f"tag 0x{tag:x} with trust {trust}")


def check_publishable(network: Network, order: WorkerpoolOrder) -> None:
    """Raise :class:`bot.domain.errors.RuleViolation` if ``network``'s rules forbid signing ``order``."""
    if order.workerpool == ZERO_ADDRESS:
        raise _violation("workerpool-zero", "fill in your workerpool's address")
    if order.volume < 1:
        raise _violation("volume-min", f"volume {order.volume}")
    for name in ("apprestrict", "datasetrestrict", "requesterrestrict"):
        value = getattr(order, name)
        if not is_address(value):
            raise _violation("restrict-address", f"{name} = {value!r}")
    check_terms(network, category=order.category, tag=order.tag_int, trust=order.trust)

"""The preflight checks: can this bot price its pool? One list for ``config check --online``
(read once, from a fresh sample) and ``/readyz`` (read from the running service's last one).

Why one list: the owner reads the same lines in both places, and a check added here shows up in
both. Pure: the callers do the reading and hand in what they read (Hummingbot's ``status``
lists the same kind of checks when no strategy runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.model import PoolUtilization, Stake
from bot.ops._view import OpsView

__all__ = ["PART_LABELS", "Check", "PreflightInput", "preflight_checks", "readiness"]

PART_LABELS: Mapping[str, str] = {
    "book": "marketplace order book",
    "requests": "marketplace request book",
    "deals": "marketplace deals",
    "utilization": "core /metrics",
    "own_orders": "our orders on chain",
    "stake": "owner stake on the hub",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One check: a stable ``name`` (for machines), pass or fail, and a line for people."""

    name: str
    ok: bool
    detail: str

    @property
    def line(self) -> str:
        return self.detail


@dataclass(frozen=True, slots=True)
class PreflightInput:
    """What was read: the chain id, each part's error (if any), the owner, stake, gas, pool."""

    chain_id: int
    part_errors: Mapping[str, str]
    core_configured: bool
    own_orders_line: str
    owner: str | None
    signer: str | None
    stake: Stake | None
    low_gas_wei: int
    gas_wei: int | None
    gas_error: str | None
    utilization: PoolUtilization | None


def _rlc(nrlc: int) -> str:
    from bot.domain.order_io import format_rlc

    return format_rlc(nrlc)


def preflight_checks(got: PreflightInput) -> tuple[Check, ...]:
    """Every check, in the order ``config check --online`` prints them."""
    out = [Check("chain", True, f"chain: id {got.chain_id}, hub domain as configured")]
    for part, label in PART_LABELS.items():
        if part == "utilization" and not got.core_configured:
            out.append(
                Check(part, False, f"{label}: endpoints.core_url is not set (nothing is offered)")
            )
        elif part in got.part_errors:
            out.append(Check(part, False, f"{label}: {got.part_errors[part]}"))
        elif part == "own_orders":
            out.append(Check(part, True, f"{label}: {got.own_orders_line}"))
        else:
            out.append(Check(part, True, f"{label}: answered"))
    owner = got.owner
    if owner is not None:
        if got.signer is None:
            out.append(
                Check("owner", True, f"workerpool owner {owner} (no owner key loaded to compare)")
            )
        else:
            mine = got.signer.lower() == owner.lower()
            out.append(
                Check(
                    "owner",
                    mine,
                    f"workerpool owner {owner} {'is' if mine else 'is NOT'} the owner key",
                )
            )
    if got.stake is not None:
        out.append(
            Check(
                "stake_free",
                True,
                f"stake: {_rlc(got.stake.free)} free, {_rlc(got.stake.locked)} locked",
            )
        )
    if got.low_gas_wei:
        if got.gas_wei is not None:
            enough = got.gas_wei >= got.low_gas_wei
            out.append(Check("gas_wallet", enough, f"gas wallet: {got.gas_wei / 10**18:.6f} ETH"))
        elif got.gas_error is not None:
            out.append(Check("gas_wallet", False, f"gas wallet: {got.gas_error}"))
    u = got.utilization
    if u is not None:
        out.append(
            Check("pool", True, f"pool: {u.computing_cpu}/{u.registered_cpu} CPU slots computing")
        )
    return tuple(out)


def readiness(view: OpsView) -> tuple[Check, ...]:
    """``/readyz``: the preflight checks over the running service's last sample, after the
    service's own (config loaded, reconcile done, a sample taken, not stopping)."""
    out = [
        Check("config", True, "config: valid (loaded at start or by the last reload)"),
        Check(
            "reconcile",
            view.reconciled,
            "reconcile: done" if view.reconciled else "reconcile: not done yet",
        ),
        Check(
            "running",
            not view.stopping,
            "service: stopping" if view.stopping else "service: running",
        ),
    ]
    snap = view.snapshot
    if snap is None:
        out.append(Check("sample", False, "sample: none taken yet"))
        return tuple(out)
    facts = view.facts
    errors = dict(view.source_errors)
    for part in snap.stale:
        errors.setdefault(part, f"stale past the rails' limit of {view.stale_limit_seconds}s")
    valid = len(snap.own_orders)
    line = f"{facts.tracked_orders} tracked, {valid} still valid"
    got = PreflightInput(
        chain_id=view.chain_id,
        part_errors=errors,
        core_configured=facts.core_configured,
        own_orders_line=line,
        owner=facts.owner,
        signer=view.expected_owner,
        stake=snap.stake,
        low_gas_wei=view.low_gas_wei,
        gas_wei=facts.gas_wei,
        gas_error=facts.gas_error,
        utilization=snap.utilization,
    )
    return tuple(out) + preflight_checks(got)

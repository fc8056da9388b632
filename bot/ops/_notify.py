"""systemd's notify protocol, without a dependency: READY, WATCHDOG after each good tick, STOPPING.

Why only after a successful tick: ``WatchdogSec`` then restarts a bot whose scheduler stopped
running or whose cycles keep failing, not just a dead process (a live process that prices
nothing is the failure that matters). Without ``NOTIFY_SOCKET`` (not under systemd) it is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

__all__ = ["SystemdNotifier"]

log = logging.getLogger("pricebot.ops")


class SystemdNotifier:
    """Send ``READY=1`` / ``WATCHDOG=1`` / ``STOPPING=1`` datagrams to ``$NOTIFY_SOCKET``."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]  # the abstract namespace
        self.address = address or None
        usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_seconds = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 else None

    def check_period(self, reprice_seconds: float) -> str | None:
        """Why ``WatchdogSec`` would restart a healthy bot (None: it would not).

        The bot pings after each successful tick, one reprice period apart plus the tick's own
        duration: a watchdog under two periods fires between two good ticks.
        """
        wd = self.watchdog_seconds
        if wd is None or wd >= 2 * reprice_seconds:
            return None
        return (
            f"WatchdogSec={wd:g}s is under two reprice periods ({2 * reprice_seconds:g}s): "
            "systemd would restart a healthy bot; set WatchdogSec to about 3 x reprice_seconds"
        )

    def _send(self, message: str) -> None:
        if self.address is None:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message.encode(), self.address)
        except OSError as exc:
            log.warning("systemd notify failed: %s", exc)

    def ready(self) -> None:
        self._send("READY=1\nSTATUS=pricing")

    def watchdog(self, status: str | None = None) -> None:
        self._send("WATCHDOG=1" + (f"\nSTATUS={status}" if status else ""))

    def stopping(self) -> None:
        self._send("STOPPING=1")

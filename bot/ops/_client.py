"""How the CLI reaches the running service: its loopback URL and the token, never a second bot.

Control commands (``pause``, ``resume``) are calls on the running service, so one process owns
the journal and the gas wallet's nonce. The URL comes from the endpoint file the server wrote
next to the journal (exact even with ``port = 0``), else from ``[ops]``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.domain.errors import BotError, TransientError
from bot.ops._server import ENDPOINT_FILE

__all__ = ["OpsClient", "base_url"]


def base_url(config: Any) -> str:
    """The running service's ops URL (from its endpoint file, else from ``[ops]``)."""
    endpoint = Path(config.service.journal_dir) / ENDPOINT_FILE
    try:
        return str(json.loads(endpoint.read_text())["url"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    ops = config.ops
    host = ops.listen
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{ops.port}"


class OpsClient:
    """A few calls on the ops server; connection failures become ``TransientError``."""

    def __init__(
        self, config: Any, *, environ: Mapping[str, str] | None = None, timeout: float = 5.0
    ) -> None:
        env = os.environ if environ is None else environ
        self.url = base_url(config)
        self.token = env.get(config.ops.token_env) if config.ops.token_env else None
        self.token_env = config.ops.token_env
        self.timeout = timeout

    def _request(self, method: str, path: str) -> tuple[int, Any]:
        import httpx

        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.request(method, self.url + path, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise TransientError(
                f"cannot reach the running service at {self.url} ({type(exc).__name__}); "
                "is `pricebot run` running with [ops] enabled?"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text[:200]}
        return response.status_code, body

    def get(self, path: str) -> tuple[int, Any]:
        return self._request("GET", path)

    def control(self, action: str) -> dict[str, Any]:
        """POST a control route; explain a missing or wrong token in one line."""
        code, body = self._request("POST", f"/api/v1/{action}")
        if code == 404:
            raise BotError(
                f"the running service has no control token: set {self.token_env} in its "
                "environment (and in this shell) and restart it"
            )
        if code == 401:
            raise BotError(f"the service refused the token: check {self.token_env}")
        if code != 200:
            raise BotError(f"{action} failed: HTTP {code}")
        return dict(body)

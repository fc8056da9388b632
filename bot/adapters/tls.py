"""TLS for the adapters' HTTP clients: the CA bundle is loaded at most once per process.

httpx builds a verified ``SSLContext`` for every ``Client`` it creates, and loading the CA
bundle into it is the dearest step of a short run's set-up (~50 ms of CPU each; a
``pricebot once`` makes three clients: JSON-RPC, marketplace, core). A plain ``http://`` endpoint
(the sandbox, a node on loopback) uses no TLS at all, so it needs no bundle; ``https://``
endpoints share one context built exactly as httpx builds its default (``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` honoured, else certifi), so verification is unchanged.
"""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["tls_verify"]


@functools.cache
def _verified_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def tls_verify(base_url: str) -> ssl.SSLContext | bool:
    """httpx's ``verify`` for a client whose every request goes to ``base_url``."""
    if base_url.startswith("http://"):
        return False  # no TLS on this connection: nothing to verify
    return _verified_context()

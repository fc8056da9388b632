"""The adapters' HTTP clients load the CA bundle at most once, and only for https."""

from __future__ import annotations

import ssl

from bot.adapters.tls import tls_verify


def test_plain_http_needs_no_tls_context() -> None:
    assert tls_verify("http://127.0.0.1:8545") is False


def test_https_shares_one_verifying_context() -> None:
    first = tls_verify("https://bellecour.iex.ec")
    second = tls_verify("https://api.market.v8-bellecour.iex.ec")
    assert isinstance(first, ssl.SSLContext) and first is second
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert first.cert_store_stats()["x509_ca"] > 0  # the CA bundle is loaded

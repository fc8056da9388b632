"""The marketplace's error classes, each tied to the HTTP status the real API answers with.

iexec-market-api maps its error types to codes in ``api/src/controllers/error.js``: validation
400, auth 403 with the cause hidden, business 403 with its message, not found 404, chain
provider trouble 500 with a "retry later" message. Handlers raise these; one exception handler
turns them into ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthError",
    "BusinessError",
    "ChainUnavailable",
    "NotFoundError",
    "ValidationError",
]


class ApiError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    @property
    def public_message(self) -> str:
        return self.message


class ValidationError(ApiError):
    """A query or body field breaks its schema (yup ``ValidationError`` in the real API)."""

    status = 400


class AuthError(ApiError):
    """Authorization failed. The real API never tells why: the body is always the same."""

    status = 403

    @property
    def public_message(self) -> str:
        return "invalid authorization"


class BusinessError(ApiError):
    """A business rule refused the request; the message is shown as is."""

    status = 403


class NotFoundError(ApiError):
    status = 404


class ChainUnavailable(ApiError):
    """The chain RPC failed (``Web3ProviderError`` upstream): worth retrying."""

    status = 500

    @property
    def public_message(self) -> str:
        return "Something went wrong, you should retry later."

"""Errors of the domain, each with a stable ``code`` and an HTTP status.

    QuantcloudError
    ├── InvalidInput            400  bad parameter or body
    │   └── UnknownInstrument   404  symbol not in the instruments table
    ├── Unauthorized            401  missing, expired, tampered or revoked token; wrong password
    ├── NotFound                404
    ├── Conflict                409  e.g. a username already taken
    └── ServiceUnavailable      503  database, Redis or AWS unreachable

The API maps ``code``/``status`` to ``{"error": {"code", "message", "details"}}``;
the core never raises HTTP exceptions.
"""
from __future__ import annotations

from typing import Any


class QuantcloudError(Exception):
    code = "internal"
    status = 500

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidInput(QuantcloudError):
    code = "invalid_input"
    status = 400


class UnknownInstrument(InvalidInput):
    code = "unknown_instrument"
    status = 404

    def __init__(self, symbol: str) -> None:
        super().__init__(f"unknown instrument {symbol!r}: no bars are stored for it", {"symbol": symbol})


class Unauthorized(QuantcloudError):
    code = "unauthorized"
    status = 401


class NotFound(QuantcloudError):
    code = "not_found"
    status = 404


class Conflict(QuantcloudError):
    code = "conflict"
    status = 409


class ServiceUnavailable(QuantcloudError):
    code = "service_unavailable"
    status = 503

"""Every error leaves the API as ``{"error": {"code", "message", "details"}}``.

    QuantcloudError            -> its own status and code
    RequestValidationError     -> 400 invalid_input, each bad field named (malformed JSON included)
    Starlette HTTPException    -> its status (unknown route 404, wrong method 405)
    psycopg.DataError          -> 400 invalid_input (a value PostgreSQL cannot hold, e.g. a NUL byte)
    psycopg / Redis outages    -> 503 service_unavailable
    anything else              -> 500 internal, without internals in the body
"""
from __future__ import annotations

import logging
from typing import Any

import psycopg
import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import InvalidInput, QuantcloudError, ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)

HTTP_CODES = {400: "invalid_input", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route, so /docs shows the error body for each status."""
    return {status: {"model": ErrorBody} for status in statuses}


def install(app: FastAPI) -> None:
    app.add_exception_handler(QuantcloudError, _quantcloud_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(psycopg.DataError, _bad_value)
    app.add_exception_handler(psycopg.OperationalError, _outage("database unreachable"))
    app.add_exception_handler(redis.ConnectionError, _outage("Redis unreachable"))
    app.add_exception_handler(redis.TimeoutError, _outage("Redis timed out"))
    app.add_exception_handler(Exception, _unexpected)


def error_response(exc: QuantcloudError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse(exc.to_body(), status_code=exc.status, headers=headers)


async def _quantcloud_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QuantcloudError)
    return error_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(describe_validation_error(exc.errors()))


def describe_validation_error(errors: Any) -> InvalidInput:
    """One InvalidInput naming every bad field: ``query.limit``, ``body.password``, ``body``."""
    problems = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "JSON decode error")
            return InvalidInput(f"malformed JSON body: {reason}", [{"field": "body", "message": str(reason)}])
        # a validator that knows which nested field is wrong says so (the backtest grid's GridError)
        named = getattr((err.get("ctx") or {}).get("error"), "field", None)
        if isinstance(named, str):
            loc = (loc[:-1] if loc and named.split(".")[0] == loc[-1] else loc) + [named]
        field = ".".join(loc) or "request"
        message = str(err.get("msg", "invalid"))
        if loc == ["body"] and err.get("type") in ("model_attributes_type", "dict_type"):
            message = "expected a JSON object; send it with 'Content-Type: application/json'"
        problems.append({"field": field, "message": message.removeprefix("Value error, ")})
    text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return InvalidInput(f"invalid request: {text}", problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path or '/'}"
    body = {"error": {"code": code, "message": message, "details": None}}
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _bad_value(request: Request, exc: Exception) -> JSONResponse:
    # a value validation let through but PostgreSQL cannot hold (a NUL byte, a number out of range)
    log.warning("value refused by the database on %s %s: %s", request.method, request.url.path, exc)
    return error_response(InvalidInput("a value in the request cannot be stored or searched for"))


def _outage(message: str):  # noqa: ANN202 - a handler factory
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s: %s", message, exc)
        return error_response(ServiceUnavailable(message))

    return handler


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    body = {"error": {"code": "internal", "message": "internal error", "details": None}}
    return JSONResponse(body, status_code=500)

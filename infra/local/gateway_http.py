"""A local API Gateway HTTP API: requests under ``/<stage>`` become payload v2.0 events.

Each request is turned into the event API Gateway would send the Lambda
(``version`` 2.0, ``rawPath`` with the stage, lowercased headers, ``cookies``,
base64 body for binary content), the handler runs as in one Lambda container
(one request at a time, always on the same thread), and its result becomes the
HTTP response, as API Gateway would map it.
"""
from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded",
              "application/javascript", "application/problem+json")


def create_app(handler: Handler, stage: str = "dev") -> Starlette:
    prefix = f"/{stage}"
    # a Lambda container serves one request at a time on one thread: Mangum runs the app on that
    # thread's event loop, and the handler's caches (the app, its database connection) are the container's
    container = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambda-http")

    async def endpoint(request: Request) -> Response:
        path = request.url.path
        if path != prefix and not path.startswith(prefix + "/"):
            return JSONResponse({"message": "Not Found"}, status_code=404)
        event = http_event(request.method, path, request.url.query, list(request.headers.raw),
                           await request.body(), stage, request.client.host if request.client else "127.0.0.1")
        try:
            result = await asyncio.get_running_loop().run_in_executor(container, handler, event, None)
        except Exception:
            return JSONResponse({"message": "Internal Server Error"}, status_code=500)
        return lambda_response(result)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])


def http_event(method: str, path: str, query: str, raw_headers: list[tuple[bytes, bytes]], body: bytes,
               stage: str, source_ip: str) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in raw_headers:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        if name == "cookie":
            cookies.extend(c.strip() for c in text.split(";") if c.strip())
            continue
        headers[name] = f"{headers[name]},{text}" if name in headers else text
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    binary = bool(body) and not (_is_text(headers.get("content-type", "")) and _is_utf8(body))
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": headers.get("user-agent", "")},
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": stage,
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": binary,
    }
    if cookies:
        event["cookies"] = cookies
    if params:
        event["queryStringParameters"] = params
    if body:
        event["body"] = base64.b64encode(body).decode() if binary else body.decode("utf-8")
    return event


def lambda_response(result: dict[str, Any]) -> Response:
    body = result.get("body") or ""
    content = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    response = Response(content=content, status_code=int(result.get("statusCode", 200)))
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.append(name, str(value))
    for cookie in result.get("cookies") or []:
        response.headers.append("set-cookie", cookie)
    return response


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_text(content_type: str) -> bool:
    return not content_type or content_type.lower().startswith(TEXT_TYPES)

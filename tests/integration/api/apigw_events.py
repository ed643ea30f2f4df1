"""API Gateway HTTP API (payload format 2.0) events, as a stage named ``dev`` sends them to Lambda."""
from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode


def http_event(method: str, path: str, *, stage: str = "dev", query: dict[str, Any] | None = None,
               headers: dict[str, str] | None = None, body: Any = None, raw_body: str | bytes | None = None,
               base64_body: bool = False) -> dict[str, Any]:
    """``path`` is the app's path (``/health``); the event carries it behind the stage (``/dev/health``)."""
    raw_path = f"/{stage}{path}" if stage else path
    query = {k: str(v) for k, v in (query or {}).items()}
    headers = {"host": "abc123.execute-api.cn-north-1.amazonaws.com.cn", "user-agent": "pytest",
               "x-forwarded-proto": "https", "x-forwarded-port": "443", **{k.lower(): v for k, v in (headers or {}).items()}}
    text: str | None = None
    if body is not None:
        text = json.dumps(body)
        headers.setdefault("content-type", "application/json")
    elif raw_body is not None:
        text = raw_body.decode() if isinstance(raw_body, bytes) else raw_body
        headers.setdefault("content-type", "application/json")
    if text is not None and base64_body:
        text = base64.b64encode(text.encode()).decode()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": urlencode(query),
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": headers["host"],
            "domainPrefix": "abc123",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.9", "userAgent": "pytest"},
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": stage or "$default",
            "time": "05/Jan/2026:01:00:00 +0000",
            "timeEpoch": 1767574800000,
        },
        "isBase64Encoded": base64_body,
    }
    if query:
        event["queryStringParameters"] = query
    if text is not None:
        event["body"] = text
    return event


def json_body(response: dict[str, Any]) -> Any:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)

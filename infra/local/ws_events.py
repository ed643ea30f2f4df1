"""The events API Gateway sends a WebSocket API's Lambdas, built from a local socket."""
from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.websockets import WebSocket


def request_event(websocket: WebSocket, connection_id: str, stage: str) -> dict[str, Any]:
    """The parts shared by the authorizer and ``$connect`` events."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for key, value in websocket.headers.raw:
        name, text = key.decode("latin-1"), value.decode("latin-1")
        headers[name] = text
        multi_headers.setdefault(name, []).append(text)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in parse_qsl(websocket.url.query, keep_blank_values=True):
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    now_ms = int(time.time() * 1000)
    return {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "stageVariables": {},
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "messageDirection": "IN",
            "stage": stage,
            "connectedAt": now_ms,
            "requestTimeEpoch": now_ms,
            "requestId": uuid.uuid4().hex,
            "domainName": headers.get("host", "127.0.0.1"),
            "connectionId": connection_id,
            "apiId": "local",
            "identity": {"sourceIp": websocket.client.host if websocket.client else "127.0.0.1",
                         "userAgent": headers.get("user-agent", "")},
        },
        "isBase64Encoded": False,
    }


def connect_event(base: dict[str, Any], authorizer_context: dict[str, Any]) -> dict[str, Any]:
    return {**base, "requestContext": {**base["requestContext"], "authorizer": authorizer_context}}


def message_event(base: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    ctx = base["requestContext"]
    binary = message.get("text") is None
    body = base64.b64encode(message.get("bytes") or b"").decode() if binary else message["text"]
    return {
        "requestContext": {**_later(ctx), "routeKey": "$default", "eventType": "MESSAGE",
                           "messageId": uuid.uuid4().hex},
        "body": body,
        "isBase64Encoded": binary,
    }


def disconnect_event(base: dict[str, Any], close_code: int) -> dict[str, Any]:
    ctx = base["requestContext"]
    return {
        "headers": {"Host": base["headers"].get("host", "")},
        "requestContext": {**_later(ctx), "routeKey": "$disconnect", "eventType": "DISCONNECT",
                           "disconnectStatusCode": close_code, "disconnectReason": ""},
        "isBase64Encoded": False,
    }


def _later(ctx: dict[str, Any]) -> dict[str, Any]:
    """A request context for a later event on the same connection (the authorizer's context carries over)."""
    keep = ("messageDirection", "stage", "connectedAt", "domainName", "connectionId", "apiId", "identity", "authorizer")
    return {**{k: ctx[k] for k in keep if k in ctx}, "requestTimeEpoch": int(time.time() * 1000), "requestId": uuid.uuid4().hex}


def authorizer_allows(result: Any) -> bool:
    """True when the policy allows and denies nothing (an explicit Deny always wins)."""
    try:
        statements = result["policyDocument"]["Statement"]
    except (KeyError, TypeError):
        return False
    effects = {str(s.get("Effect", "")).lower() for s in statements if isinstance(s, dict)}
    return "allow" in effects and "deny" not in effects

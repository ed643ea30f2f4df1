"""``$connect``: record the connection with the user the authorizer let in."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.adapters.ws_connections import WsConnections
from shared.settings import get_settings


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    ctx = event.get("requestContext") or {}
    user_id = (ctx.get("authorizer") or {}).get("userId")
    if not user_id:  # only reachable if the route was deployed without its authorizer
        return {"statusCode": 401, "body": "unauthorized"}
    WsConnections.from_settings(get_settings()).add(ctx["connectionId"], str(user_id), datetime.now(UTC))
    response: dict[str, Any] = {"statusCode": 200}
    offered = _offered_subprotocols(event)
    if offered:
        # a browser that offered subprotocols closes the socket unless one is echoed back
        response["headers"] = {"Sec-WebSocket-Protocol": offered[0]}
    return response


def _offered_subprotocols(event: dict[str, Any]) -> list[str]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    items = [p.strip() for p in str(headers.get("sec-websocket-protocol", "")).split(",")]
    # never echo the token itself
    return [p for p in items if p and p.count(".") != 2]

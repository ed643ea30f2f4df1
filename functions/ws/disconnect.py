"""``$disconnect``: forget the connection and all its subscriptions."""
from __future__ import annotations

from typing import Any

from shared.adapters.ws_connections import WsConnections
from shared.settings import get_settings


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    connection_id = event["requestContext"]["connectionId"]
    WsConnections.from_settings(get_settings()).remove(connection_id)
    return {"statusCode": 200}

"""Push one message to every WebSocket connection subscribed to a topic (Management API).

Used by backtest workers for progress: ``{"topic": "backtest.<id>", "data": {...}}``, to the
owner's connections only (anyone may subscribe to any well-formed topic; a backtest id is no
secret to whoever saw it). A
connection that is gone (410) is forgotten; any other failure is logged and skipped, since
progress is also readable through the API and must never fail the work it reports on.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.adapters.aws import client
from shared.adapters.ws_connections import WsConnections
from shared.errors import ServiceUnavailable
from shared.settings import Settings

log = logging.getLogger(__name__)


def publish(settings: Settings, topic: str, data: dict[str, Any], user_id: str) -> int:
    """Post to ``user_id``'s connections subscribed to ``topic``; returns how many were reached
    (0 if no Management URL)."""
    if not settings.ws_management_url:
        return 0
    try:
        store = WsConnections.from_settings(settings)
        connection_ids = store.subscribers(topic, user_id)
    except ServiceUnavailable:
        log.warning("no subscribers read for %s", topic, exc_info=True)
        return 0
    if not connection_ids:
        return 0
    api = client("apigatewaymanagementapi", settings.aws_region, settings.ws_management_url)
    body = json.dumps({"topic": topic, "data": data}).encode()
    reached = 0
    for connection_id in connection_ids:
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=body)
            reached += 1
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if exc.response.get("Error", {}).get("Code") == "GoneException" or status == 410:
                store.remove(connection_id)
            else:
                log.warning("progress for %s not delivered to %s: %s", topic, connection_id, exc)
        except BotoCoreError as exc:
            log.warning("progress for %s not delivered to %s: %s", topic, connection_id, exc)
    return reached

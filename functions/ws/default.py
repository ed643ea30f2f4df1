"""``$default``: the client's subscribe and unsubscribe messages.

A client sends ``{"action": "subscribe", "topics": ["tick.cu1801", "bar.cu1801"]}``
(or ``"unsubscribe"``) and gets ``{"type": "subscribed", "topics": [...]}`` back
through the Management API. A message that cannot be understood gets
``{"type": "error", "error": {"code", "message", "details"}}`` on the same
connection; the function does not fail for it.
"""
from __future__ import annotations

import base64
import json
import logging
from typing import Any

from shared.adapters.aws import client
from shared.adapters.ws_connections import MAX_TOPICS_PER_CONNECTION, WsConnections
from shared.domain.topics import parse_topic
from shared.errors import InvalidInput, QuantcloudError
from shared.settings import Settings, get_settings

log = logging.getLogger(__name__)
ACTIONS = ("subscribe", "unsubscribe", "ping")


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    settings = get_settings()
    connection_id = event["requestContext"]["connectionId"]
    try:
        action, topics = parse_message(_body(event))
        reply = _apply(WsConnections.from_settings(settings), connection_id, action, topics)
        status = 200
    except QuantcloudError as exc:
        reply, status = {"type": "error", **exc.to_body()}, exc.status
    post(management_client(event, settings), connection_id, reply)
    return {"statusCode": status}


def parse_message(body: str) -> tuple[str, list[str]]:
    """``(action, topics)`` from the client's JSON text; InvalidInput naming what is wrong."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser goes
        raise InvalidInput("message is not JSON: send {\"action\": \"subscribe\", \"topics\": [\"tick.cu1801\"]}") from exc
    if not isinstance(message, dict):
        raise InvalidInput("message must be a JSON object with 'action' and 'topics'")
    action = message.get("action")
    if action not in ACTIONS:
        raise InvalidInput(f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}", {"field": "action"})
    if action == "ping":
        return action, []
    topics = message.get("topics")
    if not isinstance(topics, list) or not topics:
        raise InvalidInput("'topics' must be a non-empty list such as [\"tick.cu1801\"]", {"field": "topics"})
    for topic in topics:
        parse_topic(topic)
    return action, list(dict.fromkeys(topics))


def _apply(store: WsConnections, connection_id: str, action: str, topics: list[str]) -> dict[str, Any]:
    if action == "ping":
        return {"type": "pong"}
    if action == "subscribe":
        own = (store.get(connection_id) or {}).get("user_id", "")
        for topic in topics:
            kind, owner = parse_topic(topic)
            if kind == "order" and owner != own:  # order events are private to their user
                raise InvalidInput(f"{topic!r} belongs to another user: subscribe to order.<your user id>",
                                   {"topic": topic})
        if len(store.topics_of(connection_id) | set(topics)) > MAX_TOPICS_PER_CONNECTION:
            raise InvalidInput(f"at most {MAX_TOPICS_PER_CONNECTION} topics per connection", {"field": "topics"})
        store.subscribe(connection_id, topics)
        return {"type": "subscribed", "topics": topics}
    store.unsubscribe(connection_id, topics)
    return {"type": "unsubscribed", "topics": topics}


def _body(event: dict[str, Any]) -> str:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body).decode("utf-8")
        except ValueError:
            return ""
    return body


def management_client(event: dict[str, Any], settings: Settings) -> Any:
    """The Management API of the API the event came through (or the configured one)."""
    endpoint = settings.ws_management_url
    if not endpoint:
        ctx = event["requestContext"]
        endpoint = f"https://{ctx['domainName']}/{ctx['stage']}"
    return client("apigatewaymanagementapi", settings.aws_region, endpoint)


def post(management: Any, connection_id: str, message: dict[str, Any]) -> None:
    try:
        management.post_to_connection(ConnectionId=connection_id, Data=json.dumps(message).encode())
    except Exception as exc:  # the client may be gone already; nothing to tell it then
        log.info("reply to %s not delivered: %s", connection_id, exc)

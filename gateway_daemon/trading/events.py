"""User events: each order or trade change is published on Redis channel ``order.<user_id>`` and offered
to the WebSocket pusher under the same topic."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis

from gateway_daemon.logs import log
from shared.domain.topics import order_topic


class EventPublisher:
    def __init__(self, redis_url: str | None, offer: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self._redis = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=2) if redis_url else None
        self.offer = offer
        self.published: list[tuple[str, dict[str, Any]]] = []  # kept for tests and the health report (last 1000)

    def publish(self, user_id: str | None, kind: str, data: dict[str, Any]) -> None:
        if not user_id:
            return  # an order placed outside quantcloud has nobody to tell
        topic = order_topic(user_id)
        message = {"topic": topic, "data": {"type": kind, **data}}
        self.published.append((topic, message))
        del self.published[:-1000]
        if self._redis is not None:
            try:
                self._redis.publish(topic, json.dumps(message["data"], default=str))
            except redis.RedisError as exc:  # the row is in PostgreSQL; the event is a notification
                log("order_event_not_published", "warning", topic=topic, error=str(exc))
        if self.offer is not None:
            self.offer(topic, json.loads(json.dumps(message, default=str)))

"""The pusher: latest message per (connection, topic) per flush; 410 Gone forgets the connection.

The Management API and DynamoDB are stood in for by plain functions (they are the AWS cloud).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from botocore.exceptions import ClientError

from gateway_daemon.pusher import Pusher, is_gone


def gone_error() -> ClientError:
    return ClientError({"Error": {"Code": "GoneException", "Message": ""},
                        "ResponseMetadata": {"HTTPStatusCode": 410}}, "PostToConnection")


class Endpoint:
    def __init__(self, subscriptions: dict[str, list[str]], closed: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.subscriptions = subscriptions
        self.closed = set(closed)
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.lookups = 0
        self.forgotten: list[str] = []

    def post(self, connection_id: str, data: bytes) -> None:
        if connection_id in self.closed:
            raise gone_error()
        self.posted.append((connection_id, json.loads(data)))

    def subscribers(self, topic: str) -> list[str]:
        self.lookups += 1
        return list(self.subscriptions.get(topic, []))


def tick(symbol: str, price: float) -> dict[str, Any]:
    return {"topic": f"tick.{symbol}", "data": {"symbol": symbol, "last_price": price}}


def test_only_the_latest_message_of_a_topic_is_sent_to_each_subscriber() -> None:
    api = Endpoint({"tick.cu1801": ["A", "B"], "tick.rb1805": ["B"]})
    pusher = Pusher(api.post, api.subscribers)
    for price in (53600.0, 53610.0, 53620.0):
        pusher.offer("tick.cu1801", tick("cu1801", price))
    pusher.offer("tick.rb1805", tick("rb1805", 3810.0))
    pusher.offer("tick.IF1711", tick("IF1711", 4020.0))  # nobody subscribed
    assert asyncio.run(pusher.flush()) == 3
    assert sorted((c, m["data"]["last_price"]) for c, m in api.posted) == [
        ("A", 53620.0), ("B", 3810.0), ("B", 53620.0)]
    assert asyncio.run(pusher.flush()) == 0  # nothing new: nothing sent


def test_gone_connections_are_forgotten() -> None:
    api = Endpoint({"tick.cu1801": ["A", "B"]}, closed={"B"})
    pusher = Pusher(api.post, api.subscribers, api.forgotten.append, cache_ttl_s=0)
    pusher.offer("tick.cu1801", tick("cu1801", 1.0))
    asyncio.run(pusher.flush())
    assert pusher.gone == {"B"} and api.forgotten == ["B"]
    api.closed.clear()  # even if the store still lists it, a gone id is never posted to again
    pusher.offer("tick.cu1801", tick("cu1801", 2.0))
    asyncio.run(pusher.flush())
    assert [c for c, _ in api.posted] == ["A", "A"]


def test_subscribers_are_cached_between_flushes() -> None:
    api = Endpoint({"tick.cu1801": ["A"]})
    pusher = Pusher(api.post, api.subscribers, cache_ttl_s=60)
    for price in (1.0, 2.0, 3.0):
        pusher.offer("tick.cu1801", tick("cu1801", price))
        asyncio.run(pusher.flush())
    assert api.lookups == 1 and len(api.posted) == 3


def test_run_flushes_periodically_and_once_more_on_stop() -> None:
    api = Endpoint({"tick.cu1801": ["A"]})
    pusher = Pusher(api.post, api.subscribers, flush_interval_s=0.02)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(pusher.run(stop))
        pusher.offer("tick.cu1801", tick("cu1801", 1.0))
        await asyncio.sleep(0.1)
        pusher.offer("tick.cu1801", tick("cu1801", 2.0))
        stop.set()
        await task

    asyncio.run(scenario())
    assert [m["data"]["last_price"] for _, m in api.posted] == [1.0, 2.0]


def test_is_gone() -> None:
    assert is_gone(gone_error())
    assert not is_gone(ClientError({"Error": {"Code": "LimitExceededException"},
                                    "ResponseMetadata": {"HTTPStatusCode": 429}}, "PostToConnection"))
    assert not is_gone(RuntimeError("x"))


def test_other_errors_are_counted_and_the_connection_kept() -> None:
    api = Endpoint({"tick.cu1801": ["A"]})
    calls = []

    def throttled(connection_id: str, data: bytes) -> None:
        calls.append(connection_id)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "LimitExceededException"},
                               "ResponseMetadata": {"HTTPStatusCode": 429}}, "PostToConnection")
        api.post(connection_id, data)

    pusher = Pusher(throttled, api.subscribers)
    pusher.offer("tick.cu1801", tick("cu1801", 1.0))
    assert asyncio.run(pusher.flush()) == 0
    pusher.offer("tick.cu1801", tick("cu1801", 2.0))
    assert asyncio.run(pusher.flush()) == 1
    assert pusher.failed == 1 and pusher.gone == frozenset() and pusher.pushed == 1

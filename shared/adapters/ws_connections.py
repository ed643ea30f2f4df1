"""WebSocket connections and their topic subscriptions, kept in DynamoDB.

Two tables (names from the settings):

* connections: PK ``connection_id``; attributes ``user_id``, ``connected_at``
  and ``topics`` (a string set), so a disconnect finds every subscription to
  remove without a secondary index;
* subscriptions: PK ``topic``, SK ``connection_id``, so the pusher finds a
  topic's subscribers with one Query.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.adapters.aws import client
from shared.errors import ServiceUnavailable
from shared.settings import Settings

MAX_TOPICS_PER_CONNECTION = 50


class WsConnections:
    """Connections and subscriptions over a boto3 DynamoDB client."""

    def __init__(self, dynamodb: Any, connections_table: str, subscriptions_table: str) -> None:
        self._ddb = dynamodb
        self._connections = connections_table
        self._subscriptions = subscriptions_table

    @classmethod
    def from_settings(cls, settings: Settings) -> WsConnections:
        ddb = client("dynamodb", settings.aws_region, settings.aws_endpoint_url)
        return cls(ddb, settings.connections_table, settings.subscriptions_table)

    def add(self, connection_id: str, user_id: str, now: datetime) -> None:
        self._call("put_item", TableName=self._connections, Item={
            "connection_id": {"S": connection_id},
            "user_id": {"S": user_id},
            "connected_at": {"S": now.isoformat()},
        })

    def get(self, connection_id: str) -> dict[str, Any] | None:
        """``{"connection_id", "user_id", "connected_at", "topics": set}`` or None."""
        item = self._call("get_item", TableName=self._connections,
                          Key={"connection_id": {"S": connection_id}}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        return {
            "connection_id": item["connection_id"]["S"],
            "user_id": item.get("user_id", {}).get("S", ""),
            "connected_at": item.get("connected_at", {}).get("S"),
            "topics": set(item.get("topics", {}).get("SS", [])),
        }

    def subscribe(self, connection_id: str, topics: Iterable[str]) -> set[str]:
        """Add topics to a connection; returns all its topics afterwards."""
        wanted = set(topics)
        if not wanted:
            return self.topics_of(connection_id)
        known = self.get(connection_id)
        user_id = known["user_id"] if known else ""
        for topic in sorted(wanted):
            self._call("put_item", TableName=self._subscriptions, Item={
                "topic": {"S": topic}, "connection_id": {"S": connection_id}, "user_id": {"S": user_id}})
        updated = self._call(
            "update_item", TableName=self._connections, Key={"connection_id": {"S": connection_id}},
            UpdateExpression="ADD topics :t", ExpressionAttributeValues={":t": {"SS": sorted(wanted)}},
            ReturnValues="ALL_NEW")
        return set(updated["Attributes"].get("topics", {}).get("SS", []))

    def unsubscribe(self, connection_id: str, topics: Iterable[str]) -> set[str]:
        """Remove topics from a connection; returns the topics it keeps."""
        gone = set(topics)
        if not gone:
            return self.topics_of(connection_id)
        self._delete_subscriptions(connection_id, gone)
        updated = self._call(
            "update_item", TableName=self._connections, Key={"connection_id": {"S": connection_id}},
            UpdateExpression="DELETE topics :t", ExpressionAttributeValues={":t": {"SS": sorted(gone)}},
            ReturnValues="ALL_NEW")
        return set(updated["Attributes"].get("topics", {}).get("SS", []))

    def topics_of(self, connection_id: str) -> set[str]:
        known = self.get(connection_id)
        return known["topics"] if known else set()

    def remove(self, connection_id: str) -> None:
        """Forget a connection and every subscription it holds (idempotent)."""
        self._delete_subscriptions(connection_id, self.topics_of(connection_id))
        self._call("delete_item", TableName=self._connections, Key={"connection_id": {"S": connection_id}})

    def subscribers(self, topic: str, user_id: str | None = None) -> list[str]:
        """Connection ids subscribed to ``topic`` (only ``user_id``'s connections, when given)."""
        ids: list[str] = []
        kwargs: dict[str, Any] = {
            "TableName": self._subscriptions, "KeyConditionExpression": "topic = :t",
            "ExpressionAttributeValues": {":t": {"S": topic}}, "ProjectionExpression": "connection_id"}
        if user_id is not None:
            kwargs["FilterExpression"] = "user_id = :u"
            kwargs["ExpressionAttributeValues"][":u"] = {"S": user_id}
        while True:
            page = self._call("query", **kwargs)
            ids.extend(item["connection_id"]["S"] for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return ids
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _delete_subscriptions(self, connection_id: str, topics: Iterable[str]) -> None:
        for topic in topics:
            self._call("delete_item", TableName=self._subscriptions,
                       Key={"topic": {"S": topic}, "connection_id": {"S": connection_id}})

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self._ddb, operation)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise ServiceUnavailable(f"connection store unavailable ({operation})") from exc

"""The WebSocket pusher: the latest message of each topic to each subscriber, every ~100 ms.

Ticks arrive far faster than a browser needs them, so messages are conflated
per (connection, topic): between two flushes only a topic's latest message is
kept, and each subscriber gets it once. Subscribers come from DynamoDB (the
``$default`` route writes them), cached for about a second. A connection that
answers 410 Gone is forgotten for good and its records removed.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from gateway_daemon.logs import log

Post = Callable[[str, bytes], None]  # (connection_id, data); raises ClientError
Subscribers = Callable[[str], list[str]]  # topic -> connection ids


def is_gone(exc: Exception) -> bool:
    if not isinstance(exc, ClientError):
        return False
    code = exc.response.get("Error", {}).get("Code")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code == "GoneException" or status == 410


class Pusher:
    def __init__(self, post: Post, subscribers: Subscribers, forget: Callable[[str], None] | None = None, *,
                 flush_interval_s: float = 0.1, cache_ttl_s: float = 1.0, workers: int = 8) -> None:
        self._post = post
        self._subscribers = subscribers
        self._forget = forget
        self.flush_interval_s = flush_interval_s
        self.cache_ttl_s = cache_ttl_s
        self._pending: dict[str, dict[str, Any]] = {}
        self._cache: dict[str, tuple[float, list[str]]] = {}
        self._gone: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push")
        self.pushed = 0
        self.failed = 0

    @property
    def gone(self) -> frozenset[str]:
        return frozenset(self._gone)

    def offer(self, topic: str, message: dict[str, Any]) -> None:
        """Keep ``message`` as the topic's latest (event-loop thread only)."""
        self._pending[topic] = message

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every ``flush_interval_s`` until ``stop`` is set, then once more."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.flush_interval_s)
            except TimeoutError:
                pass
            await self.flush()

    async def flush(self) -> int:
        """Deliver what is pending; returns the number of messages posted."""
        pending, self._pending = self._pending, {}
        if not pending:
            return 0
        return await asyncio.get_running_loop().run_in_executor(None, self._deliver, pending)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _deliver(self, pending: dict[str, dict[str, Any]]) -> int:
        jobs: list[tuple[str, bytes]] = []
        for topic, message in pending.items():
            data = json.dumps(message, separators=(",", ":")).encode()
            jobs.extend((conn, data) for conn in self._subscribers_of(topic) if conn not in self._gone)
        errors = [e for e in self._pool.map(self._post_one, jobs) if e is not None]
        delivered = len(jobs) - len(errors)
        failed = [e for e in errors if not is_gone(e)]
        if failed:  # one line per flush, not one per message: an unreachable endpoint fails them all
            self.failed += len(failed)
            log("push_failed", "warning", failed=len(failed), of=len(jobs), error=str(failed[0]))
        self.pushed += delivered
        return delivered

    def _post_one(self, job: tuple[str, bytes]) -> Exception | None:
        connection_id, data = job
        try:
            self._post(connection_id, data)
            return None
        except Exception as exc:
            if is_gone(exc):
                self._forget_connection(connection_id)
            return exc

    def _forget_connection(self, connection_id: str) -> None:
        if connection_id in self._gone:
            return
        self._gone.add(connection_id)
        log("connection_gone", connection_id=connection_id)
        if self._forget is not None:
            try:
                self._forget(connection_id)
            except Exception as exc:  # cleanup only: $disconnect normally did it already
                log("forget_failed", "warning", connection_id=connection_id, error=str(exc))

    def _subscribers_of(self, topic: str) -> list[str]:
        now = time.monotonic()
        cached = self._cache.get(topic)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            ids = self._subscribers(topic)
        except Exception as exc:
            log("subscribers_unavailable", "warning", topic=topic, error=str(exc))
            ids = cached[1] if cached else []
        self._cache[topic] = (now + self.cache_ttl_s, ids)
        return ids


def management_poster(endpoint_url: str, region: str, workers: int = 8) -> Post:
    """``post_to_connection`` on the Management API at ``endpoint_url``."""
    import boto3
    from botocore.config import Config

    api = boto3.client("apigatewaymanagementapi", region_name=region, endpoint_url=endpoint_url,
                       config=Config(max_pool_connections=workers, retries={"max_attempts": 2, "mode": "standard"},
                                     connect_timeout=2, read_timeout=5))

    def post(connection_id: str, data: bytes) -> None:
        api.post_to_connection(ConnectionId=connection_id, Data=data)

    return post

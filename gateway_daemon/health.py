"""Liveness for operators: a Redis heartbeat key and a tiny HTTP health endpoint.

``daemon:heartbeat`` holds the daemon's state as JSON and expires after
``ttl_s``, so a missing key means a dead or stuck daemon. ``GET /health``
answers with the same JSON: status "ok" when both CTP sessions are up, "degraded"
while they are not (fronts close outside trading hours: no reason to restart),
and HTTP 503 only when the daemon cannot recover by itself (AuthCode refused).
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
import redis.asyncio

from gateway_daemon.logs import log

HEARTBEAT_KEY = "daemon:heartbeat"

State = Callable[[], dict[str, Any]]


async def heartbeat(redis_url: str, state: State, stop: asyncio.Event, *, every_s: float = 5.0,
                    ttl_s: int = 30) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True, socket_timeout=2)
    try:
        while not stop.is_set():
            try:
                body = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **state()}
                await client.set(HEARTBEAT_KEY, json.dumps(body, default=str), ex=ttl_s)
            except redis.RedisError as exc:
                log("heartbeat_failed", "warning", error=str(exc))
            try:
                await asyncio.wait_for(stop.wait(), every_s)
            except TimeoutError:
                pass
    finally:
        await client.aclose()


async def serve_health(port: int, state: State, healthy: Callable[[], bool],
                       ready: Callable[[], bool]) -> asyncio.AbstractServer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readline(), 2)
            ok = healthy()
            status = ("ok" if ready() else "degraded") if ok else "failed"
            body = json.dumps({"status": status, **state()}, default=str).encode()
            head = f"HTTP/1.1 {'200 OK' if ok else '503 Service Unavailable'}\r\nContent-Type: application/json\r\n" \
                   f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "0.0.0.0", port)
    log("health_listening", port=port)
    return server

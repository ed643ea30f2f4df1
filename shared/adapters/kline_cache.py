"""K-line responses cached in Redis as JSON (never pickle: unpickling runs code for whoever can write the key).

The key names the query AND the data it was built from: the number of stored
1-minute bars in the fetched window and the latest one's ts (``pg_bar_ranges.
window_version``). Bars are insert-only (``ON CONFLICT DO NOTHING``), so a
new or back-filled minute bar changes the key and a cached answer is never
stale; entries expire after ``TTL_S``. A failed cache read or write is logged
and skipped (the route itself still fails closed, with 503, while Redis is away:
it cannot check the token's revocation).
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import redis

TTL_S = 3600
PREFIX = "klines:v1:"
log = logging.getLogger(__name__)


def cache_key(symbol: str, query: dict[str, Any], version: tuple[int, str | None]) -> str:
    """``klines:v1:<symbol>:<hash of the query and the data version>``."""
    text = json.dumps({"q": query, "v": list(version)}, sort_keys=True, default=str)
    return f"{PREFIX}{symbol}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def get(client: redis.Redis, key: str) -> str | None:
    """The cached JSON text, or None (also when Redis is away)."""
    try:
        return client.get(key)
    except redis.RedisError as exc:
        log.warning("kline cache read failed: %s", exc)
        return None


def put(client: redis.Redis, key: str, text: str, ttl_s: int = TTL_S) -> None:
    """Store the JSON text of an answer (callers encode once and send the same text)."""
    try:
        client.set(key, text, ex=ttl_s)
    except redis.RedisError as exc:
        log.warning("kline cache write failed: %s", exc)

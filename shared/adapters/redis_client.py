"""Redis connections: one client per URL per process (redis-py pools inside)."""
from __future__ import annotations

import functools

import redis


@functools.cache
def redis_client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, decode_responses=True, socket_connect_timeout=3)

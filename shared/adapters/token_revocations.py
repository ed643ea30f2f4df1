"""Revoked tokens in Redis: one key ``auth:revoked:<jti>`` per token.

Each key expires when its token would have expired anyway, so the set of
keys never grows beyond the live tokens and no logout extends another's
entry (the seed's single shared set did both wrong).
"""
from __future__ import annotations

import math
from datetime import datetime

import redis

from shared.auth.tokens import Claims
from shared.errors import ServiceUnavailable

PREFIX = "auth:revoked:"


def revocation_key(jti: str) -> str:
    return PREFIX + jti


def revoke(client: redis.Redis, claims: Claims, now: datetime) -> None:
    """Mark the token revoked until its expiry."""
    ttl_s = math.ceil((claims.expires_at - now).total_seconds())
    if ttl_s <= 0:
        return  # already expired: verification refuses it without our help
    try:
        client.set(revocation_key(claims.jti), "1", ex=ttl_s)
    except redis.RedisError as exc:
        raise ServiceUnavailable("token store unreachable: could not revoke the token") from exc


def is_revoked(client: redis.Redis, jti: str) -> bool:
    """True when the token was revoked; fails closed (ServiceUnavailable) when Redis is away."""
    try:
        return bool(client.exists(revocation_key(jti)))
    except redis.RedisError as exc:
        raise ServiceUnavailable("token store unreachable: cannot check revocation") from exc

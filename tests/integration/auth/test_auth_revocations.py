"""Revocation: one Redis key per token, expiring with the token."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis

from shared.adapters.token_revocations import is_revoked, revoke
from shared.auth.tokens import Claims

NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def test_revoked_key_lives_until_the_token_expires(redis_url: str) -> None:
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    revoke(r, Claims("u", "jti-1", NOW + timedelta(seconds=900)), NOW)
    revoke(r, Claims("u", "jti-2", NOW + timedelta(seconds=60)), NOW)
    assert is_revoked(r, "jti-1") and is_revoked(r, "jti-2") and not is_revoked(r, "jti-3")
    assert 895 <= r.ttl("auth:revoked:jti-1") <= 900
    assert 55 <= r.ttl("auth:revoked:jti-2") <= 60  # a later logout did not stretch it


def test_expired_token_needs_no_key(redis_url: str) -> None:
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    revoke(r, Claims("u", "old", NOW - timedelta(seconds=1)), NOW)
    assert r.keys("auth:revoked:*") == []

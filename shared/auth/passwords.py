"""Password hashing with Argon2id (argon2-cffi), never hand-rolled.

``verify_password`` answers False for a wrong password or an unreadable
hash; it never raises, so callers have one failure path.
"""
from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash string (salt and parameters included)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("no-such-user-placeholder")


def burn_verification_time(password: str) -> None:
    """Spend as long as a real verification, so a login for an unknown user
    takes as long as one with a wrong password (no username probing by timing)."""
    verify_password(_dummy_hash(), password)

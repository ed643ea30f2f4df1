"""Users and the audit log in PostgreSQL.

``create_user`` and ``write_audit`` take the caller's connection so a
registration and its audit row can share one transaction.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from shared.errors import Conflict


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    password_hash: str


def create_user(conn: psycopg.Connection, username: str, password_hash: str) -> User:
    """Insert a user with a new id; ``Conflict`` when the username is taken."""
    user_id = str(uuid.uuid4())
    try:
        # a savepoint inside a caller's transaction, so the conflict can still be audited after it
        with conn.transaction():
            conn.execute("INSERT INTO users (id, username, password_hash) VALUES (%s, %s, %s)",
                         (user_id, username, password_hash))
    except psycopg.errors.UniqueViolation as exc:
        raise Conflict(f"username {username!r} is already taken", {"username": username}) from exc
    return User(user_id, username, password_hash)


def find_user(conn: psycopg.Connection, username: str) -> User | None:
    row = conn.execute("SELECT id, username, password_hash FROM users WHERE username = %s",
                       (username,)).fetchone()
    return User(str(row[0]), row[1], row[2]) if row else None


def get_user(conn: psycopg.Connection, user_id: str) -> User | None:
    row = conn.execute("SELECT id, username, password_hash FROM users WHERE id = %s",
                       (user_id,)).fetchone()
    return User(str(row[0]), row[1], row[2]) if row else None


def write_audit(conn: psycopg.Connection, action: str, user_id: str | None,
                detail: dict[str, Any] | None = None) -> None:
    """One audit row, committed when this returns (or with the caller's transaction)."""
    conn.execute("INSERT INTO audit_log (user_id, action, detail) VALUES (%s, %s, %s)",
                 (user_id, action, Jsonb(detail or {})))

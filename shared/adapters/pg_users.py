"""Users and the audit log in PostgreSQL.

Each function is one SQL statement, so on a connection in autocommit mode it
is atomic by itself; no transaction spans statements (the container's one
connection may serve several threads of a local server at once).
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


_REGISTER_SQL = """
WITH created AS (
    INSERT INTO users (id, username, password_hash) VALUES (%(id)s, %(username)s, %(hash)s) RETURNING id
)
INSERT INTO audit_log (user_id, action, detail) SELECT id, 'register', %(detail)s FROM created
"""


def register_user(conn: psycopg.Connection, username: str, password_hash: str) -> User:
    """Insert a user with a new id and its ``register`` audit row, both or neither.

    ``Conflict`` when the username is taken.
    """
    user_id = str(uuid.uuid4())
    try:
        conn.execute(_REGISTER_SQL, {"id": user_id, "username": username, "hash": password_hash,
                                     "detail": Jsonb({"username": username})})
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

"""PostgreSQL connections (psycopg 3).

A Lambda container or the daemon keeps one connection for its life; a
dropped connection is replaced on the next call.
"""
from __future__ import annotations

import functools

import psycopg

from shared.errors import ServiceUnavailable


def connect(database_url: str, *, autocommit: bool = True) -> psycopg.Connection:
    try:
        return psycopg.connect(database_url, autocommit=autocommit, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable("database unreachable") from exc


@functools.cache
def _cached(database_url: str) -> list[psycopg.Connection]:
    return []


def shared_connection(database_url: str) -> psycopg.Connection:
    """The container's connection (autocommit), reconnecting if it was closed or broken."""
    holder = _cached(database_url)
    if not holder or holder[0].closed or holder[0].broken:
        holder[:] = [connect(database_url)]
    return holder[0]

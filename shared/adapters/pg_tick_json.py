"""Ticks into PostgreSQL from their JSON text (``Tick.to_json`` keys), parsed by the server.

The daemon already holds each tick as JSON (for Redis and its journal). Sending a
batch as one JSON array and letting PostgreSQL's C parser build the rows
(``json_populate_recordset``) leaves no per-row Python work: a batch is one
``str.join`` and one statement (no staging table: 117k vs 100k rows/s with a
COPY into one, on the recorded ticks). Ticks already stored (same symbol, ts,
seq) are skipped.

Live ticks are new, so a batch is first appended without the conflict check
(``ON CONFLICT`` costs 2.2 of the 7.9 us of server CPU a row). Only when that
meets a stored tick (a restart's first snapshot, a journal replayed after a
crash) is the batch stored again, skipping those.
"""
from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import errors

from shared.adapters.pg_ticks import TICK_TABLE_COLUMNS

_COLS = ", ".join(TICK_TABLE_COLUMNS)
_APPEND = f"INSERT INTO ticks ({_COLS}) SELECT {_COLS} FROM json_populate_recordset(NULL::ticks, %s::json)"
_MERGE = _APPEND + " ON CONFLICT DO NOTHING"


def insert_tick_json(conn: psycopg.Connection, texts: Sequence[str]) -> int:
    """Store ticks given as JSON objects (one per text); returns the rows added."""
    if not texts:
        return 0
    batch = "[" + ",".join(texts) + "]"
    try:
        with conn.transaction():
            return conn.execute(_APPEND, (batch,)).rowcount
    except errors.UniqueViolation:
        with conn.transaction():
            return conn.execute(_MERGE, (batch,)).rowcount

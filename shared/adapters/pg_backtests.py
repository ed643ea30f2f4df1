"""The ``backtests`` table: one row per requested backtest, its progress and its result.

Status moves PENDING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED. Every write is a plain
UPDATE by id, so a retried Lambda writes the same row again harmlessly; a cancelled row
stays CANCELLED whatever a worker still running writes afterwards.
"""
from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

_COLUMNS = "id, user_id, spec, status, execution_arn, total, done, result, error, created_at, updated_at"


def create_backtest(conn: psycopg.Connection, id: str, user_id: str, spec: dict[str, Any], total: int) -> None:
    conn.execute(
        "INSERT INTO backtests (id, user_id, spec, status, total) VALUES (%s, %s, %s, 'PENDING', %s)",
        (id, user_id, Jsonb(spec), total),
    )


def set_running(conn: psycopg.Connection, id: str, execution_arn: str) -> None:
    # never moves a finished backtest back to RUNNING (a late or repeated call)
    conn.execute(
        "UPDATE backtests SET execution_arn = %s, updated_at = now(),"
        " status = CASE WHEN status = 'PENDING' THEN 'RUNNING' ELSE status END WHERE id = %s",
        (execution_arn, id),
    )


def set_total(conn: psycopg.Connection, id: str, total: int) -> None:
    conn.execute("UPDATE backtests SET total = %s, updated_at = now() WHERE id = %s", (total, id))


def set_progress(conn: psycopg.Connection, id: str, done: int) -> None:
    conn.execute("UPDATE backtests SET done = %s, updated_at = now() WHERE id = %s", (done, id))


def add_progress(conn: psycopg.Connection, id: str, finished: int, shard: int | None = None) -> tuple[int, int] | None:
    """Count ``finished`` more combinations as done, once per ``shard`` (a retried shard is not
    counted again) and never past ``total``. Returns (done, total), or None for an unknown id."""
    if shard is None:
        row = conn.execute(
            "UPDATE backtests SET done = LEAST(total, done + %s), updated_at = now() WHERE id = %s"
            " RETURNING done, total", (finished, id)).fetchone()
    else:
        row = conn.execute(
            "UPDATE backtests SET done = LEAST(total, done + %s), done_shards = array_append(done_shards, %s),"
            " updated_at = now() WHERE id = %s AND NOT (%s = ANY (done_shards)) RETURNING done, total",
            (finished, shard, id, shard)).fetchone()
        if row is None:
            row = conn.execute("SELECT done, total FROM backtests WHERE id = %s", (id,)).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def set_result(conn: psycopg.Connection, id: str, result: dict[str, Any], done: int | None = None) -> bool:
    """Store the result and mark SUCCEEDED; ``done`` defaults to ``total`` (fewer when shards failed).
    False when the backtest was cancelled meanwhile (it stays CANCELLED, without the result)."""
    row = conn.execute(
        "UPDATE backtests SET result = %s, status = 'SUCCEEDED', done = COALESCE(%s, total), error = NULL,"
        " updated_at = now() WHERE id = %s AND status <> 'CANCELLED' RETURNING id",
        (Jsonb(result), done, id),
    ).fetchone()
    return row is not None


def set_failed(conn: psycopg.Connection, id: str, error: str) -> None:
    conn.execute(
        "UPDATE backtests SET status = 'FAILED', error = %s, updated_at = now()"
        " WHERE id = %s AND status <> 'CANCELLED'",
        (error, id),
    )


def set_cancelled(conn: psycopg.Connection, id: str, done: int | None = None) -> bool:
    """Mark a PENDING or RUNNING backtest CANCELLED, keeping ``done`` (the progress it had reached,
    which workers never write here) when given; False if it had already finished."""
    row = conn.execute(
        "UPDATE backtests SET status = 'CANCELLED', done = COALESCE(%s, done), updated_at = now()"
        " WHERE id = %s AND status IN ('PENDING', 'RUNNING') RETURNING id",
        (done, id),
    ).fetchone()
    return row is not None


def owner_of(conn: psycopg.Connection, id: str) -> str | None:
    """The user id of the backtest's owner, or None for an unknown id."""
    row = conn.execute("SELECT user_id FROM backtests WHERE id = %s", (id,)).fetchone()
    return None if row is None else str(row[0])


def get_backtest(conn: psycopg.Connection, id: str, user_id: str) -> dict[str, Any] | None:
    """The row as a dict (ids as strings), or None if it does not exist or is someone else's."""
    cur = conn.execute(f"SELECT {_COLUMNS} FROM backtests WHERE id = %s AND user_id = %s", (id, user_id))
    row = cur.fetchone()
    if row is None:
        return None
    names = [d.name for d in cur.description]
    record = dict(zip(names, row, strict=True))
    record["id"], record["user_id"] = str(record["id"]), str(record["user_id"])
    return record


def instrument_terms(conn: psycopg.Connection, symbol: str) -> tuple[float, float] | None:
    """(contract size, price tick) stored for ``symbol``, or None if the instrument is unknown."""
    row = conn.execute("SELECT multiplier, price_tick FROM instruments WHERE symbol = %s", (symbol,)).fetchone()
    return None if row is None else (float(row[0]), float(row[1]))


def instrument_multiplier(conn: psycopg.Connection, symbol: str) -> float | None:
    """The contract size stored for ``symbol``, or None if the instrument is unknown."""
    row = conn.execute("SELECT multiplier FROM instruments WHERE symbol = %s", (symbol,)).fetchone()
    return None if row is None else float(row[0])

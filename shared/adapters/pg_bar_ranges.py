"""Questions about where a symbol's 1-minute bars lie, answered from the (symbol, ts) index."""
from __future__ import annotations

from datetime import date, datetime

import psycopg


def has_bars(conn: psycopg.Connection, symbol: str, first_day: date, last_day: date) -> bool:
    """True when ``symbol`` has a 1-minute bar with a trading day in ``first_day..last_day``."""
    row = conn.execute(
        "SELECT 1 FROM bars_1m WHERE symbol = %s AND trading_day BETWEEN %s AND %s LIMIT 1",
        (symbol, first_day, last_day)).fetchone()
    return row is not None


def start_of_latest(conn: psycopg.Connection, symbol: str, count: int, end: datetime | None) -> datetime | None:
    """The ts of the ``count``-th latest bar at or before ``end``; None when there are fewer bars."""
    row = conn.execute(
        "SELECT ts FROM bars_1m WHERE symbol = %(symbol)s AND (%(end)s::timestamptz IS NULL OR ts <= %(end)s)"
        " ORDER BY ts DESC OFFSET %(skip)s LIMIT 1",
        {"symbol": symbol, "end": end, "skip": count - 1}).fetchone()
    return row[0] if row else None


def window_version(conn: psycopg.Connection, symbol: str, start: datetime | None,
                   end: datetime | None) -> tuple[int, str | None]:
    """(number of 1-minute bars with start <= ts <= end, latest ts as ISO text): changes with every new bar."""
    row = conn.execute(
        "SELECT count(*), max(ts) FROM bars_1m WHERE symbol = %(symbol)s"
        " AND (%(start)s::timestamptz IS NULL OR ts >= %(start)s) AND (%(end)s::timestamptz IS NULL OR ts <= %(end)s)",
        {"symbol": symbol, "start": start, "end": end}).fetchone()
    return int(row[0]), (row[1].isoformat() if row[1] is not None else None)


def has_bars_before(conn: psycopg.Connection, symbol: str, before: datetime, start: datetime | None,
                    first_day: date | None) -> bool:
    """Whether a 1-minute bar older than ``before`` exists at or after ``start`` / in ``first_day`` or later."""
    row = conn.execute(
        "SELECT 1 FROM bars_1m WHERE symbol = %(symbol)s AND ts < %(before)s"
        " AND (%(start)s::timestamptz IS NULL OR ts >= %(start)s)"
        " AND (%(day)s::date IS NULL OR trading_day >= %(day)s) LIMIT 1",
        {"symbol": symbol, "before": before, "start": start, "day": first_day}).fetchone()
    return row is not None

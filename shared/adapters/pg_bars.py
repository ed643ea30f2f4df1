"""1-minute bars in PostgreSQL: ``PgBarStore`` reads them for the K-line API and stores new ones."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
import psycopg

from shared.adapters.pg_copy import copy_insert
from shared.adapters.pg_instruments import has_instrument
from shared.domain.bars import BAR_COLUMNS, Bar

BAR_TABLE_COLUMNS = ("symbol", "ts", "trading_day", "open", "high", "low", "close", "volume", "turnover",
                     "open_interest")
_MINUTE_BARS_SQL = (
    "SELECT ts, trading_day, open, high, low, close, volume, open_interest FROM bars_1m "
    "WHERE symbol = %(symbol)s AND (%(start)s::timestamptz IS NULL OR ts >= %(start)s) "
    "AND (%(end)s::timestamptz IS NULL OR ts <= %(end)s) ORDER BY ts"
)


def _row(bar: Bar | Sequence[Any]) -> Sequence[Any]:
    if isinstance(bar, Bar):
        return (bar.symbol, bar.ts, bar.trading_day, bar.open, bar.high, bar.low, bar.close, bar.volume,
                bar.turnover, bar.open_interest)
    return bar


class PgBarStore:
    """Bars of the ``bars_1m`` table over one psycopg connection."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def has_instrument(self, symbol: str) -> bool:
        return has_instrument(self.conn, symbol)

    def minute_bars(self, symbol: str, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
        """Bars with start <= ts <= end (either bound optional), oldest first, columns ``BAR_COLUMNS``.

        ts is tz-aware Asia/Shanghai, trading_day a ``datetime.date``.
        """
        with self.conn.cursor() as cur:
            cur.execute(_MINUTE_BARS_SQL, {"symbol": symbol, "start": start, "end": end})
            rows = cur.fetchall()
        frame = pd.DataFrame(rows, columns=BAR_COLUMNS)
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.tz_convert("Asia/Shanghai")
        frame["volume"] = frame["volume"].astype("int64")
        for column in ("open", "high", "low", "close", "open_interest"):
            frame[column] = frame[column].astype("float64")
        return frame

    def insert_bars(self, rows: Iterable[Bar | Sequence[Any]]) -> int:
        """Store bars (``Bar`` or tuples in ``BAR_TABLE_COLUMNS`` order); returns rows added.

        The instruments must exist; bars already stored (same symbol and ts) are skipped.
        """
        return copy_insert(self.conn, "bars_1m", BAR_TABLE_COLUMNS, (_row(r) for r in rows))

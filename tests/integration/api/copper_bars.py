"""Real SHFE copper 1-minute bars (the bundled sample), loaded into the test database."""
from __future__ import annotations

import csv
import functools
import gzip
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

SH = ZoneInfo("Asia/Shanghai")
NAME = "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
CANDIDATES = (Path(__file__).parents[3] / "data" / NAME, Path("/work/shared/data") / NAME)


def sample_path() -> Path:
    return next(p for p in CANDIDATES if p.exists())


def load_copper(conn: psycopg.Connection, trading_days: set[str]) -> int:
    """Insert cu_main (SHFE) and its bars of ``trading_days`` (``YYYYMMDD``); return the bar count."""
    conn.execute("INSERT INTO instruments (symbol, exchange, product, multiplier, price_tick)"
                 " VALUES ('cu_main', 'SHFE', 'cu', 5, 10) ON CONFLICT DO NOTHING")
    rows = _rows(frozenset(trading_days))
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO bars_1m (symbol, ts, trading_day, open, high, low, close, volume, turnover,"
                        " open_interest) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    return len(rows)


@functools.cache
def _rows(trading_days: frozenset[str]) -> list[tuple]:
    rows = []
    last_day = max(trading_days)
    with gzip.open(sample_path(), "rt", newline="") as f:
        for r in csv.DictReader(f):
            if r["trading_day"] in trading_days:
                rows.append((r["symbol"], datetime.fromisoformat(r["datetime"]).replace(tzinfo=SH),
                             datetime.strptime(r["trading_day"], "%Y%m%d").date(), float(r["open"]),
                             float(r["high"]), float(r["low"]), float(r["close"]), int(r["volume"]),
                             float(r["turnover"]) if r["turnover"] else None,
                             float(r["open_interest"]) if r["open_interest"] else None))
            elif r["trading_day"] > last_day:
                break  # the file is in time order
    return rows

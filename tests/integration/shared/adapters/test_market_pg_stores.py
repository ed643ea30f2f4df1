"""PgBarStore, insert_ticks and ensure_instrument against the real PostgreSQL."""
from __future__ import annotations

import csv
import gzip
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from shared.adapters.pg_bars import PgBarStore
from shared.adapters.pg_ticks import ensure_instrument, insert_ticks
from shared.domain.bars import Bar
from shared.domain.ticks import TickCleaner

SH = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).parents[4] / "data"


def copper_bars(days: set[str]) -> list[Bar]:
    bars = []
    with gzip.open(DATA / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz", "rt", newline="") as f:
        for r in csv.DictReader(f):
            if r["trading_day"] in days:
                bars.append(Bar("cu_main", datetime.fromisoformat(r["datetime"]).replace(tzinfo=SH),
                                datetime.strptime(r["trading_day"], "%Y%m%d").date(), float(r["open"]),
                                float(r["high"]), float(r["low"]), float(r["close"]), int(r["volume"]),
                                float(r["turnover"]), None))
            elif r["trading_day"] > max(days):
                break
    return bars


def test_ensure_instrument_uses_the_product_table(db: psycopg.Connection) -> None:
    assert ensure_instrument(db, "i1801", "DCE") is True
    assert ensure_instrument(db, "i1801", "DCE") is False
    assert db.execute("SELECT exchange, product, multiplier, price_tick FROM instruments").fetchall() == [
        ("DCE", "i", 100.0, 0.5)]


def test_bar_store_round_trip(db: psycopg.Connection) -> None:
    store = PgBarStore(db)
    assert not store.has_instrument("cu_main")
    ensure_instrument(db, "cu_main", "SHFE")
    bars = copper_bars({"20210104", "20210105"})
    assert len(bars) == 225 + 465  # 2021-01-04 has no night session
    assert store.insert_bars(reversed(bars)) == 690
    assert store.insert_bars(bars[:10]) == 0
    assert store.has_instrument("cu_main")

    frame = store.minute_bars("cu_main")
    assert list(frame.columns) == ["ts", "trading_day", "open", "high", "low", "close", "volume", "open_interest"]
    assert len(frame) == 690 and frame["ts"].is_monotonic_increasing
    first = frame.iloc[0]
    assert (first["ts"].isoformat(), first["trading_day"], first["open"], first["volume"]) == (
        "2021-01-04T09:00:00+08:00", date(2021, 1, 4), 57750.0, 3297)

    night = store.minute_bars("cu_main", datetime(2021, 1, 4, 21, 0, tzinfo=SH), datetime(2021, 1, 4, 21, 4, tzinfo=SH))
    assert night["open"].tolist() == [58220.0, 58270.0, 58370.0, 58390.0, 58440.0]
    assert set(night["trading_day"]) == {date(2021, 1, 5)}
    assert store.minute_bars("cu_main", start=datetime(2021, 1, 5, 14, 59, tzinfo=SH))["close"].tolist() == [58110.0]
    assert store.minute_bars("nothing").empty


def test_insert_ticks_counts_new_rows_only(db: psycopg.Connection) -> None:
    cleaner = TickCleaner()
    with gzip.open(DATA / "ticks_ctp_5_contracts_20171113.csv.gz", "rt", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["InstrumentID"] == "i1801"]
    ticks = [t for t in map(cleaner.clean, rows) if t is not None]
    assert len(ticks) == 42_649 - 2  # one exact duplicate, one post-close snapshot at 15:00:25 (data/README.md)
    ensure_instrument(db, "i1801", "DCE")
    assert insert_ticks(db, ticks[:1000]) == 1000
    assert insert_ticks(db, ticks) == len(ticks) - 1000
    assert insert_ticks(db, ticks) == 0
    # the night tick stamped 21:12:36 with UpdateMillisec 5 keeps its 5 ms
    stored = db.execute("SELECT trading_day, last_price, volume, cum_volume FROM ticks WHERE ts = %s",
                        (datetime(2017, 11, 10, 21, 12, 36, 5000, tzinfo=SH),)).fetchall()
    assert stored == [(date(2017, 11, 13), 461.5, 168, 130922)]
    assert db.execute("SELECT sum(volume) FROM ticks").fetchone() == (ticks[-1].cum_volume,)


def test_ticks_carry_no_foreign_key_but_bars_do(db: psycopg.Connection) -> None:
    # migration 0005: the per-row check cost a third of the server's time per tick row
    keys = dict(db.execute("SELECT conrelid::regclass::text, count(*) FROM pg_constraint "
                           "WHERE contype = 'f' AND conrelid::regclass::text IN ('ticks', 'bars_1m') "
                           "GROUP BY 1").fetchall())
    assert keys == {"bars_1m": 1}

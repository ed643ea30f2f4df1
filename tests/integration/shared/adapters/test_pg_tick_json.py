"""insert_tick_json against the real PostgreSQL: new ticks are appended, stored ones are skipped."""
from __future__ import annotations

from dataclasses import replace

import psycopg

from gateway_daemon.replay import load_rows
from gateway_daemon.tick_json import tick_json
from shared.adapters.pg_tick_json import insert_tick_json
from shared.domain.ticks import TickCleaner

DATA = "data/ticks_ctp_5_contracts_20171113.csv.gz"
COLUMNS = ("symbol, ts, seq, trading_day, last_price, volume, cum_volume, turnover, open_interest, bid_price1, "
           "bid_volume1, ask_price1, ask_volume1")


def _ticks(n: int):
    cleaner = TickCleaner()
    return [t for t in (cleaner.clean(row) for row in load_rows(DATA, ["cu1801", "IF1711"])[:n]) if t is not None]


def _row(t):
    return (t.symbol, t.ts, t.seq, t.trading_day, t.last_price, t.volume, t.cum_volume, t.turnover,
            t.open_interest, t.bid_price1, t.bid_volume1, t.ask_price1, t.ask_volume1)


def _stored(db: psycopg.Connection):
    return db.execute(f"SELECT {COLUMNS} FROM ticks ORDER BY symbol, ts, seq").fetchall()


def test_new_ticks_are_stored_column_for_column(db: psycopg.Connection) -> None:
    ticks = _ticks(800)
    assert insert_tick_json(db, [tick_json(t) for t in ticks]) == len(ticks) > 700
    assert _stored(db) == sorted(_row(t) for t in ticks)


def test_a_batch_that_meets_stored_ticks_adds_only_the_new_ones(db: psycopg.Connection) -> None:
    ticks = _ticks(600)
    first, rest = ticks[:300], ticks[300:]
    insert_tick_json(db, [tick_json(t) for t in first])
    # a restart's snapshot and a replayed journal: stored ticks again, one of them twice in the batch and one
    # with another price (the stored row stays as it was), then new ones
    again = first[-50:] + [first[-1], replace(first[-2], last_price=first[-2].last_price + 1000)] + rest
    assert insert_tick_json(db, [tick_json(t) for t in again]) == len(rest)
    assert _stored(db) == sorted(_row(t) for t in ticks)
    # the failed append left no transaction open: the connection takes the next batch
    assert db.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert insert_tick_json(db, [tick_json(t) for t in ticks]) == 0


def test_an_empty_batch_adds_nothing(db: psycopg.Connection) -> None:
    assert insert_tick_json(db, []) == 0

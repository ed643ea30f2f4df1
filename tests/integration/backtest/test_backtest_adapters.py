"""The backtests table and the S3 staging, against real PostgreSQL and moto S3."""
from __future__ import annotations

import uuid

import boto3
import numpy as np
import psycopg
import pytest

from shared.adapters import pg_backtests as pg
from shared.adapters.s3_bars import load_bars, stage_bars
from shared.backtest.bars import BarArrays

USER = str(uuid.uuid4())
OTHER = str(uuid.uuid4())
BUCKET = "bt-test"


@pytest.fixture
def users(db: psycopg.Connection) -> psycopg.Connection:
    db.execute("INSERT INTO users (id, username, password_hash) VALUES (%s, 'a', 'x'), (%s, 'b', 'x')", (USER, OTHER))
    return db


def test_lifecycle_pending_running_progress_succeeded(users: psycopg.Connection) -> None:
    bt = str(uuid.uuid4())
    pg.create_backtest(users, bt, USER, {"symbol": "cu_main"}, total=10)
    row = pg.get_backtest(users, bt, USER)
    assert row is not None
    assert (row["id"], row["status"], row["total"], row["done"], row["spec"]) == (bt, "PENDING", 10, 0, {"symbol": "cu_main"})
    assert pg.get_backtest(users, bt, OTHER) is None  # someone else's backtest is invisible

    pg.set_running(users, bt, "arn:exec")
    pg.add_progress(users, bt, 8)
    pg.add_progress(users, bt, 8)  # e.g. a retried shard: capped at total
    row = pg.get_backtest(users, bt, USER)
    assert (row["status"], row["execution_arn"], row["done"]) == ("RUNNING", "arn:exec", 10)
    pg.set_progress(users, bt, 3)
    assert pg.get_backtest(users, bt, USER)["done"] == 3

    pg.set_result(users, bt, {"results": [], "best": None})
    row = pg.get_backtest(users, bt, USER)
    assert (row["status"], row["done"], row["result"]) == ("SUCCEEDED", 10, {"results": [], "best": None})
    pg.set_running(users, bt, "arn:late")  # a late call never revives a finished backtest
    assert pg.get_backtest(users, bt, USER)["status"] == "SUCCEEDED"


def test_failed_keeps_the_error(users: psycopg.Connection) -> None:
    bt = str(uuid.uuid4())
    pg.create_backtest(users, bt, USER, {}, total=1)
    pg.set_failed(users, bt, "UnknownInstrument: unknown instrument 'x'")
    row = pg.get_backtest(users, bt, USER)
    assert (row["status"], row["error"]) == ("FAILED", "UnknownInstrument: unknown instrument 'x'")


def test_instrument_multiplier(db: psycopg.Connection) -> None:
    db.execute("INSERT INTO instruments (symbol, exchange, product, multiplier) VALUES ('cu2203', 'SHFE', 'cu', 5)")
    assert pg.instrument_multiplier(db, "cu2203") == 5.0
    assert pg.instrument_multiplier(db, "nope") is None


def test_bars_round_trip_through_s3_as_npz(aws: None) -> None:
    s3 = boto3.client("s3", region_name="cn-north-1")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    n = 1000
    bars = BarArrays(
        ts=np.arange(n, dtype=np.int64) * 60_000_000_000 + 1_609_722_000_000_000_000,
        trading_day=np.full(n, 20210104, dtype=np.int32),
        open=np.linspace(57000, 58000, n), high=np.linspace(57010, 58010, n),
        low=np.linspace(56990, 57990, n), close=np.linspace(57005, 58005, n),
    )
    size = stage_bars(s3, BUCKET, "bars/x.npz", bars)
    assert size < n * 44  # compressed below the raw 44 bytes per bar
    loaded = load_bars(s3, BUCKET, "bars/x.npz")
    for name, array in bars.arrays().items():
        got = getattr(loaded, name)
        assert got.dtype == array.dtype
        np.testing.assert_array_equal(got, array)

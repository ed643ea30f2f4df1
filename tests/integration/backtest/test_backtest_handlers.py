"""Plan and worker handlers called directly (PostgreSQL + moto S3), without the state machine."""
from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import boto3
import psycopg
import pytest

from functions.backtest import plan, runtime, worker
from infra.local.provision import provision
from shared.adapters.pg_backtests import create_backtest, get_backtest
from shared.adapters.s3_bars import load_bars
from shared.adapters.s3_results import sweep_progress
from shared.settings import get_settings

SH = ZoneInfo("Asia/Shanghai")
USER = str(uuid.uuid4())
# (bar start, trading day): Monday 2021-01-11's bars start on Friday evening
BARS = [
    (datetime(2021, 1, 7, 14, 59, tzinfo=SH), "2021-01-07"),  # before start
    (datetime(2021, 1, 8, 21, 0, tzinfo=SH), "2021-01-11"),   # Friday night -> Monday
    (datetime(2021, 1, 9, 0, 30, tzinfo=SH), "2021-01-11"),   # after midnight, Saturday -> Monday
    (datetime(2021, 1, 11, 9, 0, tzinfo=SH), "2021-01-11"),
    (datetime(2021, 1, 11, 21, 0, tzinfo=SH), "2021-01-12"),  # Monday night -> Tuesday, after end
]
SPEC = {"symbol": "cu_main", "start": "2021-01-11", "end": "2021-01-11", "strategy": "dual_ma",
        "grid": {"fast": [1, 2], "slow": [2, 3]}}


@pytest.fixture
def backtest(db: psycopg.Connection, aws: None) -> str:
    get_settings.cache_clear()
    provision(get_settings())
    db.execute("INSERT INTO instruments (symbol, exchange, product, multiplier) VALUES ('cu_main', 'SHFE', 'cu', 5)")
    db.execute("INSERT INTO users (id, username, password_hash) VALUES (%s, 'u', 'x')", (USER,))
    for i, (ts, day) in enumerate(BARS):
        db.execute("INSERT INTO bars_1m (symbol, ts, trading_day, open, high, low, close, volume)"
                   " VALUES ('cu_main', %s, %s, %s, %s, %s, %s, 1)", (ts, day, 100 + i, 101 + i, 99 + i, 100 + i))
    backtest_id = str(uuid.uuid4())
    create_backtest(db, backtest_id, USER, SPEC, total=0)
    return backtest_id


def test_plan_stages_the_trading_days_bars_and_splits_the_grid(db: psycopg.Connection, backtest: str) -> None:
    out = plan.handler({"backtest_id": backtest, "spec": SPEC, "execution_arn": "arn:x"}, None)
    # the bars are stored under a hash of their content (the data snapshot)
    assert out["bars_key"].startswith("bars/") and len(out["bars_key"]) == len("bars/.npz") + 32
    # 1/2, 1/3, 2/3 (2/2 skipped): 3 shards of 1, small enough for the inline Map;
    # size and tick filled in from the instrument (multiplier 5, default tick 1)
    assert (out["mode"], out["shard_count"], out["total"]) == ("INLINE", 3, 3)
    assert [(s["shard"], s["params"]) for s in out["shards"]] == [
        (0, [{"fast": 1, "slow": 2}]), (1, [{"fast": 1, "slow": 3}]), (2, [{"fast": 2, "slow": 3}])]
    assert out["shards"][0]["spec"]["size"] == 5.0 and out["shards"][0]["spec"]["price_tick"] == 1.0
    s3 = boto3.client("s3", region_name="cn-north-1")
    listed = s3.get_object(Bucket=get_settings().backtest_bucket, Key=out["items_key"])["Body"].read()
    assert listed.decode().count("result_key") == 3
    bars = load_bars(boto3.client("s3", region_name="cn-north-1"), get_settings().backtest_bucket, out["bars_key"])
    expected = [int(ts.timestamp()) * 10**9 for ts, day in BARS[1:4]]
    assert bars.ts.tolist() == expected
    assert bars.trading_day.tolist() == [20210111] * 3
    assert bars.open.tolist() == [101.0, 102.0, 103.0]
    row = get_backtest(db, backtest, USER)
    assert (row["status"], row["execution_arn"], row["total"]) == ("RUNNING", "arn:x", 3)


def test_a_retried_worker_overwrites_its_result(db: psycopg.Connection, backtest: str) -> None:
    shard = plan.handler({"backtest_id": backtest, "spec": SPEC}, None)["shards"][0]
    first = worker.handler(shard, None)
    again = worker.handler(shard, None)
    assert first == again == {"shard": 0, "result_key": shard["result_key"]}
    s3 = boto3.client("s3", region_name="cn-north-1")
    listed = s3.list_objects_v2(Bucket=get_settings().backtest_bucket, Prefix=f"results/{backtest}/")
    assert [o["Key"] for o in listed["Contents"]] == [first["result_key"]]
    # progress from S3 alone: one of the three combinations, counted once; the row is not written
    assert sweep_progress(s3, get_settings().backtest_bucket, backtest) == (1, 3)
    assert get_backtest(db, backtest, USER)["done"] == 0
    worker.handler(plan.handler({"backtest_id": backtest, "spec": SPEC}, None)["shards"][2], None)
    assert sweep_progress(s3, get_settings().backtest_bucket, backtest) == (2, 3)


def test_a_worker_never_touches_the_database(db: psycopg.Connection, backtest: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    shard = plan.handler({"backtest_id": backtest, "spec": SPEC}, None)["shards"][1]

    def no_database() -> None:
        raise AssertionError("the worker asked for a database connection")

    monkeypatch.setattr(runtime, "db", no_database)
    assert worker.handler(shard, None) == {"shard": 1, "result_key": shard["result_key"]}
    assert sweep_progress(boto3.client("s3", region_name="cn-north-1"), get_settings().backtest_bucket,
                          backtest) == (1, 3)


def test_the_work_key_changes_with_params_costs_and_data_only(db: psycopg.Connection, backtest: str) -> None:
    from shared.backtest.fanout import work_key
    spec = {**SPEC, "commission_rate": 0.0001}
    base = work_key(spec, [{"fast": 1, "slow": 2}], "snap")
    assert work_key({**spec, "start": "2020-01-01"}, [{"fast": 1, "slow": 2}], "snap") == base
    assert work_key(spec, [{"fast": 1, "slow": 3}], "snap") != base
    assert work_key({**spec, "commission_rate": 0.0002}, [{"fast": 1, "slow": 2}], "snap") != base
    assert work_key(spec, [{"fast": 1, "slow": 2}], "other") != base


def test_provision_twice_keeps_the_same_machine(aws: None) -> None:
    get_settings.cache_clear()
    first = provision(get_settings())
    second = provision(get_settings())
    assert first == second
    assert set(first["functions"]) == {"quantcloud-backtest-plan", "quantcloud-backtest-worker",
                                       "quantcloud-backtest-reduce", "quantcloud-backtest-failed"}


def test_reduce_after_a_cancel_keeps_it_cancelled(db: psycopg.Connection, backtest: str) -> None:
    from functions.backtest import reduce
    from shared.adapters.pg_backtests import set_cancelled

    out = plan.handler({"backtest_id": backtest, "spec": SPEC}, None)
    for shard in out["shards"]:
        worker.handler(shard, None)
    assert set_cancelled(db, backtest, 3)  # the owner cancels while the last shards finish
    reduced = reduce.handler({"backtest_id": backtest, "items_key": out["items_key"]}, None)
    assert reduced["status"] == "CANCELLED"  # pushed as such, not SUCCEEDED
    row = get_backtest(db, backtest, USER)
    assert (row["status"], row["result"]) == ("CANCELLED", None)

"""The whole backtest state machine under moto, on real copper bars (Jan-Feb 2021).

The same ASL file CDK deploys runs in moto's interpreter; its Lambda tasks run our
real handlers (infra.local.lambda_dispatch); bars come from PostgreSQL, go through S3.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import numpy as np
import pandas as pd
import psycopg
import pytest

from infra.local import lambda_dispatch
from infra.local.provision import backtest_handlers, provision
from shared.adapters.pg_backtests import create_backtest
from shared.adapters.pg_bars import PgBarStore
from shared.backtest.bars import BarArrays
from shared.backtest.spec import BacktestSpec
from shared.backtest.sweep import evaluate
from shared.settings import get_settings

ROOT = Path(__file__).resolve().parents[3]
NAME = "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
CSV = next(p for p in (ROOT / "data" / NAME, Path("/work/shared/data") / NAME) if p.exists())
SH = ZoneInfo("Asia/Shanghai")
USER = str(uuid.uuid4())
SPEC = {"symbol": "cu_main", "start": "2021-01-04", "end": "2021-02-26", "strategy": "dual_ma",
        # 24 pairs, 4 of them with fast >= slow (skipped): 20 combinations -> 10 shards of 2 (inline Map)
        "grid": {"fast": [3, 5, 8, 10, 15, 20], "slow": [10, 20, 30, 60]}, "slippage": 10.0}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """The whole copper sample: 4 Jan 2021 - 17 Feb 2022, 123,855 bars."""
    frame = pd.read_csv(CSV, dtype={"trading_day": str})
    frame["ts"] = pd.to_datetime(frame["datetime"]).dt.tz_localize(SH)
    frame["trading_day"] = pd.to_datetime(frame["trading_day"], format="%Y%m%d")
    return frame


@pytest.fixture(scope="module")
def copper(sample: pd.DataFrame) -> pd.DataFrame:
    frame = sample[(sample["trading_day"] >= "2021-01-04") & (sample["trading_day"] <= "2021-02-26")]
    return frame.reset_index(drop=True)


@pytest.fixture
def stored(db: psycopg.Connection, copper: pd.DataFrame) -> psycopg.Connection:
    db.execute("INSERT INTO instruments (symbol, exchange, product, multiplier, price_tick)"
               " VALUES ('cu_main', 'SHFE', 'cu', 5, 10), ('zz_empty', 'SHFE', 'zz', 10, 1)")
    db.execute("INSERT INTO users (id, username, password_hash) VALUES (%s, 'trader', 'x')", (USER,))
    added = PgBarStore(db).insert_bars(
        ("cu_main", r.ts, r.trading_day.date(), r.open, r.high, r.low, r.close, r.volume, r.turnover, None)
        for r in copper.itertuples())
    assert added == len(copper)
    return db


@pytest.fixture
def machine(aws: None) -> Iterator[str]:
    get_settings.cache_clear()
    with lambda_dispatch.dispatching(backtest_handlers()):
        yield provision(get_settings())["state_machine_arn"]


def run(db: psycopg.Connection, machine_arn: str, spec: dict, timeout_s: float = 120) -> tuple[str, dict]:
    backtest_id = str(uuid.uuid4())
    create_backtest(db, backtest_id, USER, spec, total=0)
    sfn = boto3.client("stepfunctions", region_name=get_settings().aws_region)
    execution = sfn.start_execution(stateMachineArn=machine_arn, name=backtest_id,
                                    input=json.dumps({"backtest_id": backtest_id, "spec": spec}))
    deadline = time.monotonic() + timeout_s
    while (status := sfn.describe_execution(executionArn=execution["executionArn"])["status"]) == "RUNNING":
        assert time.monotonic() < deadline, f"execution still RUNNING after {timeout_s} s"
        time.sleep(0.2)
    row = db.execute("SELECT status, total, done, result, error, execution_arn FROM backtests WHERE id = %s",
                     (backtest_id,)).fetchone()
    return status, dict(zip(["status", "total", "done", "result", "error", "execution_arn"], row, strict=True)) | {
        "arn": execution["executionArn"]}


def test_sweep_succeeds_with_one_result_per_combination(stored: psycopg.Connection, machine: str,
                                                       copper: pd.DataFrame) -> None:
    status, row = run(stored, machine, SPEC)
    assert (status, row["status"], row["error"]) == ("SUCCEEDED", "SUCCEEDED", None)
    assert row["execution_arn"] == row["arn"]
    assert row["total"] == row["done"] == 20
    results = row["result"]["results"]
    pairs = {(r["params"]["fast"], r["params"]["slow"]) for r in results}
    assert pairs == {(f, s) for f in (3, 5, 8, 10, 15, 20) for s in (10, 20, 30, 60) if f < s}
    assert len(results) == 20
    assert row["result"]["best"] == max(results, key=lambda r: r["sharpe"])
    assert [r["sharpe"] for r in results] == sorted((r["sharpe"] for r in results), reverse=True)

    # one combination recomputed straight from the CSV: staging through PostgreSQL and S3 lost nothing
    bars = BarArrays.from_frame(copper)
    spec = BacktestSpec.parse({**SPEC, "size": 5.0, "price_tick": 10.0})
    expected = evaluate(bars, spec, {"fast": 5, "slow": 20})
    (got,) = [r for r in results if r["params"] == {"fast": 5, "slow": 20}]
    assert got == expected
    assert got["trade_count"] > 0
    assert row["result"]["failed_shards"] == []


def test_symbol_without_bars_fails_with_a_readable_error(stored: psycopg.Connection, machine: str) -> None:
    status, row = run(stored, machine, {**SPEC, "symbol": "zz_none"})
    assert (status, row["status"]) == ("FAILED", "FAILED")
    assert row["error"] == "UnknownInstrument: unknown instrument 'zz_none': no bars are stored for it"


def test_known_instrument_without_bars_in_range_fails(stored: psycopg.Connection, machine: str) -> None:
    status, row = run(stored, machine, {**SPEC, "symbol": "zz_empty"})
    assert (status, row["status"]) == ("FAILED", "FAILED")
    assert row["error"] == "InvalidInput: no 1-minute bars for zz_empty on trading days 2021-01-04..2021-02-26"


def crash_shard_1(times: int) -> dict[str, int]:
    """Make the real worker crash on its first ``times`` calls for shard 1 (a Lambda fault)."""
    calls = {"crashes": 0}
    real = backtest_handlers()["quantcloud-backtest-worker"]

    def worker(event: dict, context: object) -> dict:
        if event["shard"] == 1 and calls["crashes"] < times:
            calls["crashes"] += 1
            raise RuntimeError("simulated Lambda crash")
        return real(event, context)

    lambda_dispatch.install({"quantcloud-backtest-worker": worker})
    return calls


def test_a_crashed_worker_is_retried(stored: psycopg.Connection, machine: str) -> None:
    calls = crash_shard_1(times=1)
    status, row = run(stored, machine, SPEC)
    assert (status, row["status"], calls["crashes"]) == ("SUCCEEDED", "SUCCEEDED", 1)
    assert len(row["result"]["results"]) == row["done"] == 20


def test_a_shard_failing_every_retry_is_reported_not_fatal(stored: psycopg.Connection, machine: str) -> None:
    calls = crash_shard_1(times=100)
    status, row = run(stored, machine, SPEC)
    assert (status, row["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert calls["crashes"] == 3  # first try + 2 retries (States.ALL retrier)
    # shard 1 holds the 3rd and 4th combinations in grid order: fast 3 with slow 30 and 60
    assert row["result"]["failed_shards"] == [{"shard": 1, "params": [{"fast": 3, "slow": 30}, {"fast": 3, "slow": 60}]}]
    assert len(row["result"]["results"]) == row["done"] == 18


# 25 fast x 40 slow windows, all fast < slow: 1,000 combinations -> 20 shards of 50 (Distributed Map),
# over the whole sample
SWEEP_1000 = {**SPEC, "start": "2021-01-04", "end": "2022-02-17",
              "grid": {"fast": list(range(1, 26)), "slow": list(range(26, 66))}, "slippage": 0.0}


def test_a_1000_combination_sweep_runs_in_the_distributed_map(stored: psycopg.Connection, machine: str,
                                                              sample: pd.DataFrame) -> None:
    rest = sample[sample["trading_day"] > "2021-02-26"]  # the fixture stored Jan-Feb 2021
    assert PgBarStore(stored).insert_bars(
        ("cu_main", r.ts, r.trading_day.date(), r.open, r.high, r.low, r.close, r.volume, r.turnover, None)
        for r in rest.itertuples()) == len(rest)
    calls = crash_shard_1(times=100)  # one shard of 20 fails: within the tolerated 10 %
    status, row = run(stored, machine, SWEEP_1000, timeout_s=300)
    assert (status, row["status"]) == ("SUCCEEDED", "SUCCEEDED"), row["error"]
    assert calls["crashes"] == 3
    assert row["total"] == 1000
    failed = row["result"]["failed_shards"]
    assert [f["shard"] for f in failed] == [1] and len(failed[0]["params"]) == 50
    results = row["result"]["results"]
    assert len(results) == row["done"] == 950
    # the Distributed Map read its items from S3 and wrote its manifest under the plan's prefix
    s3 = boto3.client("s3", region_name=get_settings().aws_region)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=get_settings().backtest_bucket)["Contents"]]
    assert any(k.startswith("plans/") and k.endswith("shards.json") for k in keys)
    assert any(k.startswith("map-results/") for k in keys)  # the ResultWriter manifest
    # a sample result equals the engine run straight from the CSV
    spec = BacktestSpec.parse({**SWEEP_1000, "size": 5.0, "price_tick": 10.0})
    (got,) = [r for r in results if r["params"] == {"fast": 7, "slow": 40}]
    assert got == evaluate(BarArrays.from_frame(sample), spec, {"fast": 7, "slow": 40})
    assert got["days"] == sample["trading_day"].nunique() == 271

"""Worker: run one shard of parameter sets over the staged bars; results go to S3.

The result key depends only on (backtest_id, shard), so a retried shard overwrites its file.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from functions.backtest import runtime
from shared.adapters.pg_backtests import add_progress
from shared.adapters.s3_bars import load_bars
from shared.adapters.s3_results import put_results, result_key
from shared.backtest.spec import BacktestSpec
from shared.backtest.sweep import run_shard


class Shard(BaseModel):
    model_config = ConfigDict(extra="ignore")

    backtest_id: str
    bars_key: str
    shard: int = Field(ge=0)
    spec: BacktestSpec
    params: list[dict[str, int]] = Field(min_length=1)


def handler(event: dict[str, Any], context: object) -> dict[str, str]:
    shard = Shard.model_validate(event)
    bucket = runtime.settings().backtest_bucket
    s3 = runtime.s3()
    results = run_shard(load_bars(s3, bucket, shard.bars_key), shard.spec, shard.params)
    key = result_key(shard.backtest_id, shard.shard)
    put_results(s3, bucket, key, results)
    add_progress(runtime.db(), shard.backtest_id, len(results))
    return {"result_key": key}

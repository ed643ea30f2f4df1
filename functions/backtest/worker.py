"""Worker: run one shard of parameter sets over the staged bars; results go to S3.

The result key comes with the shard (``shared.backtest.fanout.work_key``: strategy version,
parameters, costs, data snapshot), so a retried shard overwrites its file. After writing,
progress (combinations whose result file exists, of the plan's total) is read from S3 and
pushed to ``backtest.<id>`` subscribers. Workers never touch the database: bars, spec and
parameters come from S3 and the event, results and progress go to S3.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from functions.backtest import runtime
from shared.adapters.s3_bars import load_bars
from shared.adapters.s3_results import put_results, sweep_progress
from shared.adapters.ws_notify import publish
from shared.backtest.spec import BacktestSpec
from shared.backtest.sweep import run_shard
from shared.domain.topics import backtest_topic


class Shard(BaseModel):
    model_config = ConfigDict(extra="ignore")

    backtest_id: str
    user_id: str  # the owner: progress is pushed to their connections only
    bars_key: str
    shard: int = Field(ge=0)
    spec: BacktestSpec
    params: list[dict[str, Any]] = Field(min_length=1)
    result_key: str


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    shard = Shard.model_validate(event)
    settings = runtime.settings()
    s3 = runtime.s3()
    results = run_shard(load_bars(s3, settings.backtest_bucket, shard.bars_key), shard.spec, shard.params)
    put_results(s3, settings.backtest_bucket, shard.result_key, results)
    progress = sweep_progress(s3, settings.backtest_bucket, shard.backtest_id)
    if progress is not None:
        done, total = progress
        publish(settings, backtest_topic(shard.backtest_id),
                {"backtest_id": shard.backtest_id, "status": "RUNNING", "done": done, "total": total},
                shard.user_id)
    return {"shard": shard.shard, "result_key": shard.result_key}

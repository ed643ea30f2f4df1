"""Reduce: gather every shard's results, rank by Sharpe, store the result (status SUCCEEDED).

Input {"backtest_id", "result_keys": [...]} (the Map's outputs, in shard order).
"""
from __future__ import annotations

from typing import Any

from functions.backtest import runtime
from shared.adapters.pg_backtests import set_result
from shared.adapters.s3_results import get_results
from shared.backtest.sweep import rank


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    backtest_id = str(event["backtest_id"])
    bucket = runtime.settings().backtest_bucket
    s3 = runtime.s3()
    results = [r for key in event["result_keys"] for r in get_results(s3, bucket, key)]
    ranked = rank(results)
    set_result(runtime.db(), backtest_id, ranked)
    return {"backtest_id": backtest_id, "status": "SUCCEEDED", "count": len(results), "best": ranked["best"]}

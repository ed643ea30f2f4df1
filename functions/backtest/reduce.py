"""Reduce: gather every shard's results, rank by Sharpe, store the result (status SUCCEEDED).

Input {"backtest_id", "bucket", "items_key"}: the plan's shard list, which names each shard's
result key. A shard whose result is missing failed every retry (the Map tolerated it): it is
reported in ``failed_shards`` with its parameters, and the rest is ranked.
"""
from __future__ import annotations

from typing import Any

from functions.backtest import runtime
from shared.adapters.pg_backtests import set_result
from shared.adapters.s3_results import exists, get_json, get_results
from shared.adapters.ws_notify import publish
from shared.backtest.sweep import rank
from shared.domain.topics import backtest_topic


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    backtest_id = str(event["backtest_id"])
    bucket = event.get("bucket") or runtime.settings().backtest_bucket
    s3 = runtime.s3()
    items = get_json(s3, bucket, event["items_key"])
    results: list[dict[str, Any]] = []
    failed = []
    for item in items:
        if exists(s3, bucket, item["result_key"]):
            results.extend(get_results(s3, bucket, item["result_key"]))
        else:
            failed.append({"shard": item["shard"], "params": item["params"]})
    if not results:
        raise RuntimeError(f"every shard failed ({len(failed)} of {len(items)})")
    ranked = rank(results)
    # the spec as the workers ran it (size and tick filled in): the results API reruns from it
    summary = {**ranked, "spec": items[0]["spec"], "bars_key": items[0]["bars_key"], "failed_shards": failed,
               "failed_combinations": sum(len(f["params"]) for f in failed)}
    stored = set_result(runtime.db(), backtest_id, summary, done=len(results))
    status = "SUCCEEDED" if stored else "CANCELLED"  # a cancel that came while the shards ran stands
    publish(runtime.settings(), backtest_topic(backtest_id),
            {"backtest_id": backtest_id, "status": status, "done": len(results),
             "total": len(results) + summary["failed_combinations"]}, items[0]["user_id"])
    return {"backtest_id": backtest_id, "status": status, "count": len(results),
            "failed_shards": [f["shard"] for f in failed], "best": ranked["best"]}

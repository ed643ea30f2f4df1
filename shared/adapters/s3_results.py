"""Per-shard backtest results in S3 under deterministic keys: a retried worker overwrites."""
from __future__ import annotations

import json
from typing import Any


def result_key(backtest_id: str, shard: int) -> str:
    return f"results/{backtest_id}/{shard}.json"


def put_results(s3: Any, bucket: str, key: str, results: list[dict[str, Any]]) -> None:
    body = json.dumps(results, allow_nan=False).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def get_results(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

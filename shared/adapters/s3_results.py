"""Per-shard backtest results in S3 under deterministic keys: a retried worker overwrites."""
from __future__ import annotations

import json
from typing import Any

from shared.backtest.fanout import items_key, progress_of, results_prefix


def put_results(s3: Any, bucket: str, key: str, results: list[dict[str, Any]]) -> None:
    body = json.dumps(results, allow_nan=False).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def get_results(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def put_json(s3: Any, bucket: str, key: str, value: Any) -> int:
    """Write ``value`` as JSON; returns its size in bytes."""
    body = json.dumps(value, allow_nan=False).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return len(body)


def get_json(s3: Any, bucket: str, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except Exception as exc:  # botocore ClientError 404; anything else is re-raised
        if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def keys_under(s3: Any, bucket: str, prefix: str) -> set[str]:
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.update(o["Key"] for o in page.get("Contents", []))
    return keys


def sweep_progress(s3: Any, bucket: str, backtest_id: str) -> tuple[int, int] | None:
    """(done, total) of a sweep read from S3 alone (the plan's shard list and the result files
    present), or None before the plan has written its list."""
    try:
        items = get_json(s3, bucket, items_key(backtest_id))
    except Exception as exc:  # botocore ClientError NoSuchKey; anything else is re-raised
        if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return progress_of(items, keys_under(s3, bucket, results_prefix(backtest_id)))

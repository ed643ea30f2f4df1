"""Per-shard backtest results in S3 under deterministic keys: a retried worker overwrites."""
from __future__ import annotations

import json
from typing import Any


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

"""Minute bars staged in S3 as one compressed npz, written by the plan step and read by workers.

Arrays: ts int64 (bar start, epoch ns UTC), trading_day int32 (YYYYMMDD),
open/high/low/close float64. Workers load from here and never query the database.
"""
from __future__ import annotations

import hashlib
import io
from collections import OrderedDict
from typing import Any

import numpy as np

from shared.backtest.bars import COLUMNS, BarArrays

_CACHE_SIZE = 2  # a warm worker usually runs shards of the same backtest
_cache: OrderedDict[tuple[str, str], BarArrays] = OrderedDict()


def snapshot_id(bars: BarArrays) -> str:
    """A hash of the bars' content: the data snapshot results are keyed by."""
    digest = hashlib.sha256()
    for name in COLUMNS:
        digest.update(name.encode())
        digest.update(getattr(bars, name).tobytes())
    return digest.hexdigest()[:32]


def bars_key(snapshot: str) -> str:
    """Bars are stored once per content: two backtests over the same data share the object."""
    return f"bars/{snapshot}.npz"


def stage_bars(s3: Any, bucket: str, key: str, bars: BarArrays) -> int:
    """Write ``bars`` to s3://bucket/key; returns the object's size in bytes."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **bars.arrays())
    body = buffer.getvalue()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/octet-stream")
    return len(body)


def load_bars(s3: Any, bucket: str, key: str) -> BarArrays:
    """Read staged bars, cached per container (keys are unique per backtest and never rewritten
    with different content)."""
    cached = _cache.get((bucket, key))
    if cached is not None:
        _cache.move_to_end((bucket, key))
        return cached
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with np.load(io.BytesIO(body), allow_pickle=False) as npz:
        bars = BarArrays(**{name: npz[name] for name in COLUMNS})
    _cache[(bucket, key)] = bars
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return bars

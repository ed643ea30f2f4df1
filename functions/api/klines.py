"""Minute bars -> the K-line rows the API returns.

Indicators are computed over every bar of the fetched range and only then
cut to the last ``limit`` bars, so the first returned values already have
their warm-up behind them.
"""
from __future__ import annotations

import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from shared.domain.bars import resample
from shared.errors import InvalidInput
from shared.indicators import INDICATOR_NAMES, compute_indicators

SH = ZoneInfo("Asia/Shanghai")
PRICE_COLUMNS = ("open", "high", "low", "close")
# most 1-minute bars one bar of each period can hold (a trading day: at most 555, SHFE gold and silver)
MAX_MINUTES = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "1d": 600, "1w": 3000}
# bars of history before the first returned one when no start is given: the slowest decay,
# MACD's EMA(26), leaves (25/27)**400 ~ 4e-14 of a truncated start in the values
WARMUP_BARS = 400


def minutes_needed(period: str, limit: int) -> int:
    """1-minute bars that surely make ``limit + WARMUP_BARS`` bars of ``period`` (the oldest maybe partial)."""
    return (limit + WARMUP_BARS) * MAX_MINUTES[period]


def parse_indicator_names(text: str | None) -> list[str]:
    """``"ma, macd,,ma"`` -> ``["ma", "macd"]``; InvalidInput naming any unknown one."""
    if not text:
        return []
    names = list(dict.fromkeys(n for n in (part.strip().lower() for part in text.split(",")) if n))
    unknown = [n for n in names if n not in INDICATOR_NAMES]
    if unknown:
        raise InvalidInput(f"unknown indicator {unknown[0]!r}: expected a comma list of {', '.join(INDICATOR_NAMES)}",
                           [{"field": "query.indicators", "message": f"unknown: {', '.join(unknown)}"}])
    return names


def kline_rows(minute: pd.DataFrame, period: str, indicators: list[str], limit: int,
               symbol: str | None = None) -> list[dict[str, Any]]:
    """The last ``limit`` bars of ``period`` built from ``minute``, oldest first, with indicator values.

    ``symbol`` names the product whose sessions align n-minute and hour bars.
    """
    bars = resample(minute, period, symbol=symbol).reset_index(drop=True)
    close = bars["close"].to_numpy(dtype=np.float64)
    values = compute_indicators(indicators, close) if indicators else {}
    first = max(len(bars) - limit, 0)
    bars = bars.iloc[first:]
    columns = {key: np.asarray(series, dtype=np.float64)[first:] for key, series in values.items()}

    stamps = pd.to_datetime(bars["ts"]).dt.tz_convert(SH)  # PgBarStore gives tz-aware ts
    days = pd.to_datetime(bars["trading_day"])
    rows = []
    for i, bar in enumerate(bars.itertuples(index=False)):
        row: dict[str, Any] = {"ts": stamps.iat[i].isoformat(), "trading_day": days.iat[i].date().isoformat()}
        for col in PRICE_COLUMNS:
            row[col] = _number(getattr(bar, col))
        row["volume"] = int(bar.volume)
        row["open_interest"] = _number(bar.open_interest)
        for key, column in columns.items():
            row[key] = _number(column[i])
        rows.append(row)
    return rows


def _number(value: Any) -> float | None:
    # JSON has no NaN: a missing value (warm-up, no open interest) is null
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value

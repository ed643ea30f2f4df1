"""Minute bars -> the K-line rows the API returns.

Indicators are computed over every bar of the fetched range and only then
cut to the last ``limit`` bars, so the first returned values already have
their warm-up behind them. Without ``start`` the fetched range reaches back
``warmup_bars`` bars before the first returned one: each indicator's own fixed
warm-up (``IndicatorSpec.warmup_bars``: the window, plus for recursive ones the
bars after which the seed's weight is below 1e-15), at least 400. With ``start``
the same warm-up is read from the bars before the range (``lead``): they feed
the indicators and are not returned. Either way values equal those over the
whole stored history (to ~1e-12; issue 3 case 9), whatever range is asked for;
``null`` only where the stored history itself is too short. OBV is a running
total with no warm-up that could make it so: it counts from the first returned bar.
"""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from shared.domain.bars import resample
from shared.indicators import compute_indicators, parse_indicators

SH = ZoneInfo("Asia/Shanghai")
PRICE_COLUMNS = ("open", "high", "low", "close")
# most 1-minute bars one bar of each period can hold (a trading day: at most 555, SHFE gold and silver)
MAX_MINUTES = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "1d": 600, "1w": 3000}
# bars of history before the first returned one when no start is given, at least (and without
# indicators): the oldest fetched bar of a period may be partial, and must not be returned
WARMUP_BARS = 400


def warmup_bars(indicators: list[str]) -> int:
    """Bars of history the ``indicators`` (canonical texts) need before the first returned bar."""
    return max([WARMUP_BARS, *(spec.warmup_bars() for spec in parse_indicators(",".join(indicators)))])


def minutes_needed(period: str, limit: int, indicators: list[str] | None = None) -> int:
    """1-minute bars that surely make ``limit + warmup_bars(indicators)`` bars of ``period`` (the oldest maybe partial)."""
    return (limit + warmup_bars(indicators or [])) * MAX_MINUTES[period]


def lead_minutes_needed(period: str, indicators: list[str]) -> int:
    """1-minute bars before a range's start that surely hold the ``indicators``' warm-up in bars of ``period``
    (0 when none needs one; one more bar, since the bar the range starts in may be cut)."""
    bars = max([0, *(s.warmup_bars() for s in parse_indicators(",".join(indicators)) if s.name != "obv")])
    return (bars + 1) * MAX_MINUTES[period] if bars else 0


def parse_indicator_names(text: str | None) -> list[str]:
    """``"ma:5,20, macd.cn,,rsi"`` -> canonical texts ``["ma:5,20", "macd.cn:12,26,9", "rsi:14"]``.

    InvalidInput naming the unknown name or bad parameter (field ``query.indicators``).
    """
    return [spec.text() for spec in parse_indicators(text)]


def kline_rows(minute: pd.DataFrame, period: str, indicators: list[str], limit: int,
               symbol: str | None = None, lead: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The last ``limit`` bars of ``period`` built from ``minute``, oldest first, with indicator values.

    ``symbol`` names the product whose sessions align n-minute and hour bars. ``lead``: 1-minute bars
    before ``minute``'s first, the indicators' warm-up; their bars are computed over, never returned.
    """
    bars = resample(minute, period, symbol=symbol).reset_index(drop=True)
    first = max(len(bars) - limit, 0)
    series = bars  # the bars the indicators run over
    if lead is not None and len(lead) and len(bars):
        # the lead's bars, and the range's first bar whole: a start inside a bar (5m from 14:57) returns
        # that bar cut to the range, but its indicator values are the whole bar's, like every other bar's
        in_first = minute["ts"] < bars["ts"].iloc[1] if len(bars) > 1 else slice(None)
        head = resample(pd.concat([lead, minute[in_first]]), period, symbol=symbol)
        series = pd.concat([head, bars.iloc[1:]], ignore_index=True)
        first += len(head) - 1
    prices = {name: series[name].to_numpy(dtype=np.float64) for name in ("high", "low", "close", "volume")}
    specs = parse_indicators(",".join(indicators))
    running_totals = [s for s in specs if s.name == "obv"]  # counted from the first returned bar
    values = compute_indicators([s for s in specs if s.name != "obv"], prices)
    columns = {key: np.asarray(column, dtype=np.float64)[first:] for key, column in values.items()}
    bars = bars.iloc[first - (len(series) - len(bars)):]
    if running_totals:
        returned = {name: bars[name].to_numpy(dtype=np.float64) for name in ("close", "volume")}
        columns.update(compute_indicators(running_totals, returned))

    stamps = pd.to_datetime(bars["ts"]).dt.tz_convert(SH)  # PgBarStore gives tz-aware ts
    out: dict[str, list[Any]] = {
        # every bar is in Asia/Shanghai (+08:00, no DST): formatting the wall clock is the ISO form
        "ts": stamps.dt.strftime("%Y-%m-%dT%H:%M:%S+08:00").tolist(),
        "trading_day": _iso_days(bars["trading_day"]),
    }
    for col in PRICE_COLUMNS:
        out[col] = _numbers(bars[col].to_numpy(dtype=np.float64))
    out["volume"] = bars["volume"].to_numpy(dtype=np.int64).tolist()
    out["open_interest"] = _numbers(bars["open_interest"].to_numpy(dtype=np.float64))
    for key, column in columns.items():
        out[key] = _numbers(column)
    names = list(out)
    return [dict(zip(names, values, strict=True)) for values in zip(*out.values(), strict=True)]


def _iso_days(days: pd.Series) -> list[str]:
    codes, unique = pd.factorize(days)
    text = [pd.Timestamp(d).date().isoformat() for d in unique]
    return [text[c] for c in codes]


def _numbers(values: np.ndarray) -> list[float | None]:
    # JSON has no NaN: a missing value (warm-up, no open interest) is null
    return np.where(np.isnan(values), None, values).tolist()

"""Bars: the ``Bar`` record, the streaming ``MinuteBarBuilder`` and vectorised ``resample``.

A bar's ts is its START. Which minute a tick belongs to follows the session
table (``sessions.bar_offsets``): a call-auction tick opens the session's first
bar, a closing or post-close snapshot joins the period's last bar. The
vectorised twin of the builder is ``tick_bars.minute_bars_from_ticks``; the two
agree bar for bar.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from shared.domain.instruments import product_of
from shared.domain.sessions import bar_offsets, session_minute_of
from shared.domain.ticks import Tick
from shared.errors import InvalidInput

PERIODS = ("1m", "5m", "15m", "1h", "1d")
BAR_COLUMNS = ["ts", "trading_day", "open", "high", "low", "close", "volume", "open_interest"]
_INTRADAY_FREQ = {"5m": "5min", "15m": "15min", "1h": "1h"}


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar; ``volume``/``turnover`` are within the bar, ``open_interest`` at its close."""

    symbol: str
    ts: datetime  # bar start, Asia/Shanghai
    trading_day: date
    open: float
    high: float
    low: float
    close: float
    volume: int
    turnover: float | None
    open_interest: float | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ts ISO 8601 with +08:00, trading_day ``YYYY-MM-DD``."""
        return {
            "symbol": self.symbol,
            "ts": self.ts.isoformat(),
            "trading_day": self.trading_day.isoformat(),
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "close": self.close,
            "volume": self.volume,
            "turnover": self.turnover,
            "open_interest": self.open_interest,
        }


def bar_start(tick: Tick) -> datetime:
    """The start of the 1-minute bar a tick belongs to."""
    minute = tick.ts.replace(second=0, microsecond=0)
    offsets = bar_offsets(product_of(tick.symbol), tick.trading_day)
    return minute + timedelta(minutes=int(offsets[session_minute_of(minute.hour, minute.minute)]))


@dataclass(slots=True)
class _Draft:
    symbol: str
    ts: datetime
    trading_day: date
    open: float
    high: float
    low: float
    close: float
    volume: int
    turnover: float | None
    open_interest: float | None

    def add(self, tick: Tick, price: float) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += tick.volume
        if tick.turnover is not None:
            self.turnover = tick.turnover + (self.turnover or 0.0)
        if tick.open_interest is not None:
            self.open_interest = tick.open_interest

    def bar(self) -> Bar:
        return Bar(self.symbol, self.ts, self.trading_day, self.open, self.high, self.low, self.close,
                   self.volume, self.turnover, self.open_interest)


class MinuteBarBuilder:
    """Streaming 1-minute bars for any number of symbols.

    A bar is finished when the first tick of a later bar arrives. Ticks without a
    last price are skipped; a tick whose bar is earlier than the open one (a
    late auction tick) is skipped too, as in the vectorised aggregation.
    """

    def __init__(self) -> None:
        self._open: dict[str, _Draft] = {}

    def on_tick(self, tick: Tick) -> list[Bar]:
        """Add a cleaned tick; returns the bars it finished (none or one)."""
        price = tick.last_price
        if price is None:
            return []
        start = bar_start(tick)
        draft = self._open.get(tick.symbol)
        if draft is not None and start <= draft.ts:
            if start == draft.ts:
                draft.add(tick, price)
            return []
        self._open[tick.symbol] = _Draft(tick.symbol, start, tick.trading_day, price, price, price, price,
                                         tick.volume, tick.turnover, tick.open_interest)
        return [] if draft is None else [draft.bar()]

    def flush(self) -> list[Bar]:
        """Finish and return every open bar (end of the feed or of the session)."""
        bars = [draft.bar() for draft in self._open.values()]
        self._open.clear()
        return bars


def bars_frame(bars: Iterable[Bar]) -> pd.DataFrame:
    """Bars as a DataFrame with ``resample``'s input columns (plus symbol and turnover)."""
    frame = pd.DataFrame([b.to_json() | {"ts": b.ts, "trading_day": b.trading_day} for b in bars])
    if frame.empty:
        return pd.DataFrame(columns=["symbol", *BAR_COLUMNS, "turnover"])
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_convert("Asia/Shanghai")
    return frame


def resample(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """1-minute bars (columns ``BAR_COLUMNS``, one symbol) -> bars of ``period``, oldest first.

    Intraday periods are clock buckets (5m 09:00-09:04, 1h 13:00 holds 13:30-13:59)
    within a trading day, stamped with the bucket start. ``1d`` groups by
    trading_day, so a night session belongs to the next trading day, and is
    stamped with that day's first bar (the 21:00 bar of the evening before).
    """
    if period not in PERIODS:
        raise InvalidInput(f"unknown period {period!r}: expected one of {', '.join(PERIODS)}", {"period": period})
    ordered = frame.sort_values("ts", kind="stable").reset_index(drop=True)
    if period == "1m" or ordered.empty:
        return ordered[BAR_COLUMNS].copy()
    if period == "1d":
        keys = [ordered["trading_day"]]
        stamp = ordered["ts"]
    else:
        stamp = ordered["ts"].dt.floor(_INTRADAY_FREQ[period])
        keys = [ordered["trading_day"], stamp.rename("bucket")]
    grouped = ordered.assign(_stamp=stamp).groupby(keys, sort=False)
    out = grouped.agg(
        ts=("_stamp", "first"), open=("open", "first"), high=("high", "max"), low=("low", "min"),
        close=("close", "last"), volume=("volume", "sum"), open_interest=("open_interest", "last"),
    ).reset_index(level=0).reset_index(drop=True)
    return out.sort_values("ts", kind="stable").reset_index(drop=True)[BAR_COLUMNS]

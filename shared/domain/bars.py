"""Bars: the ``Bar`` record, the streaming builders and the vectorised ``resample``.

A bar's ts is its START. Which minute a tick belongs to follows the session
table (``sessions.bar_minute``): a call-auction tick opens the session's first
bar, a closing tick joins the period's last bar, anything else outside the
sessions builds no bar. The vectorised twin of ``MinuteBarBuilder`` is
``tick_bars.minute_bars_from_ticks``; the two agree bar for bar.

Periods longer than a minute (``resample``, ``PeriodBarBuilder``) use one convention:
n-minute and hour bars are aligned to the start of each session (night 21:00,
morning 09:00, afternoon 13:30 for commodities; 09:30 and 13:00 for CFFEX index
futures) and never span two sessions; the 10:15-10:30 break is inside the morning
session, so copper's 1h bars are 21:00 22:00 23:00 00:00 09:00 10:00 11:00 13:30 14:30,
the 11:00 bar holds 11:00-11:29 and the 13:30 bar holds 13:30-14:29 (never stamped
13:00), as Wenhua draws them (vn.py's BarGenerator instead cuts hour bars at clock hours).
Daily bars group by trading day (the night session of the evening before included)
and weekly bars by the ISO week of the trading day; both are stamped with their
first 1-minute bar's ts and carry the first trading day they hold. Open interest
is the last known value of the bar. No bar is invented for a minute without data.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from shared.domain.calendar import previous_trading_day
from shared.domain.drops import Drops
from shared.domain.instruments import product_of
from shared.domain.sessions import (
    CLOSE_GRACE_MS, OUTSIDE, SH, MinuteLookup, bar_close_minute, bucket_last_minute, bucket_starts, minute_targets,
    schedule, session_minute_of,
)
from shared.domain.ticks import Tick
from shared.errors import InvalidInput

PERIODS = ("1m", "5m", "15m", "30m", "1h", "1d", "1w")
PERIOD_MINUTES = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60}
BAR_COLUMNS = ["ts", "trading_day", "open", "high", "low", "close", "volume", "open_interest"]
_MS_PER_MIN = 60_000
_SH_OFFSET_MIN = 8 * 60  # Asia/Shanghai has had no DST since 1991
_EVENING_START = 18 * 60
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


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


def bar_start(tick: Tick) -> datetime | None:
    """The start of the 1-minute bar a tick belongs to; None when it is outside the sessions."""
    ts = tick.ts
    sched = schedule(product_of(tick.symbol), tick.trading_day)
    minute = session_minute_of(ts.hour, ts.minute)
    targets, grace_only = minute_targets(sched)
    target = int(targets[minute])
    if target == OUTSIDE or (grace_only[minute] and ts.second * 1000 + ts.microsecond // 1000 >= CLOSE_GRACE_MS):
        return None
    return ts.replace(second=0, microsecond=0) + timedelta(minutes=target - minute)


@dataclass(slots=True)
class _Draft:
    symbol: str
    trading_day: date
    minute: int  # session minute of the start
    ts: datetime
    close_at: datetime  # when the bar is complete by the clock
    open: float
    high: float
    low: float
    close: float
    volume: int
    turnover: float | None
    open_interest: float | None

    def bar(self) -> Bar:
        return Bar(self.symbol, self.ts, self.trading_day, self.open, self.high, self.low, self.close,
                   self.volume, self.turnover, self.open_interest)


class MinuteBarBuilder:
    """Streaming 1-minute bars for any number of symbols.

    A bar is finished when a tick of a later bar arrives (``on_tick``) or when the
    clock passes its end (``on_time(now)``, which the daemon calls): the bar's minute
    end, or ``CLOSE_GRACE_MS`` after a period's end for the period's last bar, so a
    10:14 bar is out by 10:15:01 and never waits for trading to resume at 10:30.
    Ticks without a last price are skipped; a tick for a bar already finished
    (late) or outside the sessions builds nothing and is counted in ``.dropped``.
    No bar is ever emitted twice.
    """

    def __init__(self) -> None:
        self._open: dict[str, _Draft] = {}
        self._done: dict[str, tuple[date, int]] = {}  # last finished (trading_day, minute) per symbol
        self._minutes = MinuteLookup()
        self.dropped = Drops("minute bars")

    def on_tick(self, tick: Tick) -> list[Bar]:
        """Add a cleaned tick; returns the bars it finished (none or one)."""
        price = tick.last_price
        if price is None:
            return []
        symbol, day, ts = tick.symbol, tick.trading_day, tick.ts
        target = self._minutes.bar(symbol, day, ts)
        if target == OUTSIDE:
            self.dropped.drop("outside_session", symbol, ts.isoformat(timespec="milliseconds"))
            return []
        draft = self._open.get(symbol)
        if draft is not None and draft.minute == target and draft.trading_day == day:
            if price > draft.high:
                draft.high = price
            elif price < draft.low:
                draft.low = price
            draft.close = price
            draft.volume += tick.volume
            if tick.turnover is not None:
                draft.turnover = tick.turnover + (draft.turnover or 0.0)
            if tick.open_interest is not None:
                draft.open_interest = tick.open_interest
            return []
        key = (day, target)
        done = self._done.get(symbol)
        if (draft is not None and key < (draft.trading_day, draft.minute)) or (done is not None and key <= done):
            self.dropped.drop("late", symbol, ts.isoformat(timespec="milliseconds"))
            return []
        minute = session_minute_of(ts.hour, ts.minute)
        start = ts.replace(second=0, microsecond=0) + timedelta(minutes=target - minute)
        close_minute, extra_ms = bar_close_minute(self._minutes.schedule(symbol, day), target)
        close_at = start + timedelta(minutes=close_minute - target, milliseconds=extra_ms)
        self._open[symbol] = _Draft(symbol, day, target, start, close_at, price, price, price, price,
                                    tick.volume, tick.turnover, tick.open_interest)
        return [] if draft is None else [self._finish(draft)]

    @property
    def has_open_bars(self) -> bool:
        """Whether a bar is waiting for its end (a caller may then need to pass the time with ``on_time``)."""
        return bool(self._open)

    def on_time(self, now: datetime) -> list[Bar]:
        """Finish every open bar whose end has passed at ``now`` (tz-aware); returns them."""
        due = [symbol for symbol, draft in self._open.items() if draft.close_at <= now]
        return [self._finish(self._open.pop(symbol)) for symbol in due]

    def flush(self) -> list[Bar]:
        """Finish and return every open bar (end of the feed)."""
        bars = [self._finish(draft) for draft in self._open.values()]
        self._open.clear()
        return bars

    def _finish(self, draft: _Draft) -> Bar:
        self._done[draft.symbol] = (draft.trading_day, draft.minute)
        return draft.bar()


class PeriodBarBuilder:
    """Streaming n-minute or hour bars (``period`` in 5m 15m 30m 1h) from finished 1-minute bars.

    Buckets follow ``resample``'s session-aligned convention. A bucket is finished
    when its last traded minute's bar arrives, when a bar of a later bucket arrives,
    or when ``on_time(now)`` passes the bucket's end (the 11:00 1h bar of copper at
    11:30:01, not when the 13:30 bar comes).
    """

    def __init__(self, period: str) -> None:
        if period not in PERIOD_MINUTES or period == "1m":
            raise InvalidInput(f"period {period!r}: expected one of 5m, 15m, 30m, 1h", {"period": period})
        self.period = period
        self._minutes = PERIOD_MINUTES[period]
        self._open: dict[str, tuple[_Draft, int]] = {}  # draft and its last minute

    def on_bar(self, bar: Bar) -> list[Bar]:
        """Add a finished 1-minute bar; returns the period bars it finished."""
        sched = schedule(product_of(bar.symbol), bar.trading_day)
        minute = session_minute_of(bar.ts.hour, bar.ts.minute)
        bucket = int(bucket_starts(sched, self._minutes)[minute])
        out: list[Bar] = []
        current = self._open.get(bar.symbol)
        if current is not None and (current[0].trading_day, current[0].minute) != (bar.trading_day, bucket):
            out.append(self._open.pop(bar.symbol)[0].bar())
            current = None
        if current is None:
            last = bucket_last_minute(sched, self._minutes, bucket)
            start = bar.ts - timedelta(minutes=minute - bucket)
            close_minute, extra_ms = bar_close_minute(sched, last)
            close_at = start + timedelta(minutes=close_minute - bucket, milliseconds=extra_ms)
            draft = _Draft(bar.symbol, bar.trading_day, bucket, start, close_at, bar.open, bar.high, bar.low,
                           bar.close, bar.volume, bar.turnover, bar.open_interest)
            self._open[bar.symbol] = (draft, last)
        else:
            draft, last = current
            draft.high = max(draft.high, bar.high)
            draft.low = min(draft.low, bar.low)
            draft.close = bar.close
            draft.volume += bar.volume
            if bar.turnover is not None:
                draft.turnover = bar.turnover + (draft.turnover or 0.0)
            if bar.open_interest is not None:
                draft.open_interest = bar.open_interest
        if minute >= last:
            out.append(self._open.pop(bar.symbol)[0].bar())
        return out

    def on_time(self, now: datetime) -> list[Bar]:
        """Finish every open period bar whose end has passed at ``now``."""
        due = [s for s, (draft, _) in self._open.items() if draft.close_at <= now]
        return [self._open.pop(s)[0].bar() for s in due]

    def flush(self) -> list[Bar]:
        bars = [draft.bar() for draft, _ in self._open.values()]
        self._open.clear()
        return bars


def bars_frame(bars: Iterable[Bar]) -> pd.DataFrame:
    """Bars as a DataFrame with ``resample``'s input columns (plus symbol and turnover)."""
    frame = pd.DataFrame([b.to_json() | {"ts": b.ts, "trading_day": b.trading_day} for b in bars])
    if frame.empty:
        return pd.DataFrame(columns=["symbol", *BAR_COLUMNS, "turnover"])
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_convert(SH)
    return frame


_PER_MS = {"s": 1, "ms": 1, "us": 1_000, "ns": 1_000_000}


def epoch_ms(stamps: pd.Series) -> np.ndarray:
    """tz-aware timestamps -> int64 epoch milliseconds (the stored integers, no copy through datetime64)."""
    unit = stamps.dt.unit
    values = stamps.array.asi8
    return values * 1000 if unit == "s" else values // _PER_MS[unit]


def from_epoch_ms(ms: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(ms, unit="ms", utc=True).tz_convert(SH))


def day_ordinals(days: pd.Series) -> np.ndarray:
    """Trading days (``datetime.date`` objects or datetime64) -> int64 proleptic ordinals."""
    values = days.to_numpy()
    if values.dtype.kind == "M":
        return values.astype("datetime64[D]").astype(np.int64) + date(1970, 1, 1).toordinal()
    codes, unique = pd.factorize(values)  # a handful of distinct days: convert each once
    return np.array([d.toordinal() for d in unique], dtype=np.int64)[codes]


def last_valid(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For groups starting at ``starts``: the last non-NaN value of each, NaN when it has none."""
    positions = np.where(np.isnan(values), -1, np.arange(len(values)))
    last = np.maximum.reduceat(positions, starts)
    out = np.full(len(starts), np.nan)
    ok = last >= starts
    out[ok] = values[last[ok]]
    return out


def sum_or_nan(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Group sums skipping NaN; NaN for a group without any value."""
    valid = ~np.isnan(values)
    sums = np.add.reduceat(np.where(valid, values, 0.0), starts)
    counts = np.add.reduceat(valid.astype(np.int64), starts)
    return np.where(counts > 0, sums, np.nan)


def _session_stamps(product: str, day: date) -> np.ndarray:
    """Local epoch minutes of every traded minute of ``product``'s trading day ``day``, in order."""
    sched = schedule(product, day)
    evening = previous_trading_day(day)  # a night session is held only on the weekday before
    stamps = []
    for start, end in sched.periods:
        for minute in range(start, end):
            base = evening if minute < 360 else evening + timedelta(days=1) if minute < 840 else day
            clock = (minute + _EVENING_START) % 1440
            stamps.append((base.toordinal() - _EPOCH_ORDINAL) * 1440 + clock)
    return np.array(stamps, dtype=np.int64)


def fill_empty_minutes(frame: pd.DataFrame, *, symbol: str | None = None) -> pd.DataFrame:
    """1-minute bars with a bar for every traded minute of each trading day present, from the first bar on.

    Only when asked for (``resample(..., fill_empty=True)``): a minute without trades becomes a bar with
    volume 0 and open = high = low = close = the previous close, open interest carried (the convention
    of the exchanges' vendors and vn.py's history).
    """
    ordered = frame.sort_values("ts", kind="stable").reset_index(drop=True)
    if ordered.empty:
        return ordered[BAR_COLUMNS].copy()
    if symbol is None and "symbol" in ordered.columns:
        symbol = str(ordered["symbol"].iloc[0])
    product = product_of(symbol) if symbol else ""
    minutes = epoch_ms(ordered["ts"]) // _MS_PER_MIN + _SH_OFFSET_MIN
    days = sorted(set(ordered["trading_day"]))
    grid = [(_session_stamps(product, day), day) for day in days]
    every = np.concatenate([g for g, _ in grid] + [minutes])
    labels = np.concatenate([np.full(len(g), day.toordinal()) for g, day in grid] + [day_ordinals(ordered["trading_day"])])
    every, first = np.unique(every, return_index=True)
    every, day_of = every[every >= minutes[0]], labels[first][every >= minutes[0]]
    position = np.searchsorted(every, minutes)
    out = pd.DataFrame(index=range(len(every)), columns=BAR_COLUMNS)
    close = np.full(len(every), np.nan)
    close[position] = ordered["close"].to_numpy(dtype=np.float64)
    close = pd.Series(close).ffill().to_numpy()
    missing = np.ones(len(every), dtype=bool)
    missing[position] = False
    out["ts"] = from_epoch_ms((every - _SH_OFFSET_MIN) * _MS_PER_MIN)
    out["trading_day"] = [date.fromordinal(int(d)) for d in day_of]
    for column in ("open", "high", "low"):
        values = close.copy()
        values[position] = ordered[column].to_numpy(dtype=np.float64)
        out[column] = values
    out["close"] = close
    volume = np.zeros(len(every), dtype=np.int64)
    volume[position] = ordered["volume"].to_numpy(dtype=np.int64)
    out["volume"] = volume
    interest = np.full(len(every), np.nan)
    interest[position] = ordered["open_interest"].to_numpy(dtype=np.float64)
    out["open_interest"] = pd.Series(interest).ffill().to_numpy()
    return out


def resample(frame: pd.DataFrame, period: str, *, symbol: str | None = None, fill_empty: bool = False) -> pd.DataFrame:
    """1-minute bars (columns ``BAR_COLUMNS``, one symbol) -> bars of ``period``, oldest first.

    ``symbol`` (or the frame's ``symbol`` column) names the product whose sessions
    align n-minute and hour bars; see the module docstring for the convention.
    ``fill_empty``: first add flat zero-volume bars for minutes without trades (``fill_empty_minutes``).
    """
    if period not in PERIODS:
        raise InvalidInput(f"unknown period {period!r}: expected one of {', '.join(PERIODS)}", {"period": period})
    if symbol is None and "symbol" in frame.columns and len(frame):
        symbol = str(frame["symbol"].iloc[0])
    if fill_empty:
        frame = fill_empty_minutes(frame, symbol=symbol)
    ordered = frame.sort_values("ts", kind="stable").reset_index(drop=True)
    if period == "1m" or ordered.empty:
        return ordered[BAR_COLUMNS].copy()
    product = product_of(symbol) if symbol else ""
    ms = epoch_ms(ordered["ts"])
    ordinals = day_ordinals(ordered["trading_day"])
    if period == "1d":
        key = ordinals
    elif period == "1w":
        key = (ordinals - 1) // 7  # ordinal 1 is a Monday: one key per ISO week
    else:
        local_min = ms // _MS_PER_MIN + _SH_OFFSET_MIN
        minute = (local_min % 1440 - _EVENING_START) % 1440
        days, inverse = np.unique(ordinals, return_inverse=True)
        n = PERIOD_MINUTES[period]
        table = np.stack([bucket_starts(schedule(product, date.fromordinal(int(d))), n) for d in days])
        key = local_min - (minute - table[inverse, minute])
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(key)] - 1
    if period in ("1d", "1w"):
        stamps = ordered["ts"].iloc[starts].reset_index(drop=True)
    else:
        stamps = from_epoch_ms((key[starts] - _SH_OFFSET_MIN) * _MS_PER_MIN)
    return pd.DataFrame({
        "ts": stamps,
        "trading_day": ordered["trading_day"].iloc[starts].to_numpy(),
        "open": ordered["open"].to_numpy(dtype=np.float64)[starts],
        "high": np.maximum.reduceat(ordered["high"].to_numpy(dtype=np.float64), starts),
        "low": np.minimum.reduceat(ordered["low"].to_numpy(dtype=np.float64), starts),
        "close": ordered["close"].to_numpy(dtype=np.float64)[ends],
        "volume": np.add.reduceat(ordered["volume"].to_numpy(dtype=np.int64), starts),
        "open_interest": last_valid(ordered["open_interest"].to_numpy(dtype=np.float64), starts),
    })[BAR_COLUMNS]

"""Vectorised 1-minute aggregation of cleaned ticks: the batch twin of ``MinuteBarBuilder``.

Same rules as the streaming builder: ticks without a last price are left out,
auction and closing ticks move to their session's bar, ticks outside the
sessions are left out, and a tick whose bar is earlier than a bar already
started for its symbol (late) is left out. Everything is numpy over int64
epoch milliseconds; only the per-trading-day session tables are Python.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from shared.domain.bars import day_ordinals, epoch_ms, from_epoch_ms, last_valid, sum_or_nan
from shared.domain.instruments import product_of
from shared.domain.sessions import CLOSE_GRACE_MS, OUTSIDE, minute_targets, schedule
from shared.domain.ticks import Tick

TICK_COLUMNS = ["symbol", "ts", "seq", "trading_day", "last_price", "volume", "turnover", "open_interest"]
MINUTE_BAR_COLUMNS = ["symbol", "ts", "trading_day", "open", "high", "low", "close", "volume", "turnover",
                      "open_interest"]
_MS_PER_MIN = 60_000
_SH_OFFSET_MIN = 8 * 60


def ticks_frame(ticks: Iterable[Tick]) -> pd.DataFrame:
    """Cleaned ticks as a DataFrame with ``TICK_COLUMNS`` (ts tz-aware Asia/Shanghai), in arrival order."""
    rows = [(t.symbol, t.ts, t.seq, t.trading_day, t.last_price, t.volume, t.turnover, t.open_interest)
            for t in ticks]
    frame = pd.DataFrame(rows, columns=TICK_COLUMNS)
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_convert("Asia/Shanghai")
    for column in ("last_price", "turnover", "open_interest"):
        frame[column] = frame[column].astype("float64")
    return frame


def _bar_minutes(symbol: str, ms: np.ndarray, ordinals: np.ndarray) -> np.ndarray:
    """Absolute local minute of each tick's bar start, or -1 when the tick is outside the sessions."""
    local_ms = ms + _SH_OFFSET_MIN * _MS_PER_MIN
    local_min = local_ms // _MS_PER_MIN
    minute = (local_min % 1440 - 18 * 60) % 1440
    days, inverse = np.unique(ordinals, return_inverse=True)
    product = product_of(symbol)
    tables = [minute_targets(schedule(product, date.fromordinal(int(d)))) for d in days]
    targets = np.stack([t for t, _ in tables])[inverse, minute]
    grace_only = np.stack([g for _, g in tables])[inverse, minute]
    targets[grace_only & (local_ms % _MS_PER_MIN >= CLOSE_GRACE_MS)] = OUTSIDE
    return np.where(targets == OUTSIDE, -1, local_min + (targets - minute))


def minute_bars_from_ticks(ticks: pd.DataFrame) -> pd.DataFrame:
    """Ticks (``TICK_COLUMNS``, each symbol in arrival order) -> 1-minute bars ``MINUTE_BAR_COLUMNS``."""
    priced = ticks[ticks["last_price"].notna()]
    if priced.empty:
        return pd.DataFrame(columns=MINUTE_BAR_COLUMNS)
    ms_all = epoch_ms(priced["ts"])
    ordinals_all = day_ordinals(priced["trading_day"])
    symbols = priced["symbol"].to_numpy()
    pieces = []
    for symbol in pd.unique(symbols):
        rows = np.flatnonzero(symbols == symbol)
        bars = _bar_minutes(str(symbol), ms_all[rows], ordinals_all[rows])
        # the streaming builder never reopens a finished bar: leave out ticks pointing back in time
        keep = (bars >= 0) & (bars >= np.maximum.accumulate(bars))
        pieces.append((symbol, rows[keep], bars[keep]))
    out = [_aggregate(priced, symbol, rows, bars) for symbol, rows, bars in pieces if len(rows)]
    if not out:
        return pd.DataFrame(columns=MINUTE_BAR_COLUMNS)
    return pd.concat(out, ignore_index=True)[MINUTE_BAR_COLUMNS]


def _aggregate(ticks: pd.DataFrame, symbol: str, rows: np.ndarray, bars: np.ndarray) -> pd.DataFrame:
    price = ticks["last_price"].to_numpy(dtype=np.float64)[rows]
    starts = np.flatnonzero(np.r_[True, bars[1:] != bars[:-1]])
    ends = np.r_[starts[1:], len(bars)] - 1
    return pd.DataFrame({
        "symbol": symbol,
        "ts": from_epoch_ms((bars[starts] - _SH_OFFSET_MIN) * _MS_PER_MIN),
        "trading_day": ticks["trading_day"].to_numpy()[rows][starts],
        "open": price[starts],
        "high": np.maximum.reduceat(price, starts),
        "low": np.minimum.reduceat(price, starts),
        "close": price[ends],
        "volume": np.add.reduceat(ticks["volume"].to_numpy(dtype=np.int64)[rows], starts),
        "turnover": sum_or_nan(ticks["turnover"].to_numpy(dtype=np.float64)[rows], starts),
        "open_interest": last_valid(ticks["open_interest"].to_numpy(dtype=np.float64)[rows], starts),
    })

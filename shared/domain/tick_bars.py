"""Vectorised 1-minute aggregation of cleaned ticks: the batch twin of ``MinuteBarBuilder``.

Same rules as the streaming builder: ticks without a last price are left out,
auction and closing ticks move to their session's bar, ticks outside the
sessions are left out, and a tick whose bar is earlier than a bar already
started for its symbol (late) is left out. The per-tick work is one compiled
pass (``tick_kernel``) over int64 epoch milliseconds; only the per-trading-day
session tables are built in Python.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from shared.domain.bars import epoch_ms, from_epoch_ms
from shared.domain.calendar import is_trading_day, next_trading_day
from shared.domain.instruments import product_of
from shared.domain.sessions import CLOSE_GRACE_MS, minute_targets, schedule
from shared.domain.tick_kernel import aggregate_ticks
from shared.domain.ticks import Tick

TICK_COLUMNS = ["symbol", "ts", "seq", "trading_day", "last_price", "volume", "turnover", "open_interest"]
MINUTE_BAR_COLUMNS = ["symbol", "ts", "trading_day", "open", "high", "low", "close", "volume", "turnover",
                      "open_interest"]
_MS_PER_MIN = 60_000
_MS_PER_DAY = 86_400_000
_SH_OFFSET_MIN = 8 * 60
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def ticks_frame(ticks: Iterable[Tick]) -> pd.DataFrame:
    """Cleaned ticks as a DataFrame with ``TICK_COLUMNS`` (ts tz-aware Asia/Shanghai), in arrival order."""
    rows = [(t.symbol, t.ts, t.seq, t.trading_day, t.last_price, t.volume, t.turnover, t.open_interest)
            for t in ticks]
    frame = pd.DataFrame(rows, columns=TICK_COLUMNS)
    frame["symbol"] = frame["symbol"].astype("category")
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_convert("Asia/Shanghai")
    for column in ("last_price", "turnover", "open_interest"):
        frame[column] = frame[column].astype("float64")
    return frame


def _day_table(first: int, last: int) -> tuple[np.ndarray, int]:
    """Per calendar day ``first..last`` (local days since 1970-01-01) and part of day (before 08:00, day,
    from 18:00): the trading day ordinal (``sessions.trading_day``)."""
    table = np.empty((last - first + 1, 3), dtype=np.int64)
    for offset in range(last - first + 1):
        day = date.fromordinal(first + offset + _EPOCH_ORDINAL)
        after = next_trading_day(day).toordinal()
        table[offset, 0] = next_trading_day(date.fromordinal(day.toordinal() - 1)).toordinal()
        table[offset, 1] = day.toordinal() if is_trading_day(day) else after
        table[offset, 2] = after
    return table, first


_PER_MS = {"ms": 1, "us": 1_000, "ns": 1_000_000}


def _stamps(ts: pd.Series) -> tuple[np.ndarray, int]:
    """A tz-aware datetime column's stored integers (no copy) and how many of them make a millisecond."""
    unit = ts.dt.unit
    if unit in _PER_MS:
        return ts.array.asi8, _PER_MS[unit]
    return epoch_ms(ts), 1


def minute_bars_from_ticks(ticks: pd.DataFrame) -> pd.DataFrame:
    """Ticks (``TICK_COLUMNS``, each symbol in arrival order) -> 1-minute bars ``MINUTE_BAR_COLUMNS``.

    A cleaned tick's trading day is the one its ts gives (``TickCleaner`` drops any other), so it is
    computed from ts rather than read from a column of date objects.
    """
    if ticks.empty:
        return pd.DataFrame(columns=MINUTE_BAR_COLUMNS)
    if isinstance(ticks["symbol"].dtype, pd.CategoricalDtype):
        codes, symbols = ticks["symbol"].cat.codes.to_numpy(), ticks["symbol"].cat.categories
    else:
        codes, symbols = pd.factorize(ticks["symbol"])
    stamps, per_ms = _stamps(ticks["ts"])
    offset = _SH_OFFSET_MIN * _MS_PER_MIN * per_ms
    day_table, first_day = _day_table(int(stamps.min() + offset) // (_MS_PER_DAY * per_ms),
                                      int(stamps.max() + offset) // (_MS_PER_DAY * per_ms))
    first_td, last_td = int(day_table.min()), int(day_table.max())
    schedules: dict[object, int] = {}
    target_rows: list[np.ndarray] = []
    grace_rows: list[np.ndarray] = []
    table_id = np.zeros((len(symbols), last_td - first_td + 1), dtype=np.int64)
    for k, symbol in enumerate(symbols):
        product = product_of(str(symbol))
        for offset in range(last_td - first_td + 1):
            sched = schedule(product, date.fromordinal(first_td + offset))
            if sched not in schedules:
                targets, grace_only = minute_targets(sched)
                schedules[sched] = len(target_rows)
                target_rows.append(targets)
                grace_rows.append(grace_only)
            table_id[k, offset] = schedules[sched]
    code, key, day, o, h, low, c, v, turnover, oi = aggregate_ticks(
        np.ascontiguousarray(codes), stamps, per_ms, ticks["last_price"].to_numpy(dtype=np.float64),
        ticks["volume"].to_numpy(dtype=np.int64), ticks["turnover"].to_numpy(dtype=np.float64),
        ticks["open_interest"].to_numpy(dtype=np.float64), day_table, first_day, table_id, first_td,
        np.stack(target_rows), np.stack(grace_rows), CLOSE_GRACE_MS, len(symbols), len(stamps))
    order = np.lexsort((key, code))
    days, day_index = np.unique(day[order], return_inverse=True)
    return pd.DataFrame({
        "symbol": np.asarray(symbols, dtype=object)[code[order]],
        "ts": from_epoch_ms((key[order] - _SH_OFFSET_MIN) * _MS_PER_MIN),
        "trading_day": np.array([date.fromordinal(int(d)) for d in days], dtype=object)[day_index],
        "open": o[order], "high": h[order], "low": low[order], "close": c[order], "volume": v[order],
        "turnover": turnover[order], "open_interest": oi[order],
    })[MINUTE_BAR_COLUMNS]

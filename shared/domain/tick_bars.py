"""Vectorised 1-minute aggregation of cleaned ticks: the batch twin of ``MinuteBarBuilder``.

Same rules as the streaming builder (``bars.bar_start``): ticks without a last
price are left out, auction and closing ticks move to their session's bar, and
a tick whose bar is earlier than a bar already started for its symbol is left out.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from shared.domain.instruments import product_of
from shared.domain.sessions import bar_offsets, session_minutes
from shared.domain.ticks import Tick

TICK_COLUMNS = ["symbol", "ts", "seq", "trading_day", "last_price", "volume", "turnover", "open_interest"]
MINUTE_BAR_COLUMNS = ["symbol", "ts", "trading_day", "open", "high", "low", "close", "volume", "turnover",
                      "open_interest"]


def ticks_frame(ticks: Iterable[Tick]) -> pd.DataFrame:
    """Cleaned ticks as a DataFrame with ``TICK_COLUMNS`` (ts tz-aware Asia/Shanghai), in arrival order."""
    rows = [(t.symbol, t.ts, t.seq, t.trading_day, t.last_price, t.volume, t.turnover, t.open_interest)
            for t in ticks]
    frame = pd.DataFrame(rows, columns=TICK_COLUMNS)
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_convert("Asia/Shanghai")
    for column in ("last_price", "turnover", "open_interest"):
        frame[column] = frame[column].astype("float64")
    return frame


def _bar_starts(group: pd.DataFrame) -> pd.Series:
    minute = group["ts"].dt.floor("min")
    clock = (minute.dt.hour * 60 + minute.dt.minute).to_numpy()
    offsets = np.zeros(len(group), dtype=np.int64)
    product = product_of(group["symbol"].iloc[0])
    days = group["trading_day"].to_numpy()
    for day in pd.unique(days):
        mask = days == day
        offsets[mask] = bar_offsets(product, day)[session_minutes(clock[mask])]
    return minute + pd.to_timedelta(offsets, unit="min")


def minute_bars_from_ticks(ticks: pd.DataFrame) -> pd.DataFrame:
    """Ticks (``TICK_COLUMNS``, each symbol in arrival order) -> 1-minute bars ``MINUTE_BAR_COLUMNS``."""
    priced = ticks[ticks["last_price"].notna()]
    pieces = []
    for _, group in priced.groupby("symbol", sort=False):
        starts = _bar_starts(group)
        # the streaming builder cannot reopen a finished bar: drop ticks that point back in time
        keep = (starts >= starts.cummax()).to_numpy()
        pieces.append(group[keep].assign(bar_ts=starts[keep]))
    if not pieces:
        return pd.DataFrame(columns=MINUTE_BAR_COLUMNS)
    frame = pd.concat(pieces)
    out = frame.groupby(["symbol", "bar_ts"], sort=False).agg(
        trading_day=("trading_day", "first"), open=("last_price", "first"), high=("last_price", "max"),
        low=("last_price", "min"), close=("last_price", "last"), volume=("volume", "sum"),
        turnover=("turnover", lambda s: s.sum(min_count=1)), open_interest=("open_interest", "last"),
    ).reset_index().rename(columns={"bar_ts": "ts"})
    return out[MINUTE_BAR_COLUMNS]

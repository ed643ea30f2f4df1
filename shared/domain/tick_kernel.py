"""The compiled single pass behind ``tick_bars.minute_bars_from_ticks`` (numba).

One pass over the ticks in arrival order, any number of symbols interleaved:
trading day from the tick's time (a lookup per calendar day and part of day),
the bar minute from the product's session table for that day, late ticks
(a bar earlier than the symbol's open one) skipped, OHLCV, turnover and the last
known open interest accumulated in place. Caching the compiled code follows
``shared.indicators._jit``: only where it can be written.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numba import njit

CACHE = bool(os.environ.get("NUMBA_CACHE_DIR")) or os.access(Path(__file__).parent, os.W_OK)
SH_OFFSET_MS = 8 * 3600 * 1000
MS_PER_DAY = 86_400_000
MS_PER_MIN = 60_000


@njit(cache=CACHE, error_model="numpy")
def aggregate_ticks(codes, ms, price, volume, turnover, open_interest, day_table, first_day, table_id,  # noqa: PLR0913
                    first_trading_day, targets, grace_only, grace_ms, n_symbols):
    """Returns (symbol code, bar start as local epoch minute, trading day ordinal, o, h, l, c, v, turnover, oi)."""
    n = len(ms)
    # bars are ~1% of ticks: start small and double, instead of ten tick-sized arrays
    capacity = 1024
    ints = np.empty((4, capacity), np.int64)  # code, key, trading day, volume
    floats = np.empty((6, capacity), np.float64)  # open, high, low, close, turnover, open interest
    open_key = np.full(n_symbols, -1, np.int64)
    open_row = np.full(n_symbols, -1, np.int64)
    rows = 0
    for i in range(n):
        p = price[i]
        if np.isnan(p):
            continue
        local = ms[i] + SH_OFFSET_MS
        local_minute = local // MS_PER_MIN
        day = local_minute // 1440
        clock = local_minute - day * 1440
        part = 2 if clock >= 1080 else (0 if clock < 480 else 1)
        trading_day = day_table[day - first_day, part]
        k = codes[i]
        table = table_id[k, trading_day - first_trading_day]
        minute = clock + 360 if clock < 1080 else clock - 1080  # minutes since 18:00
        target = targets[table, minute]
        if target < 0 or (grace_only[table, minute] and local - local_minute * MS_PER_MIN >= grace_ms):
            continue
        key = local_minute + target - minute
        if key < open_key[k]:
            continue  # late: its bar is already behind the symbol's open bar
        if key == open_key[k]:
            r = open_row[k]
            if p > floats[1, r]:
                floats[1, r] = p
            if p < floats[2, r]:
                floats[2, r] = p
            floats[3, r] = p
            ints[3, r] += volume[i]
        else:
            if rows == capacity:
                capacity *= 2
                grown_ints = np.empty((4, capacity), np.int64)
                grown_ints[:, :rows] = ints[:, :rows]
                ints = grown_ints
                grown_floats = np.empty((6, capacity), np.float64)
                grown_floats[:, :rows] = floats[:, :rows]
                floats = grown_floats
            r = rows
            rows += 1
            open_key[k] = key
            open_row[k] = r
            ints[0, r] = k
            ints[1, r] = key
            ints[2, r] = trading_day
            ints[3, r] = volume[i]
            floats[0, r] = p
            floats[1, r] = p
            floats[2, r] = p
            floats[3, r] = p
            floats[4, r] = np.nan
            floats[5, r] = np.nan
        t = turnover[i]
        if not np.isnan(t):
            floats[4, r] = t if np.isnan(floats[4, r]) else floats[4, r] + t
        oi = open_interest[i]
        if not np.isnan(oi):
            floats[5, r] = oi
    return (ints[0, :rows], ints[1, :rows], ints[2, :rows], floats[0, :rows], floats[1, :rows], floats[2, :rows],
            floats[3, :rows], ints[3, :rows], floats[4, :rows], floats[5, :rows])

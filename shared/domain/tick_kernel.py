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
MS_PER_MIN = 60_000


@njit(cache=CACHE, error_model="numpy")
def aggregate_ticks(codes, stamps, per_ms, price, volume, turnover, open_interest, day_table, first_day,  # noqa: PLR0913
                    table_id, first_trading_day, targets, grace_only, grace_ms, n_symbols, capacity):
    """Returns (symbol code, bar start as local epoch minute, trading day ordinal, o, h, l, c, v, turnover, oi).

    ``stamps``: epoch time in units of 1/``per_ms`` ms (the stored integers of a datetime column, no
    conversion pass). ``capacity``: room for this many bars (the number of ticks is always enough;
    np.empty touches no memory until a bar is written, so only the bars' pages are used). The minute's
    bounds are kept from the previous tick: ticks arrive minute by minute, so the divisions that find the
    minute, the calendar day and the trading day run once per minute, not per tick.
    """
    out_code = np.empty(capacity, np.int64)
    out_key = np.empty(capacity, np.int64)
    out_day = np.empty(capacity, np.int64)
    out_open = np.empty(capacity, np.float64)
    out_high = np.empty(capacity, np.float64)
    out_low = np.empty(capacity, np.float64)
    out_close = np.empty(capacity, np.float64)
    out_volume = np.empty(capacity, np.int64)
    out_turnover = np.empty(capacity, np.float64)
    out_oi = np.empty(capacity, np.float64)
    open_key = np.full(n_symbols, -1, np.int64)
    open_row = np.full(n_symbols, -1, np.int64)
    per_minute = per_ms * MS_PER_MIN
    offset = SH_OFFSET_MS * per_ms
    grace = grace_ms * per_ms
    minute_start = 0  # local time of the current minute's start, same units as stamps
    minute_end = 0  # empty until the first tick
    local_minute = 0
    minute = 0  # session minute (from 18:00)
    trading_day = 0
    day_offset = 0
    rows = 0
    for i in range(len(stamps)):
        p = price[i]
        if np.isnan(p):
            continue
        local = stamps[i] + offset
        if local < minute_start or local >= minute_end:
            local_minute = local // per_minute
            minute_start = local_minute * per_minute
            minute_end = minute_start + per_minute
            day = local_minute // 1440
            clock = local_minute - day * 1440
            part = 2 if clock >= 1080 else (0 if clock < 480 else 1)
            trading_day = day_table[day - first_day, part]
            day_offset = trading_day - first_trading_day
            minute = clock + 360 if clock < 1080 else clock - 1080
        k = codes[i]
        table = table_id[k, day_offset]
        target = targets[table, minute]
        if target < 0 or (grace_only[table, minute] and local - minute_start >= grace):
            continue
        key = local_minute + target - minute
        current = open_key[k]
        if key < current:
            continue  # late: its bar is already behind the symbol's open bar
        if key == current:
            r = open_row[k]
            if p > out_high[r]:
                out_high[r] = p
            if p < out_low[r]:
                out_low[r] = p
            out_close[r] = p
            out_volume[r] += volume[i]
        else:
            r = rows
            rows += 1
            open_key[k] = key
            open_row[k] = r
            out_code[r] = k
            out_key[r] = key
            out_day[r] = trading_day
            out_open[r] = p
            out_high[r] = p
            out_low[r] = p
            out_close[r] = p
            out_volume[r] = volume[i]
            out_turnover[r] = np.nan
            out_oi[r] = np.nan
        t = turnover[i]
        if t == t:
            out_turnover[r] = t if out_turnover[r] != out_turnover[r] else out_turnover[r] + t
        oi = open_interest[i]
        if oi == oi:
            out_oi[r] = oi
    return (out_code[:rows], out_key[:rows], out_day[:rows], out_open[:rows], out_high[:rows], out_low[:rows],
            out_close[:rows], out_volume[:rows], out_turnover[:rows], out_oi[:rows])

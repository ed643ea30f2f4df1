"""Wilder's average directional index as TA-Lib computes it.

+DM/-DM and TR are summed over ``period - 1`` bars, then Wilder-smoothed
(``s -= s / period; s += today``); DX = 100 |-DI - +DI| / (-DI + +DI); the
first ADX is the mean of ``period`` DX values and then
``adx = (adx * (period - 1) + dx) / period``. First value at bar ``2 * period - 1``.
"""
from __future__ import annotations

import numpy as np

from shared.indicators._jit import kernel
from shared.indicators.atr import true_range
from shared.indicators.moving_averages import as_prices, check_period, fill_nan, first_valid3

@kernel
def _is_zero(x: float) -> bool:
    # TA-Lib 0.6+ tests for exactly zero; its old 1e-8 threshold skipped DX after long flat stretches
    return x == 0.0


@kernel
def adx_into(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int, out: np.ndarray) -> None:
    n = close.shape[0]
    begin = first_valid3(high, low, close)
    first_out = begin + 2 * period - 1
    if period < 1 or first_out >= n:
        fill_nan(out, n)
        return
    fill_nan(out, first_out)
    minus_dm = 0.0
    plus_dm = 0.0
    tr = 0.0
    prev_high = high[begin]
    prev_low = low[begin]
    prev_close = close[begin]
    sum_dx = 0.0
    adx = 0.0
    for i in range(begin + 1, n):
        h = high[i]
        lo = low[i]
        diff_p = h - prev_high
        diff_m = prev_low - lo
        prev_high = h
        prev_low = lo
        warming = i < begin + period
        if not warming:
            minus_dm -= minus_dm / period
            plus_dm -= plus_dm / period
        if diff_m > 0 and diff_p < diff_m:
            minus_dm += diff_m
        elif diff_p > 0 and diff_p > diff_m:
            plus_dm += diff_p
        today_tr = true_range(h, lo, prev_close)
        prev_close = close[i]
        if warming:
            tr += today_tr
            continue
        tr = tr - tr / period + today_tr
        dx = -1.0  # no DX today (TA-Lib keeps the previous ADX)
        if not _is_zero(tr):
            minus_di = 100.0 * (minus_dm / tr)
            plus_di = 100.0 * (plus_dm / tr)
            total = minus_di + plus_di
            if not _is_zero(total):
                dx = 100.0 * (abs(minus_di - plus_di) / total)
        if i < first_out:
            if dx >= 0.0:
                sum_dx += dx
            continue
        if i == first_out:
            if dx >= 0.0:
                sum_dx += dx
            adx = sum_dx / period
        elif dx >= 0.0:
            adx = (adx * (period - 1) + dx) / period
        out[i] = adx


def adx(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """TA-Lib ``ADX``: NaN for the first ``2 * period - 1`` bars."""
    close = as_prices(close)
    out = np.empty(close.shape[0])
    adx_into(as_prices(high), as_prices(low), close, check_period(period, 2), out)
    return out

"""Commodity channel index as TA-Lib computes it.

CCI = (tp - mean) / (0.015 * mean absolute deviation), tp = (high + low + close) / 3,
over ``period`` bars; 0 when either part is (near) zero. The mean deviation is
about the current window's mean, so each bar revisits its window: O(n * period),
as in TA-Lib (a running form would change the rounding). The window is summed in
TA-Lib's ring-buffer slot order, so the values agree to the last bits.
"""
from __future__ import annotations

import numpy as np

from shared.indicators._jit import kernel
from shared.indicators.moving_averages import as_prices, check_period, fill_nan, first_valid3

_ZERO = 1e-8


@kernel
def cci_into(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int, out: np.ndarray) -> None:
    n = close.shape[0]
    begin = first_valid3(high, low, close)
    first_out = begin + period - 1
    if period < 1 or first_out >= n:
        fill_nan(out, n)
        return
    fill_nan(out, first_out)
    ring = np.empty(period)
    slot = 0
    for i in range(begin, first_out):
        ring[slot] = (high[i] + low[i] + close[i]) / 3
        slot += 1
    for i in range(first_out, n):
        last = (high[i] + low[i] + close[i]) / 3
        ring[slot] = last
        average = 0.0
        for j in range(period):
            average += ring[j]
        average /= period
        deviation = 0.0
        for j in range(period):
            deviation += abs(ring[j] - average)
        distance = last - average
        if -_ZERO < distance < _ZERO or -_ZERO < deviation < _ZERO:
            out[i] = 0.0
        else:
            out[i] = distance / (0.015 * (deviation / period))
        slot += 1
        if slot == period:
            slot = 0


def cci(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """TA-Lib ``CCI``: NaN for the first ``period - 1`` bars."""
    close = as_prices(close)
    out = np.empty(close.shape[0])
    cci_into(as_prices(high), as_prices(low), close, check_period(period, 2), out)
    return out

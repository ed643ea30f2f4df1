"""True range and Wilder's average true range, as TA-Lib computes them.

The first ATR (at bar ``period``) is the mean of the true ranges of bars
1..period; after that ``atr = (atr * (period - 1) + tr) / period``.
"""
from __future__ import annotations

import numpy as np

from shared.indicators._fma import fma
from shared.indicators._jit import kernel
from shared.indicators.moving_averages import as_prices, check_period, fill_nan, first_valid3


@kernel
def true_range(high: float, low: float, prev_close: float) -> float:
    greatest = high - low
    up = abs(high - prev_close)
    if up > greatest:
        greatest = up
    down = abs(low - prev_close)
    if down > greatest:
        greatest = down
    return greatest


@kernel
def atr_into(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int, out: np.ndarray) -> None:
    n = close.shape[0]
    begin = first_valid3(high, low, close)
    if period < 1 or n - begin <= period:
        fill_nan(out, n)
        return
    fill_nan(out, begin + period)
    if period == 1:  # TA-Lib answers TRANGE
        for i in range(begin + 1, n):
            out[i] = true_range(high[i], low[i], close[i - 1])
        return
    total = 0.0
    for i in range(begin + 1, begin + period + 1):
        total += true_range(high[i], low[i], close[i - 1])
    current = total / period
    out[begin + period] = current
    weight = 1.0 / period
    keep = (period - 1) / period
    for i in range(begin + period + 1, n):
        # (atr * (period - 1) + tr) / period with one fused multiply-add on the chain (see _fma)
        current = fma(current, keep, true_range(high[i], low[i], close[i - 1]) * weight)
        out[i] = current


@kernel
def trange_into(high: np.ndarray, low: np.ndarray, close: np.ndarray, out: np.ndarray) -> None:
    n = close.shape[0]
    begin = first_valid3(high, low, close)
    fill_nan(out, begin + 1)
    for i in range(begin + 1, n):
        out[i] = true_range(high[i], low[i], close[i - 1])


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """TA-Lib ``ATR``: NaN for the first ``period`` bars."""
    close = as_prices(close)
    out = np.empty(close.shape[0])
    atr_into(as_prices(high), as_prices(low), close, check_period(period), out)
    return out


def trange(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """TA-Lib ``TRANGE``: max(high - low, |high - previous close|, |low - previous close|)."""
    close = as_prices(close)
    out = np.empty(close.shape[0])
    trange_into(as_prices(high), as_prices(low), close, out)
    return out

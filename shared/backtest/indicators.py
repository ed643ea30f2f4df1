"""Indicators the built-in strategies need beyond shared.indicators, single pass, TA-Lib conventions.

``highest``/``lowest`` include the current bar (TA-Lib MAX/MIN, vn.py's ``donchian``);
``stddev`` is the population deviation (TA-Lib STDDEV); ``atr`` is Wilder's (TA-Lib ATR:
the first value at index ``period`` is the mean of true ranges 1..period).
"""
from __future__ import annotations

import numpy as np

from shared.indicators._jit import jit


@jit
def highest(values: np.ndarray, period: int) -> np.ndarray:
    """Rolling maximum over ``period`` values (monotonic queue: O(n))."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    queue = np.empty(n, np.int64)
    head, tail = 0, 0
    for i in range(n):
        while tail > head and values[queue[tail - 1]] <= values[i]:
            tail -= 1
        queue[tail] = i
        tail += 1
        if queue[head] <= i - period:
            head += 1
        if i >= period - 1:
            out[i] = values[queue[head]]
    return out


@jit
def lowest(values: np.ndarray, period: int) -> np.ndarray:
    return -highest(-values, period)


@jit
def stddev(values: np.ndarray, period: int) -> np.ndarray:
    """Population standard deviation over ``period`` values."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    total, squares = 0.0, 0.0
    for i in range(n):
        total += values[i]
        squares += values[i] * values[i]
        if i >= period:
            total -= values[i - period]
            squares -= values[i - period] * values[i - period]
        if i >= period - 1:
            mean = total / period
            var = squares / period - mean * mean
            out[i] = np.sqrt(var) if var > 0.0 else 0.0
    return out


@jit
def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int) -> np.ndarray:
    n = close.shape[0]
    out = np.full(n, np.nan)
    if n <= period:
        return out
    total = 0.0
    for i in range(1, period + 1):
        total += max(high[i], close[i - 1]) - min(low[i], close[i - 1])
    value = total / period
    out[period] = value
    for i in range(period + 1, n):
        tr = max(high[i], close[i - 1]) - min(low[i], close[i - 1])
        value = (value * (period - 1) + tr) / period
        out[i] = value
    return out

"""Simple and exponential moving averages, single pass, with TA-Lib's conventions.

TA-Lib's SMA keeps a running sum (add the new value, subtract the one leaving);
its EMA is seeded with the SMA of the first ``period`` values and then
``ema += (x - ema) * 2 / (period + 1)``. The arithmetic below follows the same
order of operations, so the values are equal to TA-Lib's, not merely close.
Leading NaNs are skipped as the TA-Lib Python wrapper does; the first
``period - 1`` outputs after them are NaN (the warm-up).
"""
from __future__ import annotations

import numpy as np

from shared.indicators._jit import jit

@jit
def first_valid(values: np.ndarray) -> int:
    """Index of the first non-NaN value (len(values) when there is none)."""
    for i in range(values.shape[0]):
        if not np.isnan(values[i]):
            return i
    return values.shape[0]


@jit
def sma(values: np.ndarray, period: int) -> np.ndarray:
    """Simple moving average over ``period`` values."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    begin = first_valid(values)
    if period < 1 or n - begin < period:
        return out
    total = 0.0
    for i in range(begin, begin + period - 1):
        total += values[i]
    trailing = begin
    for i in range(begin + period - 1, n):
        total += values[i]
        window = total
        total -= values[trailing]
        trailing += 1
        out[i] = window / period
    return out


@jit
def ema_from(values: np.ndarray, period: int, seed_start: int, out: np.ndarray) -> None:
    """EMA seeded with the mean of values[seed_start : seed_start + period], written into ``out``."""
    n = values.shape[0]
    if period < 1 or n - seed_start < period:
        return
    k = 2.0 / (period + 1)
    total = 0.0
    for i in range(seed_start, seed_start + period):
        total += values[i]
    current = total / period
    out[seed_start + period - 1] = current
    for i in range(seed_start + period, n):
        current = (values[i] - current) * k + current
        out[i] = current


@jit
def ema(values: np.ndarray, period: int) -> np.ndarray:
    """Exponential moving average, alpha = 2 / (period + 1), seeded with the first SMA."""
    out = np.full(values.shape[0], np.nan)
    ema_from(values, period, first_valid(values), out)
    return out

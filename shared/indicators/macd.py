"""MACD as TA-Lib computes it.

TA-Lib starts the fast EMA where the slow one starts: the fast EMA is seeded
with the mean of the ``fast`` values ending at index ``slow - 1``, not with the
first ``fast`` values. The signal line is an EMA of the MACD line seeded the
same way, so all three outputs begin at index ``slow + signal - 2``.
"""
from __future__ import annotations

import numpy as np

from shared.indicators._jit import jit
from shared.indicators.moving_averages import ema_from, first_valid


@jit
def macd(values: np.ndarray, fast: int = 12, slow: int = 26,
         signal: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(macd, signal, histogram) with NaN during the warm-up."""
    n = values.shape[0]
    if slow < fast:
        fast, slow = slow, fast
    line = np.full(n, np.nan)
    sig = np.full(n, np.nan)
    hist = np.full(n, np.nan)
    begin = first_valid(values)
    first_out = begin + slow - 1 + signal - 1
    if fast < 1 or signal < 1 or first_out >= n:
        return line, sig, hist
    fast_ema = np.full(n, np.nan)
    slow_ema = np.full(n, np.nan)
    ema_from(values, slow, begin, slow_ema)
    ema_from(values, fast, begin + slow - fast, fast_ema)
    raw = np.full(n, np.nan)
    for i in range(begin + slow - 1, n):
        raw[i] = fast_ema[i] - slow_ema[i]
    ema_from(raw, signal, begin + slow - 1, sig)
    for i in range(first_out, n):
        line[i] = raw[i]
        hist[i] = raw[i] - sig[i]
    for i in range(first_out):
        sig[i] = np.nan
    return line, sig, hist

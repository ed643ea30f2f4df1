"""Wilder's RSI as TA-Lib computes it.

The first average gain/loss is the plain mean of the first ``period`` changes;
after that each is smoothed as ``(avg * (period - 1) + change) / period``. When
gains and losses are both (near) zero TA-Lib reports 0, and so do we.
"""
from __future__ import annotations

import numpy as np

from shared.indicators._jit import jit
from shared.indicators.moving_averages import first_valid

_ZERO = 1e-8  # TA-Lib's TA_IS_ZERO threshold


@jit
def _ratio(gain: float, loss: float) -> float:
    total = gain + loss
    if -_ZERO < total < _ZERO:
        return 0.0
    return 100.0 * (gain / total)


@jit
def rsi(values: np.ndarray, period: int = 14) -> np.ndarray:
    """Relative strength index, NaN for the first ``period`` values."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    begin = first_valid(values)
    if period < 2 or n - begin <= period:
        return out
    gain = 0.0
    loss = 0.0
    previous = values[begin]
    for i in range(begin + 1, begin + period + 1):
        change = values[i] - previous
        previous = values[i]
        if change < 0:
            loss -= change
        else:
            gain += change
    gain /= period
    loss /= period
    out[begin + period] = _ratio(gain, loss)
    for i in range(begin + period + 1, n):
        change = values[i] - previous
        previous = values[i]
        loss *= period - 1
        gain *= period - 1
        if change < 0:
            loss -= change
        else:
            gain += change
        loss /= period
        gain /= period
        out[i] = _ratio(gain, loss)
    return out

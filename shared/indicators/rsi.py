"""Wilder's RSI as TA-Lib computes it, and the charting variant.

TA-Lib: the first average gain/loss is the plain mean of the first ``period``
changes; after that each is smoothed as ``(avg * (period - 1) + change) / period``, which
TA-Lib 0.6+ computes as ``* (1 / period)`` (the seed too): so do we, to the bit.
When gains and losses are both exactly zero TA-Lib reports 0, and so do we.

Charting software writes RSI as ``SMA(MAX(C - REF(C, 1), 0), N, 1) /
SMA(ABS(C - REF(C, 1)), N, 1) * 100`` where ``SMA(X, N, 1)`` is the same smoothing
seeded with the first value: the averages start from the first change (bar 1),
not from the mean of the first N changes.
"""
from __future__ import annotations

import numpy as np

from shared.indicators._jit import kernel
from shared.indicators.moving_averages import as_prices, check_period, fill_nan, first_valid

@kernel
def _ratio(gain: float, loss: float) -> float:
    total = gain + loss
    if total == 0.0:  # no movement at all (TA-Lib 0.6+ no longer zeroes merely tiny averages)
        return 0.0
    return 100.0 * (gain / total)


@kernel
def _smooth(gain: float, loss: float, change: float, scale: float, weight: float) -> tuple[float, float]:
    # (avg * (period - 1) + x) * (1 / period): TA-Lib 0.6+'s order, to the bit
    size = abs(change)
    up = (change + size) * 0.5  # max(change, 0) exactly, without a branch to mispredict
    down = (size - change) * 0.5
    return (gain * scale + up) * weight, (loss * scale + down) * weight


@kernel
def rsi_into(values: np.ndarray, period: int, out: np.ndarray) -> None:
    """Relative strength index, NaN for the first ``period`` values, written into ``out``."""
    n = values.shape[0]
    begin = first_valid(values)
    if period < 2 or n - begin <= period:
        fill_nan(out, n)
        return
    fill_nan(out, begin + period)
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
    weight = 1.0 / period
    scale = period - 1.0
    gain *= weight
    loss *= weight
    out[begin + period] = _ratio(gain, loss)
    for i in range(begin + period + 1, n):
        change = values[i] - previous
        previous = values[i]
        gain, loss = _smooth(gain, loss, change, scale, weight)
        out[i] = _ratio(gain, loss)


@kernel
def rsi_cn_into(values: np.ndarray, period: int, out: np.ndarray) -> None:
    """Charting RSI: Wilder's smoothing seeded with the first change; NaN only on the first bar."""
    n = values.shape[0]
    begin = first_valid(values)
    fill_nan(out, begin + 1)
    if n - begin < 2:
        return
    change = values[begin + 1] - values[begin]
    gain = change if change > 0 else 0.0
    loss = -change if change < 0 else 0.0
    out[begin + 1] = _ratio(gain, loss)
    previous = values[begin + 1]
    weight = 1.0 / period
    scale = period - 1.0
    for i in range(begin + 2, n):
        change = values[i] - previous
        previous = values[i]
        gain, loss = _smooth(gain, loss, change, scale, weight)
        out[i] = _ratio(gain, loss)


def rsi(values: np.ndarray, period: int = 14) -> np.ndarray:
    """TA-Lib ``RSI`` (Wilder), NaN for the first ``period`` values."""
    values = as_prices(values)
    out = np.empty(values.shape[0])
    rsi_into(values, check_period(period, 2), out)
    return out


def rsi_cn(values: np.ndarray, period: int = 6) -> np.ndarray:
    """Charting RSI (``SMA(MAX(C-LC,0),N,1)/SMA(ABS(C-LC),N,1)*100``), defined from the second bar."""
    values = as_prices(values)
    out = np.empty(values.shape[0])
    rsi_cn_into(values, check_period(period, 1), out)
    return out

"""Simple, exponential and weighted moving averages, single pass, with TA-Lib's conventions.

TA-Lib's SMA keeps a running sum (add the new value, subtract the one leaving);
its EMA is seeded with the SMA of the first ``period`` values and then
``ema += (x - ema) * 2 / (period + 1)``, which TA-Lib 0.6+ computes as one fused
multiply-add (``_fma``). The arithmetic below follows the same order of
operations, so the values are equal to TA-Lib's, not merely close.
Leading NaNs are skipped as the TA-Lib Python wrapper does; the first
``period - 1`` outputs after them are NaN (the warm-up).

``*_into`` kernels write every element of a preallocated ``out`` (NaN warm-up
included), so callers allocate once with numpy and fused code can reuse them.
"""
from __future__ import annotations

import numpy as np

from shared.indicators._fma import fma
from shared.indicators._jit import jit, kernel


@kernel
def first_valid(values: np.ndarray) -> int:
    """Index of the first non-NaN value (len(values) when there is none)."""
    for i in range(values.shape[0]):
        if not np.isnan(values[i]):
            return i
    return values.shape[0]


@kernel
def first_valid3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> int:
    """Index of the first bar where none of the three inputs is NaN (TA-Lib's wrapper rule)."""
    for i in range(a.shape[0]):
        if not (np.isnan(a[i]) or np.isnan(b[i]) or np.isnan(c[i])):
            return i
    return a.shape[0]


@kernel
def fill_nan(out: np.ndarray, stop: int) -> None:
    """out[:stop] = NaN (the warm-up), clipped to the array."""
    for i in range(min(stop, out.shape[0])):
        out[i] = np.nan


@jit(inline="always")
def sma_step(values: np.ndarray, i: int, begin: int, period: int, total: float) -> tuple[float, float]:
    """Bar ``i`` of an SMA whose first value is ``values[begin]``, streamed: ``total`` carries the
    running sum from bar to bar (start it at 0 at ``begin``). Returns (the SMA at ``i``, NaN in the
    warm-up; the sum for bar i+1). Kernels that need an SMA inside their own bar loop call this,
    so their values are ``sma``'s bit for bit."""
    total += values[i]
    if i < begin + period - 1:
        return np.nan, total
    return total / period, total - values[i - period + 1]


@kernel
def sma_into(values: np.ndarray, period: int, out: np.ndarray) -> None:
    """Simple moving average over ``period`` values, written into ``out``."""
    n = values.shape[0]
    begin = first_valid(values)
    if period < 1 or n - begin < period:
        fill_nan(out, n)
        return
    total = 0.0
    for i in range(begin, n):
        out[i], total = sma_step(values, i, begin, period, total)
    fill_nan(out, begin)


@kernel
def ema_from(values: np.ndarray, period: int, seed_start: int, out: np.ndarray) -> None:
    """EMA seeded with the mean of values[seed_start : seed_start + period], written into out[seed_start + period - 1:]."""
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
        current = fma(values[i] - current, k, current)
        out[i] = current


@kernel
def ema_into(values: np.ndarray, period: int, out: np.ndarray) -> None:
    """TA-Lib's EMA (seeded with the first SMA), NaN warm-up included, written into ``out``."""
    n = values.shape[0]
    begin = first_valid(values)
    if period < 1 or n - begin < period:
        fill_nan(out, n)
        return
    fill_nan(out, begin + period - 1)
    ema_from(values, period, begin, out)


@kernel
def ema_pair_into(values: np.ndarray, p1: int, p2: int, out1: np.ndarray, out2: np.ndarray) -> None:
    """Two EMAs in one loop, each exactly as ``ema_into``: their dependency chains overlap instead of
    running one after the other (an EMA step waits on the previous one; two independent steps fit
    in the same cycles)."""
    n = values.shape[0]
    begin = first_valid(values)
    if p1 < 1 or p2 < 1 or n - begin < max(p1, p2):
        ema_into(values, p1, out1)
        ema_into(values, p2, out2)
        return
    fill_nan(out1, begin + p1 - 1)
    fill_nan(out2, begin + p2 - 1)
    k1 = 2.0 / (p1 + 1)
    k2 = 2.0 / (p2 + 1)
    total = 0.0
    for i in range(begin, begin + p1):
        total += values[i]
    e1 = total / p1
    out1[begin + p1 - 1] = e1
    total = 0.0
    for i in range(begin, begin + p2):
        total += values[i]
    e2 = total / p2
    out2[begin + p2 - 1] = e2
    start = begin + max(p1, p2)
    for i in range(begin + p1, start):
        e1 = fma(values[i] - e1, k1, e1)
        out1[i] = e1
    for i in range(begin + p2, start):
        e2 = fma(values[i] - e2, k2, e2)
        out2[i] = e2
    for i in range(start, n):
        x = values[i]
        e1 = fma(x - e1, k1, e1)
        e2 = fma(x - e2, k2, e2)
        out1[i] = e1
        out2[i] = e2


@kernel
def ema_cn_into(values: np.ndarray, period: int, out: np.ndarray) -> None:
    """Charting-software EMA: seeded with the first value, so defined from the first bar."""
    n = values.shape[0]
    begin = first_valid(values)
    fill_nan(out, begin)
    if begin >= n:
        return
    k = 2.0 / (period + 1)
    current = values[begin]
    out[begin] = current
    for i in range(begin + 1, n):
        current = fma(values[i] - current, k, current)
        out[i] = current


REBASE_BARS = 128  # running sums restart from an exact sum this often: drift stays ~1e-10


@kernel
def _window_sums(values: np.ndarray, start: int, period: int) -> tuple[float, float]:
    """(sum, weighted sum with weights 1..period) of values[start : start + period], added up afresh."""
    plain = 0.0
    weighted = 0.0
    for j in range(period):
        x = values[start + j]
        plain += x
        weighted += x * (j + 1)
    return plain, weighted


@kernel
def wma_into(values: np.ndarray, period: int, out: np.ndarray) -> None:
    """Linearly weighted moving average (newest weight ``period``), O(1) per bar from running sums.

    The running sums (TA-Lib's published method) drift: on a million non-integer prices near 100
    they end 3e-7 away from the exact average (TA-Lib 0.6+ stays within 3e-11). So they are added up
    afresh every ``max(period, REBASE_BARS)`` bars (O(period) each time, O(1) per bar): error ~1e-10.
    """
    n = values.shape[0]
    begin = first_valid(values)
    if period < 1 or n - begin < period:
        fill_nan(out, n)
        return
    fill_nan(out, begin + period - 1)
    divider = (period * (period + 1)) >> 1
    stretch = max(period, REBASE_BARS)
    for first in range(begin + period - 1, n, stretch):
        plain, weighted = _window_sums(values, first - period + 1, period)
        out[first] = weighted / divider
        for i in range(first + 1, min(first + stretch, n)):
            x = values[i]
            weighted += x * period - plain  # every old weight drops by one, the new value gets `period`
            plain += x - values[i - period]
            out[i] = weighted / divider


def as_prices(values: np.ndarray) -> np.ndarray:
    """A contiguous float64 view (or copy) of ``values``."""
    return np.ascontiguousarray(values, dtype=np.float64)


def check_period(period: int, minimum: int = 1) -> int:
    if int(period) != period or period < minimum:
        raise ValueError(f"period must be an integer >= {minimum}, got {period!r}")
    return int(period)


def sma(values: np.ndarray, period: int = 30) -> np.ndarray:
    """Simple moving average (TA-Lib ``SMA``)."""
    values = as_prices(values)
    out = np.empty(values.shape[0])
    sma_into(values, check_period(period), out)
    return out


def ema(values: np.ndarray, period: int = 30) -> np.ndarray:
    """Exponential moving average, alpha = 2 / (period + 1), seeded with the first SMA (TA-Lib ``EMA``)."""
    values = as_prices(values)
    out = np.empty(values.shape[0])
    ema_into(values, check_period(period), out)
    return out


def ema_cn(values: np.ndarray, period: int = 12) -> np.ndarray:
    """Chinese charting EMA (通达信/同花顺 ``EMA(X, N)``): alpha = 2 / (N + 1), seeded with the first value."""
    values = as_prices(values)
    out = np.empty(values.shape[0])
    ema_cn_into(values, check_period(period), out)
    return out


def wma(values: np.ndarray, period: int = 30) -> np.ndarray:
    """Weighted moving average with weights 1..period, newest heaviest (TA-Lib ``WMA``)."""
    values = as_prices(values)
    out = np.empty(values.shape[0])
    wma_into(values, check_period(period), out)
    return out

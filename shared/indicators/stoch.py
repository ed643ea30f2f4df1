"""Stochastic oscillator (TA-Lib ``STOCH``) and KDJ in both conventions.

Raw %K over ``fastk`` bars is ``(close - lowest low) / (highest high - lowest low) * 100``,
0 when the window has no range. The window extremes take three comparisons per
bar (van Herk / Gil-Werman blocks): O(n) for any window.

- TA-Lib: slow %K = SMA(raw %K, slowk), %D = SMA(slow %K, slowd); both start at
  bar ``fastk + slowk + slowd - 3``. KDJ (``talib``) is that with J = 3K - 2D.
- Charting (通达信 ``KDJ(9, 3, 3)``): RSV is raw %K, K = SMA(RSV, 3, 1) =
  (RSV + 2 K') / 3 and D = SMA(K, 3, 1), both seeded with the first RSV (bar
  ``n - 1``), J = 3K - 2D. (Software that seeds K and D with 50 converges to
  the same values geometrically, by (2/3) per bar.)
"""
from __future__ import annotations

import numpy as np

from shared.indicators._jit import kernel
from shared.indicators.moving_averages import as_prices, check_period, fill_nan, first_valid3, sma_into


@kernel
def raw_k_into(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int, begin: int,
               out: np.ndarray) -> None:
    """Raw %K for bars begin + period - 1 .. n - 1 (earlier elements untouched).

    Window extremes by van Herk / Gil-Werman: bars go in blocks of ``period``; a
    window ending at bar i is the tail of the previous block (its suffix
    extremes, computed once when that block completes) plus the head of the
    current block (a running extreme). Three comparisons per bar, no data-
    dependent branches, O(n) for any window, O(period) memory.
    """
    n = close.shape[0]
    tail_hi = np.full(period + 1, -np.inf)  # [j]: extreme of the previous block from its j-th bar on
    tail_lo = np.full(period + 1, np.inf)   # [period] stays +-inf: a window that is exactly one block
    block = begin
    while block < n:
        stop = min(block + period, n)
        head_hi = -np.inf
        head_lo = np.inf
        for i in range(block, stop):
            h = high[i]
            lo = low[i]
            head_hi = h if h > head_hi else head_hi
            head_lo = lo if lo < head_lo else head_lo
            if i >= begin + period - 1:
                j = i - block + 1  # the window starts at the previous block's j-th bar
                highest = tail_hi[j] if tail_hi[j] > head_hi else head_hi
                lowest = tail_lo[j] if tail_lo[j] < head_lo else head_lo
                diff = highest - lowest
                out[i] = (close[i] - lowest) / diff * 100.0 if diff != 0.0 else 0.0
        if stop - block == period:
            running_hi = -np.inf
            running_lo = np.inf
            for j in range(period - 1, -1, -1):
                h = high[block + j]
                lo = low[block + j]
                running_hi = h if h > running_hi else running_hi
                running_lo = lo if lo < running_lo else running_lo
                tail_hi[j] = running_hi
                tail_lo[j] = running_lo
        block = stop


@kernel
def stoch_into(high: np.ndarray, low: np.ndarray, close: np.ndarray, fastk: int, slowk: int, slowd: int,
               k_out: np.ndarray, d_out: np.ndarray) -> None:
    n = close.shape[0]
    begin = first_valid3(high, low, close)
    first_out = begin + fastk - 1 + slowk - 1 + slowd - 1
    if fastk < 1 or slowk < 1 or slowd < 1 or first_out >= n:
        fill_nan(k_out, n)
        fill_nan(d_out, n)
        return
    fill_nan(d_out, begin + fastk - 1)  # d_out holds raw %K first
    raw_k_into(high, low, close, fastk, begin, d_out)
    sma_into(d_out, slowk, k_out)
    sma_into(k_out, slowd, d_out)
    fill_nan(k_out, first_out)  # TA-Lib starts slow %K where %D starts


@kernel
def kdj_cn_into(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int, k_smooth: int, d_smooth: int,
                k_out: np.ndarray, d_out: np.ndarray, j_out: np.ndarray) -> None:
    n = close.shape[0]
    begin = first_valid3(high, low, close)
    first_out = begin + period - 1
    fill_nan(k_out, first_out)
    fill_nan(d_out, first_out)
    fill_nan(j_out, first_out)
    if first_out >= n:
        return
    raw_k_into(high, low, close, period, begin, j_out)  # RSV into j_out, then replaced by J
    k = j_out[first_out]
    d = k
    for i in range(first_out, n):
        if i > first_out:
            k = (j_out[i] + (k_smooth - 1) * k) / k_smooth
            d = (k + (d_smooth - 1) * d) / d_smooth
        k_out[i] = k
        d_out[i] = d
        j_out[i] = 3.0 * k - 2.0 * d


def stoch(high: np.ndarray, low: np.ndarray, close: np.ndarray, fastk_period: int = 5, slowk_period: int = 3,
          slowd_period: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """TA-Lib ``STOCH`` with SMA smoothing (its default matype 0): (slowk, slowd)."""
    close = as_prices(close)
    outs = np.empty((2, close.shape[0]))
    stoch_into(as_prices(high), as_prices(low), close, check_period(fastk_period), check_period(slowk_period),
               check_period(slowd_period), outs[0], outs[1])
    return outs[0], outs[1]


def kdj(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 9, k_smooth: int = 3,
        d_smooth: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KDJ on TA-Lib's ``STOCH(period, k_smooth, SMA, d_smooth, SMA)``: (K, D, J = 3K - 2D)."""
    k, d = stoch(high, low, close, period, k_smooth, d_smooth)
    return k, d, 3.0 * k - 2.0 * d


def kdj_cn(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 9, k_smooth: int = 3,
           d_smooth: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Charting KDJ: K = SMA(RSV, k_smooth, 1), D = SMA(K, d_smooth, 1), J = 3K - 2D."""
    close = as_prices(close)
    outs = np.empty((3, close.shape[0]))
    kdj_cn_into(as_prices(high), as_prices(low), close, check_period(period), check_period(k_smooth),
                check_period(d_smooth), outs[0], outs[1], outs[2])
    return outs[0], outs[1], outs[2]

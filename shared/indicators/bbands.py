"""Bollinger bands as TA-Lib computes them (``BBANDS`` with the simple moving average).

The standard deviation is the population one (divide by ``period``, not
``period - 1`` as pandas' ``std`` does); a flat window has deviation 0.
"""
from __future__ import annotations

import math

import numpy as np

from shared.indicators._jit import kernel
from shared.indicators.moving_averages import as_prices, check_period, fill_nan, first_valid


@kernel
def _deviation_sums(values: np.ndarray, start: int, stop: int, ref: float) -> tuple[float, float]:
    s1 = 0.0
    s2 = 0.0
    for i in range(start, stop):
        d = values[i] - ref
        s1 += d
        s2 += d * d
    return s1, s2


@kernel
def bbands_into(values: np.ndarray, period: int, nbdev_up: float, nbdev_dn: float,
                upper: np.ndarray, middle: np.ndarray, lower: np.ndarray, have_middle: bool = False) -> None:
    """One pass: the SMA (``sma_into``'s running sum) and the deviation sums side by side.

    ``have_middle``: ``middle`` already holds the SMA of ``period`` (a set that asks for that
    SMA too shares it), so only the deviation is computed.

    The variance comes from sums of ``x - ref`` and ``(x - ref)^2`` with ``ref`` the
    window mean, re-taken every ``period`` bars (O(period) each time, so O(1) per
    bar): ``mean(x^2) - mean^2`` on raw prices near 60,000 cancels away ~1e-7 of
    the deviation; TA-Lib 0.6+ is accurate to ~1e-10 and so is this.
    """
    n = values.shape[0]
    begin = first_valid(values)
    first_out = begin + period - 1
    if period < 1 or first_out >= n:
        fill_nan(upper, n)
        fill_nan(middle, n)
        fill_nan(lower, n)
        return
    fill_nan(upper, first_out)
    fill_nan(lower, first_out)
    if not have_middle:
        fill_nan(middle, first_out)
    total = 0.0
    for i in range(begin, first_out):
        total += values[i]
    ref = 0.0
    s1 = 0.0
    s2 = 0.0
    since_rebase = period
    inv = 1.0 / period
    trailing = begin
    for i in range(first_out, n):
        x = values[i]
        if have_middle:
            mid = middle[i]
        else:
            total += x
            mid = total / period
            total -= values[trailing]
            trailing += 1
            middle[i] = mid
        if since_rebase == period:
            ref = mid
            s1, s2 = _deviation_sums(values, i - period + 1, i + 1, ref)
            since_rebase = 0
        else:
            d_new = x - ref
            d_old = values[i - period] - ref
            s1 += d_new - d_old
            s2 += d_new * d_new - d_old * d_old
        since_rebase += 1
        variance = (s2 - s1 * s1 * inv) * inv
        std = math.sqrt(variance) if variance > 1e-10 else 0.0
        upper[i] = mid + std * nbdev_up
        lower[i] = mid - std * nbdev_dn


def bbands(values: np.ndarray, period: int = 20, nbdev_up: float = 2.0,
           nbdev_dn: float = 2.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TA-Lib ``BBANDS`` (matype SMA): (upper, middle, lower), NaN for the first ``period - 1`` bars."""
    values = as_prices(values)
    outs = np.empty((3, values.shape[0]))
    bbands_into(values, check_period(period, 2), float(nbdev_up), float(nbdev_dn), outs[0], outs[1], outs[2])
    return outs[0], outs[1], outs[2]

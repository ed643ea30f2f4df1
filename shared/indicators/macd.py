"""MACD as TA-Lib computes it, and the Chinese charting variant.

TA-Lib starts the fast EMA where the slow one starts: the fast EMA is seeded
with the mean of the ``fast`` values ending at index ``slow - 1``, not with the
first ``fast`` values. The signal line is an EMA of the MACD line seeded the
same way, so all three outputs begin at index ``slow + signal - 2``.

Charting software (通达信, 同花顺, 文华) computes DIF = EMA(C, fast) - EMA(C, slow)
and DEA = EMA(DIF, signal) with EMAs seeded by the first value, so every bar has a
value, and draws the bar as ``2 * (DIF - DEA)``.
"""
from __future__ import annotations

import numpy as np

from shared.indicators._fma import fma
from shared.indicators._jit import kernel
from shared.indicators.moving_averages import as_prices, check_period, fill_nan, first_valid


@kernel
def macd_into(values: np.ndarray, fast: int, slow: int, signal: int,
              line: np.ndarray, sig: np.ndarray, hist: np.ndarray) -> None:
    """(macd, signal, histogram) with NaN during the warm-up, written into the three outputs.

    One pass: the fast, slow and signal EMAs advance together (three short
    dependency chains side by side), each in ``ema_from``'s order of operations.
    """
    n = values.shape[0]
    if slow < fast:
        fast, slow = slow, fast
    begin = first_valid(values)
    seeded = begin + slow - 1          # both price EMAs have their seed here
    first_out = seeded + signal - 1    # and the signal line here
    if fast < 1 or signal < 1 or first_out >= n:
        fill_nan(line, n)
        fill_nan(sig, n)
        fill_nan(hist, n)
        return
    fill_nan(line, first_out)
    fill_nan(sig, first_out)
    fill_nan(hist, first_out)
    k_fast = 2.0 / (fast + 1)
    k_slow = 2.0 / (slow + 1)
    k_sig = 2.0 / (signal + 1)
    slow_total = 0.0
    for i in range(begin, seeded + 1):
        slow_total += values[i]
    fast_total = 0.0
    for i in range(seeded + 1 - fast, seeded + 1):
        fast_total += values[i]
    slow_ema = slow_total / slow
    fast_ema = fast_total / fast
    raw = fast_ema - slow_ema
    sig_total = raw
    for i in range(seeded + 1, first_out + 1):
        x = values[i]
        fast_ema = fma(x - fast_ema, k_fast, fast_ema)
        slow_ema = fma(x - slow_ema, k_slow, slow_ema)
        raw = fast_ema - slow_ema
        sig_total += raw
    signal_ema = sig_total / signal
    line[first_out] = raw
    sig[first_out] = signal_ema
    hist[first_out] = raw - signal_ema
    for i in range(first_out + 1, n):
        x = values[i]
        fast_ema = fma(x - fast_ema, k_fast, fast_ema)
        slow_ema = fma(x - slow_ema, k_slow, slow_ema)
        raw = fast_ema - slow_ema
        signal_ema = fma(raw - signal_ema, k_sig, signal_ema)
        line[i] = raw
        sig[i] = signal_ema
        hist[i] = raw - signal_ema


@kernel
def macd_on_slow_into(values: np.ndarray, fast: int, slow: int, signal: int, slow_ema: np.ndarray,
                      line: np.ndarray, sig: np.ndarray, hist: np.ndarray) -> None:
    """``macd_into`` for a set that already has the EMA of ``slow`` (``ema_into``'s row, the same bits):
    only the fast EMA and the signal line are left to run."""
    n = values.shape[0]
    begin = first_valid(values)
    seeded = begin + slow - 1
    first_out = seeded + signal - 1
    if fast < 1 or fast > slow or signal < 1 or first_out >= n:
        macd_into(values, fast, slow, signal, line, sig, hist)
        return
    fill_nan(line, first_out)
    fill_nan(sig, first_out)
    fill_nan(hist, first_out)
    k_fast = 2.0 / (fast + 1)
    k_sig = 2.0 / (signal + 1)
    fast_total = 0.0
    for i in range(seeded + 1 - fast, seeded + 1):
        fast_total += values[i]
    fast_ema = fast_total / fast
    raw = fast_ema - slow_ema[seeded]
    sig_total = raw
    for i in range(seeded + 1, first_out + 1):
        fast_ema = fma(values[i] - fast_ema, k_fast, fast_ema)
        raw = fast_ema - slow_ema[i]
        sig_total += raw
    signal_ema = sig_total / signal
    line[first_out] = raw
    sig[first_out] = signal_ema
    hist[first_out] = raw - signal_ema
    for i in range(first_out + 1, n):
        fast_ema = fma(values[i] - fast_ema, k_fast, fast_ema)
        raw = fast_ema - slow_ema[i]
        signal_ema = fma(raw - signal_ema, k_sig, signal_ema)
        line[i] = raw
        sig[i] = signal_ema
        hist[i] = raw - signal_ema


@kernel
def macd_cn_into(values: np.ndarray, fast: int, slow: int, signal: int,
                 dif: np.ndarray, dea: np.ndarray, bar: np.ndarray) -> None:
    """DIF, DEA and the MACD bar 2 * (DIF - DEA), EMAs seeded with the first value."""
    n = values.shape[0]
    begin = first_valid(values)
    fill_nan(dif, begin)
    fill_nan(dea, begin)
    fill_nan(bar, begin)
    if begin >= n:
        return
    kf = 2.0 / (fast + 1)
    ks = 2.0 / (slow + 1)
    kd = 2.0 / (signal + 1)
    ef = values[begin]
    es = values[begin]
    d = ef - es
    e = d
    dif[begin] = d
    dea[begin] = e
    bar[begin] = 2.0 * (d - e)
    for i in range(begin + 1, n):
        x = values[i]
        ef = fma(x - ef, kf, ef)
        es = fma(x - es, ks, es)
        d = ef - es
        e = fma(d - e, kd, e)
        dif[i] = d
        dea[i] = e
        bar[i] = 2.0 * (d - e)


def macd(values: np.ndarray, fast: int = 12, slow: int = 26,
         signal: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TA-Lib ``MACD``: (macd, signal, histogram), NaN for the first ``slow + signal - 2`` bars."""
    values = as_prices(values)
    outs = np.empty((3, values.shape[0]))
    macd_into(values, check_period(fast), check_period(slow), check_period(signal), outs[0], outs[1], outs[2])
    return outs[0], outs[1], outs[2]


def macd_cn(values: np.ndarray, fast: int = 12, slow: int = 26,
            signal: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Charting MACD: (DIF, DEA, MACD bar = 2 * (DIF - DEA)), defined from the first bar."""
    values = as_prices(values)
    outs = np.empty((3, values.shape[0]))
    macd_cn_into(values, check_period(fast), check_period(slow), check_period(signal), outs[0], outs[1], outs[2])
    return outs[0], outs[1], outs[2]

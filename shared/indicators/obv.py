"""On-balance volume as TA-Lib computes it: starts at the first bar's volume, no warm-up."""
from __future__ import annotations

import numpy as np

from shared.indicators._jit import kernel
from shared.indicators.moving_averages import as_prices, fill_nan, first_valid3


@kernel
def obv_into(close: np.ndarray, volume: np.ndarray, out: np.ndarray) -> None:
    n = close.shape[0]
    begin = first_valid3(close, volume, volume)
    fill_nan(out, begin)
    if begin >= n:
        return
    total = volume[begin]
    previous = close[begin]
    out[begin] = total
    for i in range(begin + 1, n):
        x = close[i]
        v = volume[i]
        # arithmetic, not branches: the direction of a close is a coin toss for the branch predictor
        # (v * 1.0, v * -1.0 and v * 0.0 are exact, so the sum is TA-Lib's)
        total += v * (np.float64(x > previous) - np.float64(x < previous))
        out[i] = total
        previous = x


def obv(close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """TA-Lib ``OBV``: add the bar's volume on an up close, subtract it on a down close."""
    close = as_prices(close)
    out = np.empty(close.shape[0])
    obv_into(close, as_prices(volume), out)
    return out

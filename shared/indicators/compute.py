"""``compute_indicators``: the named indicator sets the K-line API offers."""
from __future__ import annotations

import numpy as np

from shared.errors import InvalidInput
from shared.indicators.macd import macd
from shared.indicators.moving_averages import sma
from shared.indicators.rsi import rsi

INDICATOR_NAMES = ("ma", "macd", "rsi")
MA_PERIODS = (5, 10, 20, 60)


def compute_indicators(names: list[str], close: np.ndarray) -> dict[str, np.ndarray]:
    """``ma`` -> ma5, ma10, ma20, ma60; ``macd`` -> macd, macd_signal, macd_hist (12, 26, 9); ``rsi`` -> rsi14.

    Every array has the length of ``close``, NaN during its warm-up.
    """
    unknown = [name for name in names if name not in INDICATOR_NAMES]
    if unknown:
        raise InvalidInput(
            f"unknown indicator {unknown[0]!r}: expected one of {', '.join(INDICATOR_NAMES)}",
            {"indicators": unknown},
        )
    values = np.ascontiguousarray(close, dtype=np.float64)
    out: dict[str, np.ndarray] = {}
    if "ma" in names:
        for period in MA_PERIODS:
            out[f"ma{period}"] = sma(values, period)
    if "macd" in names:
        out["macd"], out["macd_signal"], out["macd_hist"] = macd(values, 12, 26, 9)
    if "rsi" in names:
        out["rsi14"] = rsi(values, 14)
    return out

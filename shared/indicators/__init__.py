"""Technical indicators in numba, single pass O(n), equal to TA-Lib (warm-up NaNs included)."""
from shared.indicators.compute import INDICATOR_NAMES, compute_indicators
from shared.indicators.macd import macd
from shared.indicators.moving_averages import ema, sma
from shared.indicators.rsi import rsi

__all__ = ["INDICATOR_NAMES", "compute_indicators", "ema", "macd", "rsi", "sma"]

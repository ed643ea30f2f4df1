"""Technical indicators in numba, single pass, equal to TA-Lib (names, defaults, warm-up NaNs).

TA-Lib conventions: ``sma ema wma macd rsi bbands atr trange stoch kdj cci obv adx``.
Chinese charting conventions (通达信/同花顺): ``ema_cn macd_cn rsi_cn kdj_cn``.
``compute_indicators`` computes a set named by the K-line API's specs, sharing work.
"""
from shared.indicators.adx import adx
from shared.indicators.atr import atr, trange
from shared.indicators.bbands import bbands
from shared.indicators.cci import cci
from shared.indicators.compute import INDICATOR_NAMES, compute_indicators
from shared.indicators.spec import IndicatorSpec, parse_indicators
from shared.indicators.macd import macd, macd_cn
from shared.indicators.moving_averages import ema, ema_cn, sma, wma
from shared.indicators.obv import obv
from shared.indicators.rsi import rsi, rsi_cn
from shared.indicators.stoch import kdj, kdj_cn, stoch

__all__ = ["INDICATOR_NAMES", "IndicatorSpec", "adx", "atr", "bbands", "cci", "compute_indicators", "ema", "ema_cn", "kdj",
           "kdj_cn", "macd", "macd_cn", "obv", "parse_indicators", "rsi", "rsi_cn", "sma", "stoch", "trange", "wma"]

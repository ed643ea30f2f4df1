"""The K-line API's indicator requests: parsing, output keys, warm-ups, and the values they name."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from shared.errors import InvalidInput
from shared.indicators import compute_indicators, ema_cn, kdj_cn, macd_cn, parse_indicators, rsi_cn

COPPER = Path(__file__).parents[4] / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"


@functools.cache
def prices() -> dict[str, np.ndarray]:
    frame = pd.read_csv(COPPER, usecols=["high", "low", "close", "volume"], nrows=20_000)
    return {k: frame[k].to_numpy(np.float64) for k in frame.columns}


def texts(text: str) -> list[str]:
    return [spec.text() for spec in parse_indicators(text)]


def test_names_parameters_and_defaults() -> None:
    assert texts("ma,macd,rsi") == ["ma:5,10,20,60", "macd:12,26,9", "rsi:14"]
    assert texts("ma:5,20, EMA:12 ,boll:20,2,kdj,atr:14,macd:12,26,9,rsi:6") == [
        "ma:5,20", "ema:12", "boll:20,2", "kdj:9,3,3", "atr:14", "macd:12,26,9", "rsi:6"]
    assert texts("macd.cn,rsi.cn,kdj.cn,ema.cn:5") == ["macd.cn:12,26,9", "rsi.cn:6,12,24", "kdj.cn:9,3,3",
                                                       "ema.cn:5"]
    assert texts("boll:26,2.5,macd:5,obv,cci,adx:7,wma") == ["boll:26,2.5", "macd:5,26,9", "obv", "cci:14",
                                                             "adx:7", "wma:30"]
    assert texts("sma:5,bbands,stoch") == ["ma:5", "boll:20,2", "kdj:9,3,3"]  # TA-Lib's names as aliases
    assert texts("ma:5,ma:10,5,,") == ["ma:5,10"]  # repeated names merge
    assert texts("") == [] and texts(None) == []


def test_keys() -> None:
    keys = [k for spec in parse_indicators("ma:5,20,macd,macd.cn,boll,rsi.cn:6,kdj,atr,obv") for k in spec.keys()]
    assert keys == ["ma5", "ma20", "macd", "macd_signal", "macd_hist", "macd_cn", "macd_signal_cn",
                    "macd_hist_cn", "boll_upper", "boll_middle", "boll_lower", "rsi6_cn", "kdj_k", "kdj_d",
                    "kdj_j", "atr14", "obv"]


@pytest.mark.parametrize(("text", "words"), [
    ("ma,bol", "unknown indicator 'bol'"),
    ("ma:0", "'ma': period '0' must be a whole number from 1"),
    ("rsi:1", "'rsi': period '1' must be a whole number from 2"),
    ("ma:5.5", "period '5.5'"),
    ("ma:1001", "period '1001'"),
    ("boll:20,0", "width '0'"),
    ("macd:1,2,3,4", "'macd' takes at most 3 parameters"),
    ("macd:26,12", "fast period 26 must be below slow period 12"),  # TA-Lib would swap them silently
    ("macd.cn:12,12", "fast period 12 must be below slow period 12"),
    ("macd:30", "fast period 30 must be below slow period 26"),
    ("ma.cn", "'ma' has no separate charting convention"),
    ("macd.tdx", "the only convention suffix is .cn"),
    ("5,ma", "parameter '5' comes before any indicator name"),
    ("ma:", "':' must be followed by a parameter"),
    ("macd:12,26,9,macd:5,10,3", "'macd' is given twice"),
    ("ma:" + ",".join(str(p) for p in range(2, 40)), "at most 32 indicator values"),
])
def test_bad_requests_name_the_problem(text: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_indicators(text)
    assert words in info.value.message
    assert info.value.details == [{"field": "query.indicators", "message": info.value.message}]


def test_warm_up_bars() -> None:
    def warmup(text: str) -> int:
        (spec,) = parse_indicators(text)
        return spec.warmup_bars()
    assert warmup("ma:5,60") == 59 and warmup("boll:20,2") == 19 and warmup("obv") == 0
    # recursive: (1 - alpha)^k below 1e-15 -> EMA(26): ln(1e-15) / ln(25/27) = 448.8 -> 449 bars after its seed
    assert warmup("ema:26") == 26 + 449
    assert 0.925926 ** 449 < 1e-15 < 0.925926 ** 440
    # Wilder's RSI(14): (13/14)^k < 1e-15 -> 467
    assert warmup("rsi:14") == 14 + 467
    assert warmup("kdj:9,3,3") == 12  # TA-Lib's STOCH is windows only


def test_values_of_every_name() -> None:
    p = prices()
    h, lo, c, v = p["high"], p["low"], p["close"], p["volume"]
    out = compute_indicators(["ma:5,20", "ema:12", "wma", "macd", "rsi:6", "boll:20,2", "atr", "kdj", "cci",
                              "obv", "adx", "macd.cn:3,5,2", "ema.cn:5", "rsi.cn:6", "kdj.cn"], p)
    expected = {
        "ma5": talib.SMA(c, 5), "ma20": talib.SMA(c, 20), "ema12": talib.EMA(c, 12), "wma30": talib.WMA(c),
        "macd": talib.MACD(c)[0], "macd_signal": talib.MACD(c)[1], "macd_hist": talib.MACD(c)[2],
        "rsi6": talib.RSI(c, 6), "boll_upper": talib.BBANDS(c)[0], "boll_middle": talib.BBANDS(c)[1],
        "boll_lower": talib.BBANDS(c)[2], "atr14": talib.ATR(h, lo, c), "kdj_k": talib.STOCH(h, lo, c, 9)[0],
        "kdj_d": talib.STOCH(h, lo, c, 9)[1], "kdj_j": 3 * talib.STOCH(h, lo, c, 9)[0] - 2 * talib.STOCH(h, lo, c, 9)[1],
        "cci14": talib.CCI(h, lo, c), "obv": talib.OBV(c, v), "adx14": talib.ADX(h, lo, c),
        "macd_cn": macd_cn(c, 3, 5, 2)[0], "macd_signal_cn": macd_cn(c, 3, 5, 2)[1],
        "macd_hist_cn": macd_cn(c, 3, 5, 2)[2], "ema5_cn": ema_cn(c, 5), "rsi6_cn": rsi_cn(c, 6),
        "kdj_k_cn": kdj_cn(h, lo, c)[0], "kdj_d_cn": kdj_cn(h, lo, c)[1], "kdj_j_cn": kdj_cn(h, lo, c)[2],
    }
    assert list(out) == list(expected)
    for key, reference in expected.items():
        np.testing.assert_array_equal(np.isnan(out[key]), np.isnan(reference), err_msg=key)
        np.testing.assert_allclose(out[key], reference, rtol=0, atol=1e-9, err_msg=key)


def test_the_shared_rows_are_the_same_values() -> None:
    # Bollinger's middle band is the SMA row of its period; MACD's slow EMA is the EMA row of its period
    c = prices()["close"]
    together = compute_indicators(["ma:20", "ema:26", "boll:20,2", "macd"], c)
    alone = compute_indicators(["boll:20,2", "macd"], c)
    for key in ("boll_upper", "boll_middle", "boll_lower", "macd", "macd_signal", "macd_hist"):
        np.testing.assert_array_equal(together[key], alone[key])
    np.testing.assert_array_equal(together["ma20"], together["boll_middle"])


def test_missing_prices_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="high"):
        compute_indicators(["atr"], prices()["close"])


def test_emas_computed_in_pairs_are_the_single_kernel_values() -> None:
    c = prices()["close"]
    out = compute_indicators(["ema:12,26,5"], c)
    for period in (12, 26, 5):
        np.testing.assert_array_equal(out[f"ema{period}"], talib.EMA(c, period))  # bit-equal, NaNs included

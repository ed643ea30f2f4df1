"""Our numba indicators against TA-Lib on the real copper closes, and worked examples."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from shared.errors import InvalidInput
from shared.indicators import compute_indicators, ema, macd, rsi, sma

COPPER = Path(__file__).parents[4] / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
TOLERANCE = 1e-9


@functools.cache
def closes() -> np.ndarray:
    return pd.read_csv(COPPER, usecols=["close"])["close"].to_numpy(np.float64)


def assert_same(ours: np.ndarray, reference: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))  # the same warm-up
    np.testing.assert_allclose(ours, reference, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("period", [5, 10, 20, 60])
def test_sma_equals_talib(period: int) -> None:
    assert_same(sma(closes(), period), talib.SMA(closes(), timeperiod=period))
    assert np.isnan(sma(closes(), period)).sum() == period - 1


@pytest.mark.parametrize("period", [5, 12, 26, 60])
def test_ema_equals_talib(period: int) -> None:
    assert_same(ema(closes(), period), talib.EMA(closes(), timeperiod=period))


def test_macd_equals_talib() -> None:
    ours = macd(closes(), 12, 26, 9)
    reference = talib.MACD(closes(), fastperiod=12, slowperiod=26, signalperiod=9)
    for mine, theirs in zip(ours, reference, strict=True):
        assert_same(mine, theirs)
    assert np.isnan(ours[0]).sum() == 33  # 25 for the slow EMA + 8 for the signal


def test_rsi_equals_talib() -> None:
    assert_same(rsi(closes(), 14), talib.RSI(closes(), timeperiod=14))
    assert np.isnan(rsi(closes(), 14)).sum() == 14


def test_leading_nans_are_skipped_like_talib() -> None:
    values = closes()[:500].copy()
    values[:7] = np.nan
    assert_same(sma(values, 20), talib.SMA(values, timeperiod=20))
    assert_same(ema(values, 20), talib.EMA(values, timeperiod=20))
    assert_same(rsi(values, 14), talib.RSI(values, timeperiod=14))
    for mine, theirs in zip(macd(values, 12, 26, 9), talib.MACD(values, 12, 26, 9), strict=True):
        assert_same(mine, theirs)


def test_worked_examples() -> None:
    x = np.array([10.0, 12.0, 11.0, 13.0])
    # EMA(3): alpha 0.5, seed mean(10, 12, 11) = 11, then 0.5 * 13 + 0.5 * 11 = 12
    np.testing.assert_allclose(ema(x, 3), [np.nan, np.nan, 11.0, 12.0])
    np.testing.assert_allclose(sma(x, 2), [np.nan, 11.0, 11.5, 12.0])
    # RSI(2) over changes +2, -1: gain 1, loss 0.5 -> 66.67; then +2: gain (1 + 2) / 2, loss 0.25 -> 85.71
    np.testing.assert_allclose(rsi(x, 2), [np.nan, np.nan, 200 / 3, 100 * 1.5 / 1.75])


def test_too_short_input_is_all_nan() -> None:
    short = closes()[:20]
    assert np.isnan(macd(short, 12, 26, 9)[0]).all()
    assert np.isnan(rsi(short[:14], 14)).all()
    assert np.isnan(sma(short[:4], 5)).all()


def test_compute_indicators_names_and_values() -> None:
    out = compute_indicators(["ma", "macd", "rsi"], closes())
    assert sorted(out) == sorted(["ma5", "ma10", "ma20", "ma60", "macd", "macd_signal", "macd_hist", "rsi14"])
    assert_same(out["ma60"], talib.SMA(closes(), timeperiod=60))
    assert_same(out["macd_hist"], talib.MACD(closes(), 12, 26, 9)[2])
    assert_same(out["rsi14"], talib.RSI(closes(), timeperiod=14))
    assert all(len(v) == len(closes()) for v in out.values())
    assert compute_indicators([], closes()) == {}


def test_unknown_indicator_is_named() -> None:
    with pytest.raises(InvalidInput, match="'bol'") as info:
        compute_indicators(["ma", "bol"], closes())
    assert info.value.details[0]["field"] == "query.indicators"

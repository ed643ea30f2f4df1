"""Every TA-Lib-convention indicator against the ``ta-lib`` package on the real copper bars.

Same warm-up (NaN in exactly the same places) and values within 1e-9, at TA-Lib's
defaults and at the parameters Chinese charting uses.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from shared.indicators import adx, atr, bbands, cci, ema, kdj, macd, obv, rsi, sma, stoch, trange, wma

COPPER = Path(__file__).parents[4] / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
TOLERANCE = 1e-9


@functools.cache
def bars() -> dict[str, np.ndarray]:
    frame = pd.read_csv(COPPER, usecols=["high", "low", "close", "volume"])
    return {k: frame[k].to_numpy(np.float64) for k in frame.columns}


def hlc() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = bars()
    return b["high"], b["low"], b["close"]


def assert_same(ours, reference) -> None:
    ours = ours if isinstance(ours, tuple) else (ours,)
    reference = reference if isinstance(reference, (tuple, list)) else (reference,)
    assert len(ours) == len(reference)
    for mine, theirs in zip(ours, reference, strict=True):
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs))  # the same warm-up
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=TOLERANCE)


def test_the_sample_is_the_whole_copper_series() -> None:
    assert len(bars()["close"]) == 123_855


@pytest.mark.parametrize("period", [30, 5, 60])
def test_sma_ema_wma(period: int) -> None:
    close = bars()["close"]
    assert_same(sma(close, period), talib.SMA(close, timeperiod=period))
    assert_same(ema(close, period), talib.EMA(close, timeperiod=period))
    assert_same(wma(close, period), talib.WMA(close, timeperiod=period))


def test_defaults_are_talibs() -> None:
    high, low, close = hlc()
    assert_same(sma(close), talib.SMA(close))            # 30
    assert_same(wma(close), talib.WMA(close))            # 30
    assert_same(macd(close), talib.MACD(close))          # 12, 26, 9
    assert_same(rsi(close), talib.RSI(close))            # 14
    assert_same(bbands(close), talib.BBANDS(close))      # 20, 2, 2 (TA-Lib 0.6+)
    assert_same(atr(high, low, close), talib.ATR(high, low, close))          # 14
    assert_same(stoch(high, low, close), talib.STOCH(high, low, close))      # 5, 3, 3
    assert_same(cci(high, low, close), talib.CCI(high, low, close))          # 14
    assert_same(adx(high, low, close), talib.ADX(high, low, close))          # 14
    assert np.isnan(adx(high, low, close)).sum() == 27 and np.isnan(stoch(high, low, close)[0]).sum() == 8


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5), (26, 12, 9)])
def test_macd(fast: int, slow: int, signal: int) -> None:
    close = bars()["close"]
    assert_same(macd(close, fast, slow, signal), talib.MACD(close, fast, slow, signal))


@pytest.mark.parametrize("period", [6, 12, 24, 14])
def test_rsi(period: int) -> None:
    close = bars()["close"]
    assert_same(rsi(close, period), talib.RSI(close, timeperiod=period))
    np.testing.assert_array_equal(rsi(close, period), talib.RSI(close, timeperiod=period))  # to the bit


def test_rsi_on_a_flat_stretch_keeps_its_value() -> None:
    # bars 13,9xx: copper sits at 67370 for dozens of minutes; the averages decay below 1e-8 but are not
    # zero, and TA-Lib 0.6+ keeps reporting their ratio (72.14...), not 0 as its old 1e-8 test did
    close = bars()["close"]
    assert (close[13905:13935] == 67370).all()
    assert rsi(close, 6)[13933] == pytest.approx(72.14282371, abs=1e-8) == talib.RSI(close, 6)[13933]


@pytest.mark.parametrize(("period", "up", "down"), [(20, 2.0, 2.0), (5, 2.0, 2.0), (20, 1.5, 2.5), (26, 1.0, 1.0),
                                                    (60, 1.0, 1.0)])
def test_bbands(period: int, up: float, down: float) -> None:
    close = bars()["close"]
    assert_same(bbands(close, period, up, down), talib.BBANDS(close, period, up, down, 0))


@pytest.mark.parametrize("period", [5, 20, 26, 60])
def test_bbands_deviation_is_the_exact_population_one(period: int) -> None:
    # independent reference: numpy's two-pass population std of every window. TA-Lib itself is within
    # 7e-10 of it (its periods-26/60 bands differ from ours by that much; 2.5 sigma bands by 1.6e-9)
    close = bars()["close"]
    upper, middle, _ = bbands(close, period, 1.0, 1.0)
    exact = np.lib.stride_tricks.sliding_window_view(close, period).std(axis=1)
    np.testing.assert_allclose((upper - middle)[period - 1:], exact, rtol=0, atol=1e-10)


@pytest.mark.parametrize("period", [14, 1, 26])
def test_atr_and_true_range(period: int) -> None:
    high, low, close = hlc()
    assert_same(atr(high, low, close, period), talib.ATR(high, low, close, timeperiod=period))
    assert_same(trange(high, low, close), talib.TRANGE(high, low, close))


@pytest.mark.parametrize(("fastk", "slowk", "slowd"), [(5, 3, 3), (9, 3, 3), (14, 1, 1), (30, 5, 4)])
def test_stoch(fastk: int, slowk: int, slowd: int) -> None:
    high, low, close = hlc()
    assert_same(stoch(high, low, close, fastk, slowk, slowd), talib.STOCH(high, low, close, fastk, slowk, 0, slowd, 0))


def test_kdj_talib_convention_is_stoch_with_j() -> None:
    high, low, close = hlc()
    k, d = talib.STOCH(high, low, close, 9, 3, 0, 3, 0)
    assert_same(kdj(high, low, close), (k, d, 3 * k - 2 * d))


@pytest.mark.parametrize("period", [14, 20, 40])
def test_cci(period: int) -> None:
    high, low, close = hlc()
    assert_same(cci(high, low, close, period), talib.CCI(high, low, close, timeperiod=period))


def test_obv() -> None:
    b = bars()
    assert_same(obv(b["close"], b["volume"]), talib.OBV(b["close"], b["volume"]))
    assert obv(b["close"], b["volume"])[0] == b["volume"][0]


@pytest.mark.parametrize("period", [14, 7, 28, 5])  # 5: the flat stretch at bar 13,9xx decays TR below 1e-8
def test_adx(period: int) -> None:
    high, low, close = hlc()
    assert_same(adx(high, low, close, period), talib.ADX(high, low, close, timeperiod=period))


def test_leading_nans_are_skipped_like_talib() -> None:
    high, low, close = (a[:600].copy() for a in hlc())
    close[:7] = np.nan
    high[:3] = np.nan
    volume = bars()["volume"][:600]
    assert_same(wma(close, 10), talib.WMA(close, 10))
    assert_same(bbands(close), talib.BBANDS(close))
    assert_same(atr(high, low, close), talib.ATR(high, low, close))
    assert_same(stoch(high, low, close), talib.STOCH(high, low, close))
    assert_same(cci(high, low, close), talib.CCI(high, low, close))
    assert_same(adx(high, low, close), talib.ADX(high, low, close))
    assert_same(obv(close, volume), talib.OBV(close, volume))


def test_too_short_input_is_all_nan() -> None:
    high, low, close = (a[:20] for a in hlc())
    assert np.isnan(adx(high, low, close, 14)).all()       # needs 28 bars
    assert np.isnan(stoch(high[:8], low[:8], close[:8], 5, 3, 3)[1]).all()  # needs 4 + 2 + 2 + 1 bars
    assert np.isnan(bbands(close[:19])[1]).all()
    assert np.isnan(atr(high[:14], low[:14], close[:14])).all()


def test_worked_examples() -> None:
    high = np.array([10.0, 12.0, 11.0, 13.0])
    low = np.array([8.0, 9.0, 9.0, 10.0])
    close = np.array([9.0, 11.0, 10.0, 12.0])
    # WMA(3) of 9, 11, 10 = (9 + 22 + 30) / 6; of 11, 10, 12 = (11 + 20 + 36) / 6
    np.testing.assert_allclose(wma(close, 3), [np.nan, np.nan, 61 / 6, 67 / 6])
    # true ranges: max(12-9, |12-9|, |9-9|) = 3; max(2, 0, 2) = 2; max(3, 3, 0) = 3; ATR(2) = 2.5, (2.5 + 3) / 2
    np.testing.assert_allclose(atr(high, low, close, 2), [np.nan, np.nan, 2.5, 2.75])
    # OBV: 9 -> 11 up (+20), 11 -> 10 down (-30), 10 -> 12 up (+40), starting at the first volume 10
    np.testing.assert_allclose(obv(close, np.array([10.0, 20.0, 30.0, 40.0])), [10, 30, 0, 40])
    # raw %K(3) at bar 3: lowest low 9, highest high 13 -> (12 - 9) / 4 * 100 = 75; STOCH(3, 1, 1)
    np.testing.assert_allclose(stoch(high, low, close, 3, 1, 1)[0], [np.nan, np.nan, 50.0, 75.0])


def test_bad_periods_are_refused() -> None:
    close = bars()["close"][:100]
    with pytest.raises(ValueError, match="period"):
        sma(close, 0)
    with pytest.raises(ValueError, match="period"):
        rsi(close, 1)
    with pytest.raises(ValueError, match="period"):
        ema(close, 2.5)


def test_running_sums_do_not_drift_on_non_integer_prices() -> None:
    # 200,000 steps of a seeded random walk near 100 (not exactly representable): TA-Lib's published
    # WMA running sums drift to ~1e-8 here; ours re-add the window every `period` bars
    rng = np.random.default_rng(3)
    walk = 100 + np.cumsum(rng.normal(0, 1, 200_000))
    weights = np.arange(1, 31, dtype=float)
    exact = np.convolve(walk, weights[::-1], "valid") / weights.sum()
    np.testing.assert_allclose(wma(walk, 30)[29:], exact, rtol=0, atol=1e-10)
    assert_same(wma(walk, 30), talib.WMA(walk, 30))
    assert_same(bbands(walk, 20, 2.0, 2.0), talib.BBANDS(walk, 20, 2.0, 2.0, 0))

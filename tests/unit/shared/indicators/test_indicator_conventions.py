"""Chinese charting conventions (通达信/同花顺) next to TA-Lib's: issue 3 case 8 and hand-worked values."""
from __future__ import annotations

import numpy as np
import pytest
import talib

from shared.indicators import ema, ema_cn, kdj_cn, macd, macd_cn, rsi, rsi_cn


def test_case_8_ema_conventions() -> None:
    closes = np.array([35.12, 31.61, 34.10, 31.12, 32.16])
    # TA-Lib: NaN x4, then the mean of the five closes, 164.11 / 5
    talib_ema = ema(closes, 5)
    assert np.isnan(talib_ema[:4]).all()
    assert talib_ema[4] == pytest.approx(32.822, abs=5e-4)
    np.testing.assert_allclose(talib_ema, talib.EMA(closes, 5))
    # charting: seeded with the first close, alpha 1/3
    np.testing.assert_allclose(ema_cn(closes, 5), [35.120, 33.950, 34.000, 33.040, 32.747], atol=5e-4)


CASE_8_CLOSES = np.array([3500, 3510, 3505, 3520, 3530, 3525, 3540, 3535, 3550, 3560], dtype=float)


def test_case_8_macd_talib_convention() -> None:
    dif, dea, hist = macd(CASE_8_CLOSES, 3, 5, 2)
    assert np.isnan(dif[:5]).all() and np.isnan(dea[:5]).all() and np.isnan(hist[:5]).all()
    np.testing.assert_allclose([dif[5], dea[5], hist[5]], [4.666667, 5.000000, -0.333333], atol=5e-7)
    np.testing.assert_allclose([dif[-1], dea[-1], hist[-1]], [7.124228, 6.664095, 0.460134], atol=5e-7)


def test_case_8_macd_charting_convention() -> None:
    dif, dea, bar = macd_cn(CASE_8_CLOSES, 3, 5, 2)
    np.testing.assert_allclose([dif[-1], dea[-1], bar[-1]], [6.797552, 6.276775, 1.041554], atol=5e-7)
    np.testing.assert_allclose(bar, 2 * (dif - dea), rtol=0, atol=1e-12)  # the bar is twice DIF - DEA
    # every bar has a value; the first DIF is 0 (both EMAs start at the first close)
    assert not np.isnan(dif).any() and dif[0] == 0.0
    # bar 1: fast EMA(3) 3500 + (10) * 0.5 = 3505, slow EMA(5) 3500 + 10 / 3 -> DIF 5/3, DEA 0 + (5/3) * 2/3
    assert dif[1] == pytest.approx(5 / 3) and dea[1] == pytest.approx(10 / 9)


def test_rsi_charting_convention_by_hand() -> None:
    closes = np.array([10.0, 12.0, 11.0, 13.0, 12.0])  # changes +2, -1, +2, -1
    # SMA(X, 3, 1) seeded with the first change: gains 2, 4/3, 14/9, 28/27; losses 0, 1/3, 2/9, 13/27
    np.testing.assert_allclose(rsi_cn(closes, 3), [np.nan, 100.0, 80.0, 87.5, 100 * 28 / 41])
    # TA-Lib seeds with the mean of the first three changes (4/3, 1/3): 80 at bar 3, then 28/41 -> ...
    np.testing.assert_allclose(rsi(closes, 3), [np.nan, np.nan, np.nan, 80.0, 100 * (8 / 9) / (8 / 9 + 5 / 9)])


def test_kdj_charting_convention_by_hand() -> None:
    high = np.array([10.0, 12.0, 11.0, 13.0])
    low = np.array([8.0, 9.0, 9.0, 10.0])
    close = np.array([9.0, 11.0, 10.0, 12.0])
    k, d, j = kdj_cn(high, low, close, 3, 3, 3)
    # bar 2: RSV (10 - 8) / (12 - 8) = 50 seeds K = D = 50; bar 3: RSV (12 - 9) / (13 - 9) = 75,
    # K = (75 + 2 * 50) / 3, D = (K + 2 * 50) / 3, J = 3K - 2D
    np.testing.assert_allclose(k, [np.nan, np.nan, 50.0, 175 / 3])
    np.testing.assert_allclose(d, [np.nan, np.nan, 50.0, (175 / 3 + 100) / 3])
    np.testing.assert_allclose(j, [np.nan, np.nan, 50.0, 175 - 2 * (175 / 3 + 100) / 3])


def test_conventions_converge_on_long_series() -> None:
    # the seeds differ, the recursions are the same: after a few hundred bars the values agree
    rng = np.random.default_rng(7)
    closes = 3500 + np.cumsum(rng.normal(0, 5, 2000))
    np.testing.assert_allclose(ema_cn(closes, 26)[-100:], ema(closes, 26)[-100:], atol=1e-9)
    np.testing.assert_allclose(rsi_cn(closes, 14)[-100:], rsi(closes, 14)[-100:], atol=1e-9)
    np.testing.assert_allclose(macd_cn(closes)[0][-100:], macd(closes)[0][-100:], atol=1e-9)
    np.testing.assert_allclose(macd_cn(closes)[2][-100:], 2 * macd(closes)[2][-100:], atol=1e-9)

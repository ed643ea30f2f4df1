"""A 10-bar series worked on paper (fast 2, slow 3, size 10, capital 10,000).

close  10 10 10  9  8  9   11    12    9    8
open   10 10 10 10  9  8    9  11.5   12  8.5
fast    -  10 10 9.5 8.5 8.5 10 11.5 10.5 8.5
slow    -  -  10 9.67 9 8.67 9.33 10.67 10.67 9.67
bar 3: fast < slow but on bar 2 they were equal: no cross (strict, as vn.py).
bar 6: fast 10 > slow 9.33, bar 5 8.5 < 8.67: cross up -> buy 1 at bar 7's open 11.5.
bar 8: fast 10.5 < slow 10.67, bar 7 11.5 > 10.67: cross down -> sell 2 at bar 9's open 8.5.
"""
import numpy as np
import pytest

from shared.backtest.engine import run_dual_ma, sma

CLOSE = np.array([10, 10, 10, 9, 8, 9, 11, 12, 9, 8], dtype=float)
OPEN = np.array([10, 10, 10, 10, 9, 8, 9, 11.5, 12, 8.5])
KW = {"fast": 2, "slow": 3, "size": 10.0, "capital": 10_000.0}


def test_sma_single_pass() -> None:
    np.testing.assert_allclose(sma(CLOSE[:5], 3), [np.nan, np.nan, 10, 29 / 3, 9])


def test_fills_on_the_bar_after_the_signal_at_its_open() -> None:
    run = run_dual_ma(OPEN, CLOSE, **KW)
    assert run.fill_bar.tolist() == [7, 9]
    assert run.fill_qty.tolist() == [1, -2]
    assert run.fill_price.tolist() == [11.5, 8.5]
    assert run.lots_traded == 3


def test_equity_without_costs() -> None:
    run = run_dual_ma(OPEN, CLOSE, **KW)
    # bar 7: long from 11.5 to close 12: +5; bar 8: 12 -> 9: -30;
    # bar 9: gap 9 -> 8.5 still long: -5, then short from 8.5 to 8: +5
    expected = [10_000] * 7 + [10_005, 9_975, 9_975]
    np.testing.assert_allclose(run.equity, expected)


def test_commission_is_rate_of_turnover_and_slippage_per_lot() -> None:
    run = run_dual_ma(OPEN, CLOSE, **KW, commission_rate=0.001, slippage=1.0)
    # bar 7: 1 lot x 10 x 11.5 x 0.001 = 0.115 commission, 1 lot x 10 x 1 = 10 slippage
    # bar 9: 2 lots x 10 x 8.5 x 0.001 = 0.17 commission, 2 x 10 x 1 = 20 slippage
    np.testing.assert_allclose(run.equity[7], 10_005 - 0.115 - 10)
    np.testing.assert_allclose(run.equity[9], 9_975 - 0.115 - 10 - 0.17 - 20)


def test_signal_on_last_bar_never_fills() -> None:
    run = run_dual_ma(OPEN[:9], CLOSE[:9], **KW)  # the sell signal is on bar 8, now the last
    assert run.fill_bar.tolist() == [7]
    np.testing.assert_allclose(run.equity[-1], 9_975)


def test_no_signal_during_warm_up() -> None:
    run = run_dual_ma(OPEN[:3], CLOSE[:3], **KW)
    assert len(run.fill_bar) == 0
    np.testing.assert_allclose(run.equity, [10_000] * 3)


def test_rejects_fast_not_below_slow() -> None:
    with pytest.raises(ValueError, match="fast < slow"):
        run_dual_ma(OPEN, CLOSE, fast=3, slow=3)


def test_trading_stops_when_the_account_is_bust() -> None:
    # capital 20: bar 7 -> 25, bar 8 loses 30 -> -5 at its close: the sell signal of bar 8 never fills
    run = run_dual_ma(OPEN, CLOSE, fast=2, slow=3, size=10.0, capital=20.0)
    assert run.fill_bar.tolist() == [7]
    np.testing.assert_allclose(run.equity, [20] * 7 + [25, -5, -5])

"""Metrics on the 10-bar run of test_backtest_engine (commission 0.001, no slippage).

Bars 0-2: Thu 2021-01-07 day (trading day 0107); 3-5: Fri 2021-01-08 day (0108);
6-8: Fri night 21:00-21:02, trading day Mon 0111; 9: Mon 09:00 (0111).
Equity: 10,000 until bar 6; bar 7 10,004.885; bar 8 9,974.885; bar 9 9,974.715.
"""
import numpy as np

from shared.backtest.engine import run_dual_ma
from shared.backtest.metrics import daily_pnl, max_drawdown, sharpe_ratio, summarize

CLOSE = np.array([10, 10, 10, 9, 8, 9, 11, 12, 9, 8], dtype=float)
OPEN = np.array([10, 10, 10, 10, 9, 8, 9, 11.5, 12, 8.5])
DAYS = np.array([20210107] * 3 + [20210108] * 3 + [20210111] * 4, dtype=np.int32)


def run():
    return run_dual_ma(OPEN, CLOSE, fast=2, slow=3, size=10.0, capital=10_000.0, commission_rate=0.001)


def test_night_bar_pnl_lands_on_next_trading_day() -> None:
    days, pnl, _ = daily_pnl(run().equity, DAYS, 10_000.0)
    assert days.tolist() == [20210107, 20210108, 20210111]
    # the fill and the loss happen Friday night (calendar 2021-01-08) but count for Monday:
    # bar 7 +5 - 0.115, bar 8 -30, bar 9 -5 - 0.17 + 5
    np.testing.assert_allclose(pnl, [0.0, 0.0, -25.285])


def test_summary_of_the_run() -> None:
    m = summarize(run(), DAYS, 10_000.0)
    np.testing.assert_allclose(m["total_return"], -25.285 / 10_000)
    # daily returns [0, 0, x]: mean x/3, std (ddof 1) |x|/sqrt(3) -> -1/sqrt(3) * sqrt(240) = -sqrt(80)
    np.testing.assert_allclose(m["sharpe"], -np.sqrt(80))
    # peak 10,004.885 at bar 7, trough 9,974.715 at bar 9
    np.testing.assert_allclose(m["max_drawdown"], (10_004.885 - 9_974.715) / 10_004.885)
    assert m["trade_count"] == 3


def test_sharpe_of_known_returns() -> None:
    # mean 0.01/3, std (ddof 1) sqrt(((0.02/3)^2 * 2 + (0.04/3)^2) / 2) = 0.02/sqrt(3)
    # ratio 1/(2 sqrt 3), times sqrt(240) = sqrt(80)/2
    np.testing.assert_allclose(sharpe_ratio(np.array([0.01, 0.01, -0.01])), np.sqrt(80) / 2)
    assert sharpe_ratio(np.array([0.01])) == 0.0
    assert sharpe_ratio(np.array([0.0, 0.0, 0.0])) == 0.0


def test_max_drawdown_counts_from_capital() -> None:
    # falls straight from capital 100 to 80, recovers to 120, falls to 90: worst 30/120
    assert max_drawdown(np.array([80.0, 120.0, 90.0]), 100.0) == 0.25


def test_a_bust_account_is_worth_nothing() -> None:
    # equity 20 x7, 25, -5, -5 (see test_backtest_engine): worth 0 from bar 8
    bust = run_dual_ma(OPEN, CLOSE, fast=2, slow=3, size=10.0, capital=20.0)
    m = summarize(bust, DAYS, 20.0)
    assert (m["total_return"], m["max_drawdown"], m["trade_count"]) == (-1.0, 1.0, 1)
    # daily returns [0, 0, -1] -> -1/sqrt(3) * sqrt(240)
    np.testing.assert_allclose(m["sharpe"], -np.sqrt(80))

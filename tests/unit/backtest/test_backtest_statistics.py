"""Daily settlement by trading day (issue 4, case 2) and vn.py's statistics, worked by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from shared.backtest import runner
from shared.backtest.bars import BarArrays
from shared.backtest.engine import CLOSE, OPEN, Run, Trades
from shared.backtest.report import detail
from shared.backtest.spec import BacktestSpec
from shared.backtest.statistics import daily, statistics, trade_stats


def trades(rows: list[tuple[int, int, int, float, int, float]]) -> Trades:
    a = np.array(rows, dtype=float).reshape(-1, 6)
    return Trades(bar=a[:, 0].astype(np.int64), direction=a[:, 1].astype(np.int8), offset=a[:, 2].astype(np.int8),
                  price=a[:, 3], volume=a[:, 4].astype(np.int64), commission=a[:, 5], slippage=np.zeros(len(a)))


def test_case_2_a_night_trade_belongs_to_the_next_trading_day() -> None:
    # Fri 2021-01-08 14:59 (trading day 0108), Fri 21:00 and 21:01 (night: trading day Mon 0111),
    # Mon 09:00 (0111). Bought on the Friday night bar at 100, commission 3; size 1.
    labels = np.array([20210108, 20210111, 20210111, 20210111])
    calendar = np.array([20210108, 20210108, 20210108, 20210111])
    equity = np.array([1000.0, 997.0 + 0, 1002.0, 1007.0])  # bought at close 100; closes 100, 105, 110
    run = Run(trades([(1, 1, OPEN, 100.0, 1, 3.0)]), equity)
    assert list(run.position) == [0, 1, 1, 1]
    by_trading_day = daily(run, labels, 1.0, 1000.0)
    assert list(by_trading_day.day) == [20210108, 20210111]
    np.testing.assert_allclose(by_trading_day.net_pnl, [0.0, 7.0])
    np.testing.assert_allclose(by_trading_day.commission, [0.0, 3.0])
    assert list(by_trading_day.trade_count) == [0, 1]
    # vn.py's calendar buckets would give Friday the trade and 2 of the PnL
    by_date = daily(run, calendar, 1.0, 1000.0)
    np.testing.assert_allclose(by_date.net_pnl, [2.0, 5.0])
    stats = statistics(by_trading_day, 1000.0, run.trades)
    assert stats["days"] == 2 and stats["trade_count"] == 1
    assert stats["total_net_pnl"] == pytest.approx(7.0)


def test_statistics_by_hand() -> None:
    # capital 100; day balances 110, 99, 121 (labels Mon 4 Jan .. Wed 6 Jan 2021)
    labels = np.array([20210104, 20210105, 20210106])
    run = Run(trades([]), np.array([110.0, 99.0, 121.0]))
    s = statistics(daily(run, labels, 1.0, 100.0), 100.0)
    r = np.log([1.1, 0.9, 121 / 99])
    assert s["total_return"] == pytest.approx(0.21)
    assert s["annual_return"] == pytest.approx(0.21 / 3 * 240)
    assert s["max_drawdown"] == pytest.approx(11 / 110)  # 110 -> 99
    assert s["max_drawdown_amount"] == pytest.approx(11.0)
    assert s["max_drawdown_duration"] == 1  # peak 4 Jan, trough 5 Jan
    assert s["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(240))
    assert s["return_drawdown"] == pytest.approx(0.21 / 0.1)
    assert s["end_balance"] == 121.0


def test_win_rate_and_profit_factor_per_closing_fill() -> None:
    # size 10: buy 100 (cost 1), sell 110 (cost 1): +100 - 2 = 98; short 110 (cost 1), cover 115 (cost 1): -52
    t = trades([(1, 1, OPEN, 100.0, 1, 1.0), (2, -1, CLOSE, 110.0, 1, 1.0),
                (3, -1, OPEN, 110.0, 1, 1.0), (4, 1, CLOSE, 115.0, 1, 1.0)])
    win_rate, profit_factor, closes = trade_stats(t, 10.0)
    assert closes == 2 and win_rate == 0.5
    assert profit_factor == pytest.approx(98 / 52)


def test_a_bust_run_reports_no_ratios() -> None:
    run = Run(trades([]), np.array([50.0, -10.0]))
    s = statistics(daily(run, np.array([20210104, 20210105]), 1.0, 100.0), 100.0)
    assert s["total_return"] == pytest.approx(-1.1)
    assert s["sharpe"] == 0.0 and s["return_drawdown"] == 0.0


def test_case_2_through_the_engine_a_friday_night_fill_is_mondays() -> None:
    # dual MA 1/2 (a cross is a change of direction): down 100 -> 99, up to 101 on Fri 14:59 ->
    # buy limit 101, filled on the next bar, Fri 21:00 (the night session of Mon 11 Jan), at its open 100
    stamps = ["2021-01-08 14:57", "2021-01-08 14:58", "2021-01-08 14:59", "2021-01-08 21:00", "2021-01-08 21:01",
              "2021-01-11 09:00"]
    close = np.array([100.0, 99.0, 101.0, 102.0, 104.0, 105.0])
    open_ = np.array([100.0, 100.0, 99.0, 100.0, 102.0, 104.0])
    bars = BarArrays(
        ts=pd.DatetimeIndex(stamps).tz_localize("Asia/Shanghai").as_unit("ns").asi8,
        trading_day=np.array([20210108, 20210108, 20210108, 20210111, 20210111, 20210111], np.int32),
        open=open_, high=np.maximum(open_, close) + 1, low=np.minimum(open_, close) - 1, close=close)
    spec = BacktestSpec.parse({"symbol": "cu_main", "start": "2021-01-08", "end": "2021-01-11", "strategy": "dual_ma",
                               "grid": {"fast": [1], "slow": [2]}, "size": 10.0, "price_tick": 1.0,
                               "commission_rate": 0.0001, "capital": 10_000.0})
    report = detail(bars, spec, {"fast": 1, "slow": 2})
    (trade,) = report["trades"]
    assert (trade["ts"], trade["trading_day"]) == ("2021-01-08T21:00:00+08:00", "2021-01-11")
    assert (trade["direction"], trade["offset"], trade["price"]) == ("long", "open", 100.0)
    assert trade["commission"] == pytest.approx(100 * 10 * 0.0001)
    # Friday: no trade, no PnL; Monday: (105 - 100) x 10 - 0.1, all of it, with the trade
    assert [(d["trading_day"], d["trade_count"]) for d in report["daily"]] == [("2021-01-08", 0), ("2021-01-11", 1)]
    assert [d["net_pnl"] for d in report["daily"]] == pytest.approx([0.0, 49.9])
    assert report["statistics"]["days"] == 2 and report["statistics"]["trade_count"] == 1
    assert report["statistics"]["end_balance"] == pytest.approx(10_049.9)
    # calendar dates, as vn.py buckets, would put the fill and 39.9 of it on Friday
    run = runner.run("dual_ma", {"fast": 1, "slow": 2}, bars.open, bars.high, bars.low, bars.close,
                     bars.trading_day, spec.costs(), equity_per_bar=True)
    by_date = daily(run, np.array([20210108] * 5 + [20210111]), 10.0, 10_000.0)
    assert list(by_date.trade_count) == [1, 0]
    np.testing.assert_allclose(by_date.net_pnl, [39.9, 10.0])

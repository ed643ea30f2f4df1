"""Our engine against vn.py's BacktestingEngine on the whole copper sample (4 Jan 2021 - 17 Feb
2022, 123,855 one-minute bars, day and night sessions).

Same trades (bar, direction, open/close, price, volume) and, within 1e-6, the same PnL, for the
two reference strategies: vn.py's own DoubleMaStrategy and a Donchian breakout written on its
CtaTemplate with the rules of our ``breakout``. Settings match: size 5, tick 10, commission
0.0001 of turnover, slippage 10 per lot, capital 1,000,000.

Intended differences, stated rather than copied:
- Daily settlement. vn.py buckets PnL by CALENDAR date, so the bars after midnight of a
  Friday night session make a "Saturday" and Friday night's trades count for Friday. We settle
  by TRADING day (a night bar belongs to the next trading day). The comparison below therefore
  re-buckets our per-bar equity by calendar date to compare day by day; by trading day the
  total is the same but the days differ.
- Open/close labels. vn.py labels a fill with the offset it was sent with; we label it with
  what it does to the net position. They differ only when a flat breakout's buy stop and sell
  stop both trigger on one bar: vn.py calls the second fill an OPEN, though it flattens the
  position; we call it a CLOSE (which decides close-today fees). The test compares effects.
- vn.py's stock DoubleMaStrategy keeps 100 bars (ArrayManager(size=100)), so its first signal
  is on bar 99; ours decides as soon as both averages exist on the previous bar (bar ``slow``).
  The reference here sizes the buffer to slow + 1, which makes the two start together.
"""
from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from shared.backtest.engine import OPEN, Costs
from shared.backtest.runner import run
from shared.backtest.statistics import daily, statistics

ROOT = Path(__file__).resolve().parents[3]
CSV = ROOT / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
SH = ZoneInfo("Asia/Shanghai")
COSTS = Costs(size=5, price_tick=10, commission_rate=0.0001, slippage=10.0, capital=1_000_000)


@pytest.fixture(scope="module")
def copper() -> pd.DataFrame:
    frame = pd.read_csv(CSV, dtype={"trading_day": str})
    frame["ts"] = pd.to_datetime(frame["datetime"]).dt.tz_localize(SH)
    return frame.reset_index(drop=True)


@pytest.fixture(scope="module")
def vnpy(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """vn.py's backtesting module, imported headless with its settings folder in a temp dir."""
    home = tmp_path_factory.mktemp("vntrader")
    (home / ".vntrader").mkdir()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    cwd = os.getcwd()
    os.chdir(home)  # vn.py picks ./.vntrader when it exists at import
    try:
        backtesting = pytest.importorskip("vnpy_ctastrategy.backtesting")
    finally:
        os.chdir(cwd)
    return backtesting


def vnpy_run(vnpy: Any, copper: pd.DataFrame, strategy: type, setting: dict[str, int]) -> Any:
    from vnpy.trader.constant import Exchange, Interval
    from vnpy.trader.object import BarData

    engine = vnpy.BacktestingEngine()
    engine.set_parameters(vt_symbol="cu_main.SHFE", interval=Interval.MINUTE,
                          start=copper["ts"].iloc[0].to_pydatetime(), end=copper["ts"].iloc[-1].to_pydatetime(),
                          rate=COSTS.commission_rate, slippage=COSTS.slippage, size=COSTS.size,
                          pricetick=COSTS.price_tick, capital=int(COSTS.capital))
    engine.add_strategy(strategy, setting)
    engine.history_data = [
        BarData(symbol="cu_main", exchange=Exchange.SHFE, datetime=ts.to_pydatetime(), interval=Interval.MINUTE,
                open_price=o, high_price=h, low_price=lo, close_price=c, volume=v, gateway_name="DB")
        for ts, o, h, lo, c, v in zip(copper["ts"], copper["open"], copper["high"], copper["low"], copper["close"],
                                      copper["volume"], strict=True)]
    engine.output = lambda msg: None
    engine.run_backtesting()
    engine.calculate_result()
    return engine


def strategies(vnpy: Any) -> dict[str, type]:
    from vnpy.trader.utility import ArrayManager
    from vnpy_ctastrategy import CtaTemplate
    from vnpy_ctastrategy.strategies.double_ma_strategy import DoubleMaStrategy

    class DoubleMaSized(DoubleMaStrategy):  # the stock strategy, buffer sized for its slow window
        def on_init(self) -> None:
            self.am = ArrayManager(self.slow_window + 1)

    class DonchianBreakout(CtaTemplate):
        entry_window = 20
        exit_window = 10
        parameters = ["entry_window", "exit_window"]

        def on_init(self) -> None:
            self.am = ArrayManager(max(self.entry_window, self.exit_window))

        def on_start(self) -> None: ...
        def on_stop(self) -> None: ...
        def on_order(self, order: Any) -> None: ...
        def on_trade(self, trade: Any) -> None: ...
        def on_stop_order(self, stop_order: Any) -> None: ...

        def on_bar(self, bar: Any) -> None:
            self.cancel_all()
            self.am.update_bar(bar)
            if not self.am.inited:
                return
            up, down = self.am.donchian(self.entry_window)
            exit_up, exit_down = self.am.donchian(self.exit_window)
            if self.pos == 0:
                self.buy(up, 1, stop=True)
                self.short(down, 1, stop=True)
            elif self.pos > 0:
                self.sell(exit_down, abs(self.pos), stop=True)
            else:
                self.cover(exit_up, abs(self.pos), stop=True)

    return {"dual_ma": DoubleMaSized, "breakout": DonchianBreakout}


@pytest.mark.parametrize(("strategy", "ours", "theirs"), [
    ("dual_ma", {"fast": 10, "slow": 30}, {"fast_window": 10, "slow_window": 30}),
    ("dual_ma", {"fast": 5, "slow": 120}, {"fast_window": 5, "slow_window": 120}),
    ("breakout", {"entry_window": 60, "exit_window": 30}, {"entry_window": 60, "exit_window": 30}),
    ("breakout", {"entry_window": 20, "exit_window": 10}, {"entry_window": 20, "exit_window": 10}),
])
def test_same_trades_and_pnl_as_vnpy(vnpy: Any, copper: pd.DataFrame, strategy: str, ours: dict, theirs: dict) -> None:
    from vnpy.trader.constant import Direction, Offset

    engine = vnpy_run(vnpy, copper, strategies(vnpy)[strategy], theirs)
    result = run(strategy, ours, copper["open"], copper["high"], copper["low"], copper["close"],
                 copper["trading_day"].astype(int), COSTS, equity_per_bar=True)

    # trades: same bar, direction, open/close, price and volume, in the same order
    theirs_trades, pos, relabelled = [], 0, 0
    for t in engine.trades.values():
        sign = 1 if t.direction == Direction.LONG else -1
        opens = pos * sign >= 0  # what the fill does to the net position
        relabelled += opens != (t.offset == Offset.OPEN)
        theirs_trades.append((t.datetime, sign, opens, t.price, t.volume))
        pos += sign * int(t.volume)
    ts = copper["ts"].dt.to_pydatetime()
    our_trades = [(ts[b], int(d), int(o) == OPEN, float(p), float(v)) for b, d, o, p, v in zip(
        result.trades.bar, result.trades.direction, result.trades.offset, result.trades.price, result.trades.volume,
        strict=True)]
    assert len(our_trades) > 20
    assert our_trades == theirs_trades
    if strategy == "dual_ma":
        assert relabelled == 0
    # PnL day by day on vn.py's calendar buckets, and its statistics from the same days
    calendar = copper["ts"].dt.strftime("%Y%m%d").astype(int).to_numpy()
    by_date = daily(result, calendar, COSTS.size, COSTS.capital)
    df = engine.daily_df
    assert [date(d // 10000, d // 100 % 100, d % 100) for d in by_date.day] == list(df.index)
    np.testing.assert_allclose(by_date.net_pnl, df["net_pnl"].to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(by_date.commission, df["commission"].to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(by_date.slippage, df["slippage"].to_numpy(), rtol=0, atol=1e-6)
    stats = statistics(by_date, COSTS.capital, result.trades, COSTS.size)
    vn = engine.calculate_statistics(output=False)
    assert stats["total_return"] * 100 == pytest.approx(vn["total_return"], abs=1e-9)
    assert stats["annual_return"] * 100 == pytest.approx(vn["annual_return"], abs=1e-9)
    assert -stats["max_drawdown"] * 100 == pytest.approx(vn["max_ddpercent"], abs=1e-9)
    assert -stats["max_drawdown_amount"] == pytest.approx(vn["max_drawdown"], abs=1e-6)
    assert stats["max_drawdown_duration"] == vn["max_drawdown_duration"]
    assert stats["sharpe"] == pytest.approx(vn["sharpe_ratio"], abs=1e-9)
    assert stats["return_drawdown"] == pytest.approx(vn["return_drawdown_ratio"], abs=1e-9)
    assert stats["trade_count"] == vn["total_trade_count"]

    # by trading day (ours): the same total, but no "Saturday" (after-midnight Friday night bars)
    by_trading_day = daily(result, copper["trading_day"].astype(int).to_numpy(), COSTS.size, COSTS.capital)
    # what a worker keeps (day-end equity only) settles the same trading days to the bit
    lean = run(strategy, ours, copper["open"], copper["high"], copper["low"], copper["close"],
               copper["trading_day"].astype(int), COSTS)
    lean_days = daily(lean, copper["trading_day"].astype(int).to_numpy(), COSTS.size, COSTS.capital)
    np.testing.assert_array_equal(lean_days.day, by_trading_day.day)
    np.testing.assert_array_equal(lean_days.balance, by_trading_day.balance)
    assert by_trading_day.net_pnl.sum() == pytest.approx(df["net_pnl"].sum(), abs=1e-6)
    saturdays = [d for d in by_date.day if date(d // 10000, d // 100 % 100, d % 100).weekday() == 5]
    assert saturdays and not set(saturdays) & set(by_trading_day.day)

"""Performance of one run: daily PnL by trading day, total return, Sharpe, drawdown, trades.

Days are TRADING days: a night bar (21:00 Friday) carries Monday's trading day,
so its PnL counts for Monday. Sharpe annualises with 240 trading days:
mean / std (ddof 1) of simple daily returns x sqrt(240); 0.0 when undefined
(fewer than two days or no variation), so results stay valid JSON.
An account that went bust (equity <= 0, where the engine stops trading) counts as
worth 0 from then on: total return -100 %, drawdown 100 %, a -100 % day.
"""
from __future__ import annotations

from typing import TypedDict

import numpy as np

from shared.backtest.engine import BacktestRun

TRADING_DAYS_PER_YEAR = 240


class Metrics(TypedDict):
    total_return: float
    sharpe: float
    max_drawdown: float
    trade_count: int


def daily_pnl(equity: np.ndarray, trading_day: np.ndarray, capital: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(trading days, PnL of each day, equity at the end of the previous day); bars oldest first."""
    last_of_day = np.flatnonzero(np.diff(trading_day) != 0)
    last_of_day = np.append(last_of_day, len(equity) - 1)
    day_end = equity[last_of_day]
    previous = np.concatenate(([capital], day_end[:-1]))
    return trading_day[last_of_day], day_end - previous, previous


def sharpe_ratio(daily_returns: np.ndarray) -> float:
    if len(daily_returns) < 2:
        return 0.0
    std = float(np.std(daily_returns, ddof=1))
    if not np.isfinite(std) or std == 0.0:
        return 0.0
    return float(np.mean(daily_returns) / std * np.sqrt(TRADING_DAYS_PER_YEAR))


def max_drawdown(equity: np.ndarray, capital: float) -> float:
    """Largest fall from a running peak (capital included), as a fraction of that peak."""
    curve = np.concatenate(([capital], equity))
    peak = np.maximum.accumulate(curve)
    return float(np.max((peak - curve) / peak))


def summarize(run: BacktestRun, trading_day: np.ndarray, capital: float) -> Metrics:
    """The metrics stored per parameter set. ``trade_count`` counts one-lot trades, as vn.py
    does: a reversal (sell 2 lots) is two trades."""
    if len(run.equity) == 0:
        return Metrics(total_return=0.0, sharpe=0.0, max_drawdown=0.0, trade_count=0)
    worth = np.maximum(run.equity, 0.0)
    _, pnl, previous = daily_pnl(worth, trading_day, capital)
    returns = np.divide(pnl, previous, out=np.zeros_like(pnl), where=previous > 0)
    return Metrics(
        total_return=float(worth[-1] / capital - 1.0),
        sharpe=sharpe_ratio(returns),
        max_drawdown=max_drawdown(worth, capital),
        trade_count=run.lots_traded,
    )

"""Daily settlement and the statistics vn.py reports, computed from a run.

Days are TRADING days when the labels are trading days (what the worker and the API use): a
night bar (21:00 Friday) carries Monday's trading day, so its PnL is Monday's. vn.py buckets
by calendar date; pass calendar dates as labels to get its buckets (the equality test does).

The formulas are vn.py's ``calculate_statistics`` (BacktestingEngine), units aside: returns and
drawdowns here are fractions, not percent. Daily return is the log of the balance ratio (0 for
a day whose balance is not positive, as vn.py does); Sharpe = mean / std (ddof 1) x sqrt(240);
annual return = total return / days x 240; max drawdown duration counts calendar days from the
peak to the trough. Win rate and profit factor are per closing fill, with average-cost
entry prices and the costs of both legs (vn.py's engine does not report them).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from shared.backtest.engine import Run, Trades
from shared.indicators._jit import jit

ANNUAL_DAYS = 240


@dataclass(frozen=True, slots=True)
class Daily:
    """One row per day label, oldest first."""

    day: np.ndarray  # the labels (YYYYMMDD ints)
    net_pnl: np.ndarray
    commission: np.ndarray
    slippage: np.ndarray
    turnover: np.ndarray
    trade_count: np.ndarray
    balance: np.ndarray  # equity at the day's last bar


def daily(run: Run, labels: np.ndarray, size: float, capital: float) -> Daily:
    """Settle ``run`` by ``labels`` (one per bar, non-decreasing, e.g. trading days YYYYMMDD).
    A run without per-bar equity settles by the trading days it ran with: ``labels`` must be those."""
    labels = np.asarray(labels)
    if run.equity is None:
        last, balance = run.day_end, run.day_balance
    else:
        last = np.append(np.flatnonzero(labels[1:] != labels[:-1]), len(labels) - 1)
        balance = run.equity[last]
    net = np.diff(np.concatenate(([capital], balance)))
    t = run.trades
    commission, slippage, turnover, count = day_totals(t.bar, np.ascontiguousarray(last, dtype=np.int64),
                                                       t.commission, t.slippage, t.price, t.volume, float(size))
    return Daily(day=labels[last], net_pnl=net, balance=balance, commission=commission, slippage=slippage,
                 turnover=turnover, trade_count=count)


@jit
def day_totals(bars, last, commission, slippage, price, volume, size):
    """Each day's commission, slippage, turnover and fill count. A fill's day is the first day
    whose last bar is at or after its bar (both sorted: one merge pass, the sums in fill order)."""
    days = last.shape[0]
    totals = np.zeros((3, days))
    count = np.zeros(days, np.int64)
    d = 0
    for k in range(bars.shape[0]):
        while last[d] < bars[k]:
            d += 1
        totals[0, d] += commission[k]
        totals[1, d] += slippage[k]
        totals[2, d] += price[k] * volume[k] * size
        count[d] += 1
    return totals[0], totals[1], totals[2], count


def _as_date(label: int) -> date:
    return date(int(label) // 10000, int(label) // 100 % 100, int(label) % 100)


@jit
def closing_fills(direction, offset, price, volume, commission, slippage, size):
    """The closing fills' net PnL, each against the average entry price of the lots it closes,
    less its own costs and the entry costs of those lots: (closing fills, winners, the sum of the
    winners' PnL, the sum of the losers' losses)."""
    closes, winners, gains, losses = 0, 0, 0.0, 0.0
    pos = 0
    avg_price = 0.0
    avg_cost = 0.0  # entry cost per open lot
    for k in range(direction.shape[0]):
        lots = volume[k]
        cost = commission[k] + slippage[k]
        if offset[k] == 0:
            total = abs(pos)
            avg_price = (avg_price * total + price[k] * lots) / (total + lots)
            avg_cost = (avg_cost * total + cost) / (total + lots)
        else:
            # a closing buy closes shorts: gain (entry - exit); a closing sell: (exit - entry)
            pnl = -direction[k] * (price[k] - avg_price) * lots * size - cost - avg_cost * lots
            closes += 1
            if pnl > 0:
                winners += 1
                gains += pnl
            elif pnl < 0:
                losses -= pnl
        pos += direction[k] * lots
        if pos == 0:
            avg_price, avg_cost = 0.0, 0.0
    return closes, winners, gains, losses


def trade_stats(trades: Trades, size: float) -> tuple[float, float | None, int]:
    """(win rate, profit factor or None without a losing trade, closing fills)."""
    closes, winners, gains, losses = closing_fills(trades.direction, trades.offset, trades.price, trades.volume,
                                                   trades.commission, trades.slippage, float(size))
    if closes == 0:
        return 0.0, None, 0
    return winners / closes, (gains / losses if losses > 0 else None), closes


def statistics(days: Daily, capital: float, trades: Trades | None = None, size: float = 1.0) -> dict[str, Any]:
    """vn.py's summary statistics of a settled run (fractions where vn.py prints percent)."""
    if len(days.day) == 0:
        return {"days": 0, "total_return": 0.0, "annual_return": 0.0, "max_drawdown": 0.0,
                "max_drawdown_amount": 0.0, "max_drawdown_duration": 0, "sharpe": 0.0,
                "return_drawdown": 0.0, "win_rate": 0.0, "profit_factor": None, "trade_count": 0,
                "total_net_pnl": 0.0, "total_commission": 0.0, "total_slippage": 0.0, "end_balance": capital}
    balance = days.balance
    previous = np.concatenate(([capital], balance[:-1]))
    ratio = np.divide(balance, previous, out=np.full(len(balance), np.nan), where=previous != 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        returns = np.where(ratio > 0, np.log(np.where(ratio > 0, ratio, 1.0)), 0.0)
    high = np.maximum.accumulate(balance)
    drawdown = balance - high
    ddpercent = drawdown / high
    trough = int(np.argmin(drawdown))
    peak = int(np.argmax(balance[:trough + 1]))
    std = float(np.std(returns, ddof=1)) if len(returns) > 1 else 0.0
    total_return = float(balance[-1] / capital - 1.0)
    max_dd = float(-ddpercent.min())
    bust = bool((balance <= 0).any())
    win_rate, profit_factor, _ = trade_stats(trades, size) if trades is not None else (0.0, None, 0)
    return {
        "days": int(len(balance)),
        "total_return": total_return,
        "annual_return": total_return / len(balance) * ANNUAL_DAYS,
        "max_drawdown": max_dd,
        "max_drawdown_amount": float(-drawdown.min()),
        "max_drawdown_duration": (_as_date(days.day[trough]) - _as_date(days.day[peak])).days,
        # vn.py reports no ratios for an account that went bust; neither do we (0)
        "sharpe": 0.0 if bust or std == 0.0 else float(np.mean(returns) / std * np.sqrt(ANNUAL_DAYS)),
        "return_drawdown": 0.0 if bust or max_dd == 0.0 else total_return / max_dd,
        "win_rate": win_rate,
        "profit_factor": profit_factor,
        "trade_count": int(days.trade_count.sum()),
        "total_net_pnl": float(days.net_pnl.sum()),
        "total_commission": float(days.commission.sum()),
        "total_slippage": float(days.slippage.sum()),
        "end_balance": float(balance[-1]),
    }

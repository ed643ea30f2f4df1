"""Dual moving-average crossover, one lot, always in the market after the first cross.

Fill rule (vn.py bar mode, market-like order): a signal computed on bar N's close
sends an order that fills at bar N+1's open, the whole lot. A signal on the last
bar never fills. Costs per fill: ``commission_rate`` x turnover (price x size x
lots) plus ``slippage`` price units x size per lot. Equity is marked to market
at every bar's close; an open position is not closed at the end.

Ruin: when equity at a bar's close is <= 0 the account is finished. Trading stops
there and equity stays at that value for the remaining bars; otherwise a bust
account would go on trading on credit and its later returns would be meaningless.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """Fills (bar index, signed lots, price) and the equity at each bar's close."""

    fill_bar: np.ndarray  # int64, index of the bar whose open filled the order
    fill_qty: np.ndarray  # int64, +buy / -sell lots (a reversal is 2 lots)
    fill_price: np.ndarray  # float64
    equity: np.ndarray  # float64, one per bar

    @property
    def lots_traded(self) -> int:
        return int(np.abs(self.fill_qty).sum())


@njit(cache=True)
def sma(x: np.ndarray, window: int) -> np.ndarray:
    """Simple moving average in one pass; NaN until ``window`` values are seen."""
    n = len(x)
    out = np.full(n, np.nan)
    total = 0.0
    for i in range(n):
        total += x[i]
        if i >= window:
            total -= x[i - window]
        if i >= window - 1:
            out[i] = total / window
    return out


@njit(cache=True)
def _simulate(open_, close, fast_ma, slow_ma, first_signal, size, commission_rate, slippage, capital):
    n = len(close)
    equity = np.empty(n)
    fill_bar = np.empty(n, np.int64)
    fill_qty = np.empty(n, np.int64)
    fill_price = np.empty(n)
    fills = 0
    pos = 0
    target = 0
    eq = capital
    for i in range(n):
        if i > 0:
            eq += pos * (open_[i] - close[i - 1]) * size  # gap between last close and this open
            if target != pos:
                qty = target - pos
                lots = abs(qty)
                eq -= lots * size * (open_[i] * commission_rate + slippage)
                fill_bar[fills] = i
                fill_qty[fills] = qty
                fill_price[fills] = open_[i]
                fills += 1
                pos = target
            eq += pos * (close[i] - open_[i]) * size
        equity[i] = eq
        if eq <= 0.0:
            equity[i + 1:] = eq
            break
        if i >= first_signal:
            # strict on both bars, like vn.py's DoubleMaStrategy cross_over / cross_below
            if fast_ma[i] > slow_ma[i] and fast_ma[i - 1] < slow_ma[i - 1]:
                target = 1
            elif fast_ma[i] < slow_ma[i] and fast_ma[i - 1] > slow_ma[i - 1]:
                target = -1
    return fill_bar[:fills].copy(), fill_qty[:fills].copy(), fill_price[:fills].copy(), equity


def run_dual_ma(
    open_: np.ndarray,
    close: np.ndarray,
    *,
    fast: int,
    slow: int,
    size: float = 1.0,
    commission_rate: float = 0.0,
    slippage: float = 0.0,
    capital: float = 1_000_000.0,
) -> BacktestRun:
    """Run the crossover on closes; ``fast`` < ``slow`` windows in bars."""
    if not 1 <= fast < slow:
        raise ValueError(f"need 1 <= fast < slow, got fast={fast} slow={slow}")
    close = np.ascontiguousarray(close, dtype=np.float64)
    open_ = np.ascontiguousarray(open_, dtype=np.float64)
    # a cross needs both averages on the previous bar too: first at index slow
    bars, qty, price, equity = _simulate(
        open_, close, sma(close, fast), sma(close, slow), slow,
        float(size), float(commission_rate), float(slippage), float(capital),
    )
    return BacktestRun(bars, qty, price, equity)

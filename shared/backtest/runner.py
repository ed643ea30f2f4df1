"""One backtest: a built-in strategy over bar arrays, with the engine's matching and accounting."""
from __future__ import annotations

from typing import Any

import numpy as np

from shared.backtest.engine import MAX_ORDERS, Costs, Run, Trades, match_bar, send
from shared.backtest.strategies import STRATEGIES, Memo, decide
from shared.indicators._jit import jit


_UNUSED = np.full(1, np.nan)  # stands in for the indicator rows a strategy does not have


@jit
def simulate(code, p, r0, r1, r2, r3, rows, first, open_, high, low, close, trading_day, costs, lots, per_bar,
             trades):
    """The bar loop: match last bar's orders, mark to market, let the strategy decide.
    ``r0``..``r3``: the strategy's indicator rows (the first ``rows`` of them are read).
    Returns (trades rows filled or -1 if ``trades`` was too small, equity at every bar's close
    (empty unless ``per_bar``), each trading day's last bar, the equity at it, days)."""
    n = close.shape[0]
    size, tick, capital = costs[0], costs[1], costs[7]
    equity = np.empty(n if per_bar else 0)
    day_end = np.empty(n, np.int64)  # untouched beyond the days written: costs no memory
    balance = np.empty(n)
    days = 0
    state = np.zeros(6)  # pos, long today, long yesterday, short today, short yesterday, fill pnl
    mem0, mem1 = 0.0, 0.0  # a strategy's memory between bars
    orders = np.zeros((MAX_ORDERS, 4))
    count = 0
    ntr = 0
    eq = capital
    bust = False
    for i in range(n):
        if i > 0:
            if trading_day[i] != trading_day[i - 1]:  # settlement: today's lots become yesterday's
                day_end[days] = i - 1
                balance[days] = eq
                days += 1
                state[2] += state[1]
                state[1] = 0.0
                state[4] += state[3]
                state[3] = 0.0
            if not bust:
                eq += state[0] * (close[i] - close[i - 1]) * size
                if count > 0:
                    ntr = match_bar(i, orders, count, open_, high, low, close, costs, state, trades, ntr)
                    if ntr < 0:
                        return -1, equity, day_end, balance, days
                    eq += state[5]
        count = 0
        if per_bar:
            equity[i] = eq
        if bust:
            continue
        if eq <= 0.0:  # bust: no more trading, equity frozen
            bust = True
            continue
        if i >= first:
            x1 = r1[i] if rows > 1 else np.nan
            x2 = r2[i] if rows > 2 else np.nan
            x3 = r3[i] if rows > 3 else np.nan
            y1 = r1[i - 1] if rows > 1 else np.nan
            out, mem0, mem1 = decide(code, p[0], p[1], p[2], r0[i], x1, x2, x3, r0[i - 1], y1,
                                     high[i], low[i], close[i], int(state[0]), lots, mem0, mem1)
            if out[0] >= 1:
                count = send(orders, count, out[1], out[2], out[3], out[4], tick)
            if out[0] >= 2:
                count = send(orders, count, out[5], out[6], out[7], out[8], tick)
    if n > 0:
        day_end[days] = n - 1
        balance[days] = eq
        days += 1
    return ntr, equity, day_end, balance, days


def run(strategy: str, params: dict[str, Any] | Any, open_: np.ndarray, high: np.ndarray, low: np.ndarray,
        close: np.ndarray, trading_day: np.ndarray, costs: Costs = Costs(), lots: int = 1,
        equity_per_bar: bool = False, memo: Memo | None = None) -> Run:
    """Run ``strategy`` with ``params`` (a dict or its params model) over bars oldest first.
    Equity is kept at each trading day's end; ``equity_per_bar`` keeps it at every bar's close too
    (to settle by other day labels, e.g. vn.py's calendar dates). Runs over the same bar arrays
    may share a ``memo`` (a dict): each indicator row is then computed once for all of them."""
    spec = STRATEGIES[strategy]
    p = params if isinstance(params, spec.params) else spec.params.model_validate(params)
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (open_, high, low, close)]
    rows, first = spec.prepare(p, arrays[1], arrays[2], arrays[3], memo)
    padded = [np.ascontiguousarray(r) for r in rows] + [_UNUSED] * (4 - len(rows))
    values = np.zeros(3)
    values[:len(p.model_dump())] = spec.vector(p)
    args = (spec.code, values, *padded, len(rows), max(int(first), 1), *arrays,
            np.ascontiguousarray(trading_day, dtype=np.int64), costs.vector(), int(lots), bool(equity_per_bar))
    capacity = len(close) // 8 + 64
    while True:
        buffer = np.empty((capacity, 7))
        ntr, equity, day_end, balance, days = simulate(*args, buffer)
        if ntr >= 0:
            break
        capacity *= 4  # rare: more fills than the first guess; run again with room
    t = buffer[:ntr]
    trades = Trades(bar=t[:, 0].astype(np.int64), direction=t[:, 1].astype(np.int8),
                    offset=t[:, 2].astype(np.int8), price=t[:, 3].copy(), volume=t[:, 4].astype(np.int64),
                    commission=t[:, 5].copy(), slippage=t[:, 6].copy())
    return Run(trades, equity=equity if equity_per_bar else None, day_end=day_end[:days].copy(),
               day_balance=balance[:days].copy())

"""One backtest: a built-in strategy over bar arrays, with the engine's matching and accounting."""
from __future__ import annotations

from typing import Any

import numpy as np

from shared.backtest.engine import Costs, Run, Trades, match_bar, pending
from shared.backtest.strategies import NO, NO_MEMORY, STRATEGIES, Memo, decide, observe
from shared.indicators._jit import jit


_UNUSED = np.full(1, np.nan)  # stands in for the indicator rows a strategy does not have


@jit
def simulate(strategy, p, indicators, rows, first, bars, trading_day, costs, lots, per_bar, trades):
    """The bar loop: match last bar's orders, mark to market, let the strategy decide.
    ``indicators``: the strategy's four indicator rows (the first ``rows`` of them are read);
    ``bars``: open, high, low, close.
    Returns (trades rows filled or -1 if ``trades`` was too small, equity at every bar's close
    (empty unless ``per_bar``), each trading day's last bar, the equity at it, days).
    ``strategy``: a tuple of (strategy code + 1) zeros (``strategy_tag``). Its length is part of its
    type, so numba compiles (and caches) the loop once per strategy with the code a constant: the
    strategy's branches are chosen at compile time, not on every bar. (A plain int code costs 1.2 ms
    per 1M bars in dispatch; ``literally(code)`` re-dispatches on every call, about 1 s; numba's
    cache keeps neither closures nor functions that take a function.)"""
    code = len(strategy) - 1
    r0, r1, r2, r3 = indicators
    open_, high, low, close = bars
    n = close.shape[0]
    size, tick, capital = costs[0], costs[1], costs[7]
    terms = (size, costs[2], costs[3], costs[4], costs[5], costs[6])
    equity = np.empty(n if per_bar else 0)
    day_end = np.empty(n, np.int64)  # untouched beyond the days written: costs no memory
    balance = np.empty(n)
    days = 0
    book = (0, 0, 0, 0, 0)  # lots: pos, long today, long yesterday, short today, short yesterday
    memory = NO_MEMORY
    windows = (int(p[0]), int(p[1]))  # the first two parameters as bar counts, for ``observe``
    # the orders waiting for the next bar, as ``pending`` returns them (scalars, not a tuple carried
    # from bar to bar: numba keeps these in registers, a carried tuple costs 0.3 ms per 1M bars)
    count, kind1, direction1, price1, volume1, kind2, direction2, price2, volume2 = NO
    ntr = 0
    eq = capital
    bust = False
    previous_day, previous_close = trading_day[0] if n > 0 else 0, 0.0
    for i in range(n):
        memory = observe(code, i, windows, close, memory)
        day = trading_day[i]
        if i > 0:
            if day != previous_day:  # settlement: today's lots become yesterday's
                day_end[days] = i - 1
                balance[days] = eq
                days += 1
                pos, long_today, long_yesterday, short_today, short_yesterday = book
                book = (pos, 0, long_yesterday + long_today, 0, short_yesterday + short_today)
            if not bust:
                eq += book[0] * (close[i] - previous_close) * size
                if count > 0:
                    orders = (count, kind1, direction1, price1, volume1, kind2, direction2, price2, volume2)
                    book, pnl, ntr = match_bar(i, orders, open_[i], high[i], low[i], close[i], terms, book, trades, ntr)
                    if ntr < 0:
                        return -1, equity, day_end, balance, days
                    eq += pnl
        count = 0
        previous_day, previous_close = day, close[i]
        if per_bar:
            equity[i] = eq
        if bust:
            continue
        if eq <= 0.0:  # bust: no more trading, equity frozen
            bust = True
            continue
        if i >= first:
            x0 = r0[i] if rows > 0 else np.nan
            x1 = r1[i] if rows > 1 else np.nan
            x2 = r2[i] if rows > 2 else np.nan
            x3 = r3[i] if rows > 3 else np.nan
            out, memory = decide(code, p[0], p[1], p[2], x0, x1, x2, x3, high[i], low[i], close[i], book[0],
                                 lots, memory)
            if out[0] > 0:
                count, kind1, direction1, price1, volume1, kind2, direction2, price2, volume2 = pending(out, tick)
    if n > 0:
        day_end[days] = n - 1
        balance[days] = eq
        days += 1
    return ntr, equity, day_end, balance, days


def _day_labels(trading_day: np.ndarray) -> np.ndarray:
    """Trading days as the int32 the loop reads (YYYYMMDD, as bars are staged); labels that do not
    fit are refused rather than wrapped into each other."""
    days = np.asarray(trading_day)
    if days.dtype != np.int32 and days.size and (days.min() < -2**31 or days.max() >= 2**31):
        raise ValueError("trading_day labels must fit in int32 (YYYYMMDD)")
    return np.ascontiguousarray(days, dtype=np.int32)


def strategy_tag(code: int) -> tuple[int, ...]:
    """The ``strategy`` argument of ``simulate`` for a strategy code."""
    return (0,) * (code + 1)


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
    if len(arrays[3]) and np.isnan(arrays[3][0]):
        # equity would be NaN from the first bar on, and dual MA's averages, streamed from bar 0, for ever
        raise ValueError("bars must start with a close price (the first close is NaN)")
    rows, first = spec.prepare(p, arrays[1], arrays[2], arrays[3], memo)
    padded = [np.ascontiguousarray(r) for r in rows] + [_UNUSED] * (4 - len(rows))
    values = np.zeros(3)
    values[:len(p.model_dump())] = spec.vector(p)
    args = (values, tuple(padded), len(rows), max(int(first), 1), tuple(arrays),
            _day_labels(trading_day), costs.vector(), int(lots), bool(equity_per_bar))
    capacity = len(close) // 8 + 64
    while True:
        buffer = np.empty((capacity, 7))
        ntr, equity, day_end, balance, days = simulate(strategy_tag(spec.code), *args, buffer)
        if ntr >= 0:
            break
        capacity *= 4  # rare: more fills than the first guess; run again with room
    t = buffer[:ntr]
    trades = Trades(bar=t[:, 0].astype(np.int64), direction=t[:, 1].astype(np.int8),
                    offset=t[:, 2].astype(np.int8), price=t[:, 3].copy(), volume=t[:, 4].astype(np.int64),
                    commission=t[:, 5].copy(), slippage=t[:, 6].copy())
    return Run(trades, equity=equity if equity_per_bar else None, day_end=day_end[:days].copy(),
               day_balance=balance[:days].copy())

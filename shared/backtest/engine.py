"""Bar-mode order matching and mark-to-market accounting (numba), for any built-in strategy.

Order life (vn.py's bar mode, which users compare us with): a strategy decides on bar N's
close and sends orders; they are matched first against bar N+1 and cancelled after it
(every built-in strategy re-sends what it still wants on every bar). Matching on bar N+1,
limit and market orders first in the order sent, then stop orders, each for its whole volume:

- market: fills at the open;
- buy limit P: fills iff P >= low, at min(P, open); sell limit P: iff P <= high, at max(P, open);
- buy stop P: triggers iff P <= high, at max(P, open); sell stop P: iff P >= low, at min(P, open).

Limit and stop prices are rounded to the price tick when sent. Costs per fill: commission
(``rate`` x turnover + ``per_lot`` x lots; the close-today rates instead for lots closed on the
trading day they were opened; yesterday's lots are closed first) and slippage (price units per
lot, charged as a cost like vn.py does, not moved into the fill price). PnL is marked at every
bar's close (equity kept at each trading day's end, or at every bar when asked); equity starts
at ``capital``. When equity at a close is <= 0 the account is bust: trading stops and equity
stays there (a bust account trading on credit means nothing).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from shared.indicators._jit import jit

MARKET, LIMIT, STOP = 0, 1, 2
OPEN, CLOSE, CLOSE_TODAY = 0, 1, 2
MAX_ORDERS = 4  # orders a strategy may send on one bar


@dataclass(frozen=True, slots=True)
class Costs:
    """Contract and account terms of one run."""

    size: float = 1.0  # contract multiplier
    price_tick: float = 0.0  # 0: prices are not rounded
    commission_rate: float = 0.0  # fraction of turnover
    commission_per_lot: float = 0.0
    close_today_rate: float | None = None  # None: same as commission_rate
    close_today_per_lot: float | None = None  # None: same as commission_per_lot
    slippage: float = 0.0  # price units per lot and fill
    capital: float = 1_000_000.0

    def vector(self) -> np.ndarray:
        """The terms as the float array the kernel takes."""
        return np.array([
            self.size, self.price_tick, self.commission_rate, self.commission_per_lot,
            self.commission_rate if self.close_today_rate is None else self.close_today_rate,
            self.commission_per_lot if self.close_today_per_lot is None else self.close_today_per_lot,
            self.slippage, self.capital,
        ])


@dataclass(frozen=True, slots=True)
class Trades:
    """One row per fill (a fill that closes and opens is split into its parts)."""

    bar: np.ndarray  # int64: index of the bar the fill happened on
    direction: np.ndarray  # int8: +1 buy, -1 sell
    offset: np.ndarray  # int8: OPEN, CLOSE (yesterday's lots), CLOSE_TODAY
    price: np.ndarray  # float64
    volume: np.ndarray  # int64 lots
    commission: np.ndarray  # float64
    slippage: np.ndarray  # float64 (cost in money)

    def __len__(self) -> int:
        return len(self.bar)


@dataclass(frozen=True, slots=True)
class Run:
    """What a run produced: its fills, and its equity at each trading day's last bar (and, when
    asked for, at every bar's close)."""

    trades: Trades
    equity: np.ndarray | None  # float64, one per bar, or None
    day_end: np.ndarray | None = None  # int64: index of each trading day's last bar
    day_balance: np.ndarray | None = None  # float64: equity at that bar's close

    @property
    def position(self) -> np.ndarray:
        """Net lots after each bar (derived from the fills: the kernel does not store it)."""
        bars = len(self.equity) if self.equity is not None else int(self.day_end[-1]) + 1
        change = np.zeros(bars, np.int64)
        np.add.at(change, self.trades.bar, self.trades.direction.astype(np.int64) * self.trades.volume)
        return np.cumsum(change)


@jit(inline="always")
def round_to_tick(price: float, tick: float) -> float:
    if tick <= 0.0:
        return price
    # half away from zero; vn.py rounds half to even, which differs only for prices exactly
    # half a tick off the grid
    return math.floor(price / tick + 0.5) * tick


@jit(inline="always")
def fill_price(kind: int, direction: int, price: float, open_: float, high: float, low: float) -> float:
    """The price an order fills at on this bar, or NaN if it does not fill."""
    if kind == MARKET:
        return open_
    if kind == LIMIT:
        if direction > 0:
            return min(price, open_) if price >= low else np.nan
        return max(price, open_) if price <= high else np.nan
    if direction > 0:
        return max(price, open_) if price <= high else np.nan
    return min(price, open_) if price >= low else np.nan


@jit(inline="always")
def send(orders: np.ndarray, count: int, kind: int, direction: int, price: float, volume: float,
         tick: float) -> int:
    """Append an order to the bar's book (rows: kind, direction, price, volume); returns the new
    count (a full book drops the order)."""
    if count >= MAX_ORDERS or volume <= 0:
        return count
    orders[count, 0] = kind
    orders[count, 1] = direction
    orders[count, 2] = price if kind == MARKET else round_to_tick(price, tick)
    orders[count, 3] = volume
    return count + 1


@jit(inline="always")
def match_bar(i, orders, count, open_, high, low, close, costs, state, trades, ntr):
    """Match the pending orders against bar ``i``. ``state``: pos, long today, long yesterday,
    short today, short yesterday, and (written here) the bar's PnL from fills. Fills go to the
    rows of ``trades`` (bar, direction, offset, price, volume, commission, slippage) from
    ``ntr`` on; returns the new row count, or -1 when ``trades`` is full."""
    size, rate, per_lot, td_rate, td_per_lot, slip = costs[0], costs[2], costs[3], costs[4], costs[5], costs[6]
    pnl = 0.0
    for phase in range(2):  # limit and market orders first, then stops, as vn.py does
        for k in range(count):
            kind = int(orders[k, 0])
            if (phase == 0) != (kind != STOP):
                continue
            direction = int(orders[k, 1])
            price = fill_price(kind, direction, orders[k, 2], open_[i], high[i], low[i])
            if np.isnan(price):
                continue
            remaining = int(orders[k, 3])
            # split into closes of yesterday's lots, closes of today's lots, then opens
            for step in range(3):
                offset = (step + 1) % 3  # CLOSE, CLOSE_TODAY, then OPEN
                if remaining == 0:
                    break
                if direction > 0:
                    avail = state[4] if offset == CLOSE else (state[3] if offset == CLOSE_TODAY else remaining)
                else:
                    avail = state[2] if offset == CLOSE else (state[1] if offset == CLOSE_TODAY else remaining)
                lots = min(remaining, int(avail))
                if lots == 0:
                    continue
                remaining -= lots
                if direction > 0:
                    if offset == CLOSE:
                        state[4] -= lots
                    elif offset == CLOSE_TODAY:
                        state[3] -= lots
                    else:
                        state[1] += lots
                else:
                    if offset == CLOSE:
                        state[2] -= lots
                    elif offset == CLOSE_TODAY:
                        state[1] -= lots
                    else:
                        state[3] += lots
                turnover = lots * size * price
                if offset == CLOSE_TODAY:
                    commission = turnover * td_rate + lots * td_per_lot
                else:
                    commission = turnover * rate + lots * per_lot
                slippage = lots * size * slip
                pnl += direction * lots * (close[i] - price) * size - commission - slippage
                state[0] += direction * lots
                if ntr == trades.shape[0]:
                    return -1
                trades[ntr, 0] = i
                trades[ntr, 1] = direction
                trades[ntr, 2] = offset
                trades[ntr, 3] = price
                trades[ntr, 4] = lots
                trades[ntr, 5] = commission
                trades[ntr, 6] = slippage
                ntr += 1
    state[5] = pnl
    return ntr

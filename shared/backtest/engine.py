"""Bar-mode order matching and mark-to-market accounting (numba), for any built-in strategy.

Order life (vn.py's bar mode, which users compare us with): a strategy decides on bar N's
close and sends orders; they are matched first against bar N+1 and cancelled after it
(every built-in strategy re-sends what it still wants on every bar). Matching on bar N+1,
limit and market orders first in the order sent, then stop orders, each for its whole volume:

- market: fills at the open;
- buy limit P: fills iff P >= low, at min(P, open); sell limit P: iff P <= high, at max(P, open);
- buy stop P: triggers iff P <= high, at max(P, open); sell stop P: iff P >= low, at min(P, open).

A strategy sends at most two orders on a bar.

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
def pending(out, tick):
    """The orders a strategy sent (count, then kind, direction, price, volume of up to two),
    as they wait for the next bar: limit and stop prices on the tick, orders of no volume dropped."""
    count, kind1, direction1, price1, volume1, kind2, direction2, price2, volume2 = out
    if count >= 2 and volume2 <= 0:
        count = 1
    if volume1 <= 0:
        count -= 1
        kind1, direction1, price1, volume1 = kind2, direction2, price2, volume2
    if count >= 1 and kind1 != MARKET:
        price1 = round_to_tick(price1, tick)
    if count >= 2 and kind2 != MARKET:
        price2 = round_to_tick(price2, tick)
    return count, kind1, direction1, price1, volume1, kind2, direction2, price2, volume2


@jit(inline="always")
def match_bar(i, orders, open_, high, low, close, terms, book, trades, ntr):
    """Match ``orders`` (as ``pending`` returns them) against bar ``i`` (its open, high, low,
    close): limit and market orders first in the order sent, then stops, as vn.py does.
    ``terms``: size, commission rate and per lot, close-today rate and per lot, slippage.
    ``book``: pos, long today, long yesterday, short today, short yesterday (lots). Fills go to
    the rows of ``trades`` (bar, direction, offset, price, volume, commission, slippage) from
    ``ntr`` on. Returns (book, the fills' PnL to bar i's close less their costs, the new row
    count or -1 when ``trades`` is full)."""
    count, kind1, direction1, price1, volume1, kind2, direction2, price2, volume2 = orders
    pnl = 0.0
    for phase in range(2):
        if (kind1 == STOP) == (phase == 1):
            book, got, ntr = fill(i, kind1, direction1, price1, volume1, open_, high, low, close, terms, book, trades,
                                  ntr)
            if ntr < 0:
                return book, pnl, ntr
            pnl += got
        if count > 1 and (kind2 == STOP) == (phase == 1):
            book, got, ntr = fill(i, kind2, direction2, price2, volume2, open_, high, low, close, terms, book, trades,
                                  ntr)
            if ntr < 0:
                return book, pnl, ntr
            pnl += got
    return book, pnl, ntr


@jit(inline="always")
def fill(i, kind, direction, price, volume, open_, high, low, close, terms, book, trades, ntr):
    """One order against bar ``i``, for ``match_bar``: its whole volume or nothing, split into
    closes of yesterday's lots, closes of today's lots, then opens."""
    pnl = 0.0
    px = fill_price(kind, direction, price, open_, high, low)
    if np.isnan(px):
        return book, pnl, ntr
    size, rate, per_lot, td_rate, td_per_lot, slip = terms
    pos, long_today, long_yesterday, short_today, short_yesterday = book
    remaining = volume
    for step in range(3):
        offset = (step + 1) % 3  # CLOSE, CLOSE_TODAY, then OPEN
        if remaining == 0:
            break
        if direction > 0:
            avail = short_yesterday if offset == CLOSE else (short_today if offset == CLOSE_TODAY else remaining)
        else:
            avail = long_yesterday if offset == CLOSE else (long_today if offset == CLOSE_TODAY else remaining)
        lots = min(remaining, avail)
        if lots == 0:
            continue
        remaining -= lots
        if direction > 0:
            if offset == CLOSE:
                short_yesterday -= lots
            elif offset == CLOSE_TODAY:
                short_today -= lots
            else:
                long_today += lots
        else:
            if offset == CLOSE:
                long_yesterday -= lots
            elif offset == CLOSE_TODAY:
                long_today -= lots
            else:
                short_today += lots
        turnover = lots * size * px
        if offset == CLOSE_TODAY:
            commission = turnover * td_rate + lots * td_per_lot
        else:
            commission = turnover * rate + lots * per_lot
        slippage = lots * size * slip
        pnl += direction * lots * (close - px) * size - commission - slippage
        pos += direction * lots
        if ntr == trades.shape[0]:
            return book, pnl, -1
        trades[ntr, 0] = i
        trades[ntr, 1] = direction
        trades[ntr, 2] = offset
        trades[ntr, 3] = px
        trades[ntr, 4] = lots
        trades[ntr, 5] = commission
        trades[ntr, 6] = slippage
        ntr += 1
    return (pos, long_today, long_yesterday, short_today, short_yesterday), pnl, ntr

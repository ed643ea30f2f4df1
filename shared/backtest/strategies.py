"""The built-in strategies: typed parameters, the indicators each needs, and its per-bar decision.

Each ``*_step`` runs on bar i's close (numba) and sends the orders it wants matched on bar
i+1 (orders live one bar: what is still wanted is sent again). Position sizes are ``lots``.

- ``dual_ma`` (fast, slow): vn.py's DoubleMaStrategy: on a strict SMA cross, a limit order at
  the close to open (or to reverse: close, then open, two orders).
- ``breakout`` (entry_window, exit_window): Donchian channel, turtle style: flat -> buy stop at
  the highest high and sell stop at the lowest low of ``entry_window`` bars; long -> sell stop
  at the ``exit_window`` lowest low; short -> buy stop at the ``exit_window`` highest high.
- ``bollinger`` (window, dev): mean reversion: flat -> buy limit at the lower band, sell limit
  at the upper band; in a position -> limit back at the middle band.
- ``rsi`` (window, lower, upper): reversal at the market: RSI below ``lower`` -> long, above
  ``upper`` -> short (reversing any opposite position).
- ``atr_stop`` (window, atr_window, multiplier): flat -> enter at the market on the side of
  the close against its SMA; then a stop trails ``multiplier`` x ATR behind the best price since entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.backtest.engine import LIMIT, MARKET, STOP
from shared.backtest.indicators import atr, highest, lowest, stddev
from shared.indicators._jit import jit
from shared.indicators.moving_averages import sma, sma_step
from shared.indicators.rsi import rsi


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DualMaParams(_Params):
    fast: int = Field(ge=1, le=100_000, description="fast SMA window, bars")
    slow: int = Field(ge=2, le=100_000, description="slow SMA window, bars; > fast")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> DualMaParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be < slow ({self.slow})")
        return self


class BreakoutParams(_Params):
    entry_window: int = Field(ge=2, le=100_000, description="Donchian window for entries, bars")
    exit_window: int = Field(ge=1, le=100_000, description="Donchian window for exits, bars")


class BollingerParams(_Params):
    window: int = Field(ge=2, le=100_000, description="SMA and deviation window, bars")
    dev: float = Field(gt=0, le=10, description="band width in standard deviations")


class RsiParams(_Params):
    window: int = Field(ge=2, le=100_000, description="RSI period (Wilder), bars")
    lower: float = Field(gt=0, lt=100, description="go long below this RSI")
    upper: float = Field(gt=0, lt=100, description="go short above this RSI; > lower")

    @model_validator(mode="after")
    def _lower_below_upper(self) -> RsiParams:
        if self.lower >= self.upper:
            raise ValueError(f"lower ({self.lower}) must be < upper ({self.upper})")
        return self


class AtrStopParams(_Params):
    window: int = Field(ge=1, le=100_000, description="trend SMA window, bars")
    atr_window: int = Field(ge=1, le=100_000, description="ATR period (Wilder), bars")
    multiplier: float = Field(gt=0, le=100, description="stop distance in ATRs")


# ---- per-bar decisions (numba) -------------------------------------------------------------
# A decision sees scalars only (arrays passed per bar cost numba a reference count each) and
# returns (orders, kind1, direction1, price1, volume1, kind2, direction2, price2, volume2):
# up to two orders. A strategy's memory between bars is ``m``, six floats it alone reads.
DUAL_MA, BREAKOUT, BOLLINGER, RSI, ATR_STOP = 0, 1, 2, 3, 4
NO = (0, MARKET, 0, 0.0, 0, MARKET, 0, 0.0, 0)
NO_MEMORY = (0.0, 0.0, np.nan, np.nan, np.nan, np.nan)


@jit(inline="always")
def _one(kind, direction, price, volume):
    return 1, kind, direction, price, volume, MARKET, 0, 0.0, 0


@jit(inline="always")
def _two(kind, direction, price, volume, kind2, direction2, price2, volume2):
    return 2, kind, direction, price, volume, kind2, direction2, price2, volume2


@jit(inline="always")
def dual_ma_step(fast, slow, fast1, slow1, close, pos, lots):
    if fast > slow and fast1 < slow1:
        if pos < 0:
            return _two(LIMIT, 1, close, -pos, LIMIT, 1, close, lots)
        if pos == 0:
            return _one(LIMIT, 1, close, lots)
    elif fast < slow and fast1 > slow1:
        if pos > 0:
            return _two(LIMIT, -1, close, pos, LIMIT, -1, close, lots)
        if pos == 0:
            return _one(LIMIT, -1, close, lots)
    return NO


@jit(inline="always")
def breakout_step(entry_up, entry_down, exit_up, exit_down, pos, lots):
    if pos == 0:
        return _two(STOP, 1, entry_up, lots, STOP, -1, entry_down, lots)
    if pos > 0:
        return _one(STOP, -1, exit_down, pos)
    return _one(STOP, 1, exit_up, -pos)


@jit(inline="always")
def bollinger_step(mid, upper, lower, pos, lots):
    if pos == 0:
        return _two(LIMIT, 1, lower, lots, LIMIT, -1, upper, lots)
    if pos > 0:
        return _one(LIMIT, -1, mid, pos)
    return _one(LIMIT, 1, mid, -pos)


@jit(inline="always")
def rsi_step(value, lower, upper, pos, lots):
    if value < lower:
        if pos < 0:
            return _two(MARKET, 1, 0.0, -pos, MARKET, 1, 0.0, lots)
        if pos == 0:
            return _one(MARKET, 1, 0.0, lots)
    elif value > upper:
        if pos > 0:
            return _two(MARKET, -1, 0.0, pos, MARKET, -1, 0.0, lots)
        if pos == 0:
            return _one(MARKET, -1, 0.0, lots)
    return NO


@jit(inline="always")
def atr_stop_step(ma, atr_value, multiplier, high, low, close, pos, lots, best, side_before):
    # best: the best price since entry; side_before: the sign of the position it belongs to
    if pos == 0:
        if close > ma:
            return _one(MARKET, 1, 0.0, lots), best, 0.0
        if close < ma:
            return _one(MARKET, -1, 0.0, lots), best, 0.0
        return NO, best, 0.0
    if pos > 0:
        best = high if side_before != 1.0 else max(best, high)
        return _one(STOP, -1, best - multiplier * atr_value, pos), best, 1.0
    best = low if side_before != -1.0 else min(best, low)
    return _one(STOP, 1, best + multiplier * atr_value, -pos), best, -1.0


@jit(inline="always")
def observe(code, i, windows, close, m):
    """Bar ``i`` of the indicators a strategy streams in the bar loop instead of reading them from
    rows computed before it (dual MA's two SMAs, in m[0:6]: sums, values, previous values). No
    pass over the bars of their own and nothing written to memory: the loop is memory-bound."""
    if code == DUAL_MA:
        fast, fast_sum = sma_step(close, i, 0, windows[0], m[0])
        slow, slow_sum = sma_step(close, i, 0, windows[1], m[1])
        return fast_sum, slow_sum, fast, slow, m[2], m[3]
    return m


@jit(inline="always")
def decide(code, p0, p1, p2, x0, x1, x2, x3, high, low, close, pos, lots, m):
    """Orders for the next bar and the memory. ``p``: parameters in declared order; ``x``:
    indicator rows at this bar."""
    if code == DUAL_MA:
        return dual_ma_step(m[2], m[3], m[4], m[5], close, pos, lots), m
    if code == BREAKOUT:
        return breakout_step(x0, x1, x2, x3, pos, lots), m
    if code == BOLLINGER:
        return bollinger_step(x0, x1, x2, pos, lots), m
    if code == RSI:
        return rsi_step(x0, p1, p2, pos, lots), m
    orders, best, side = atr_stop_step(x0, x1, p2, high, low, close, pos, lots, m[0], m[1])
    return orders, (best, side, m[2], m[3], m[4], m[5])


# ---- indicators and first decision bar per strategy ----------------------------------------
Rows = tuple[np.ndarray, ...]  # up to four indicator rows, each one value per bar
Memo = dict[tuple[Any, ...], np.ndarray]  # rows computed over one set of bars, shared by a sweep's runs


def _row(memo: Memo | None, fn: Any, *args: Any) -> np.ndarray:
    """``fn(*args)``, computed once per ``memo``: arrays are keyed by identity (the memo lives
    no longer than the bars it was made for), parameters by value."""
    if memo is None:
        return fn(*args)
    key = (fn, *(id(a) if isinstance(a, np.ndarray) else a for a in args))
    row = memo.get(key)
    if row is None:
        row = memo[key] = fn(*args)
    return row


def _dual_ma(p: Any, high: np.ndarray, low: np.ndarray, close: np.ndarray, memo: Memo | None) -> tuple[Rows, int]:
    # its SMAs are streamed in the loop (``observe``); a cross compares with the previous bar, so
    # the first decision needs both one bar back
    return (), p.slow


def _breakout(p: Any, high: np.ndarray, low: np.ndarray, close: np.ndarray, memo: Memo | None) -> tuple[Rows, int]:
    ind = (_row(memo, highest, high, p.entry_window), _row(memo, lowest, low, p.entry_window),
           _row(memo, highest, high, p.exit_window), _row(memo, lowest, low, p.exit_window))
    return ind, max(p.entry_window, p.exit_window) - 1


def _bollinger(p: Any, high: np.ndarray, low: np.ndarray, close: np.ndarray, memo: Memo | None) -> tuple[Rows, int]:
    mid, dev = _row(memo, sma, close, p.window), _row(memo, stddev, close, p.window)
    return (mid, mid + p.dev * dev, mid - p.dev * dev), p.window - 1


def _rsi(p: Any, high: np.ndarray, low: np.ndarray, close: np.ndarray, memo: Memo | None) -> tuple[Rows, int]:
    return (_row(memo, rsi, close, p.window),), p.window


def _atr_stop(p: Any, high: np.ndarray, low: np.ndarray, close: np.ndarray, memo: Memo | None) -> tuple[Rows, int]:
    return ((_row(memo, sma, close, p.window), _row(memo, atr, high, low, close, p.atr_window)),
            max(p.window - 1, p.atr_window))


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    code: int
    version: str  # bump when the decision logic changes: results are keyed by it
    params: type[_Params]
    prepare: Any  # (params, high, low, close, memo or None) -> (indicator rows, first decision bar)

    def vector(self, params: _Params) -> np.ndarray:
        """Parameters in declared order, as the float array the kernel reads."""
        return np.array([float(v) for v in params.model_dump().values()])


STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    Strategy("dual_ma", DUAL_MA, "1", DualMaParams, _dual_ma),
    Strategy("breakout", BREAKOUT, "1", BreakoutParams, _breakout),
    Strategy("bollinger", BOLLINGER, "1", BollingerParams, _bollinger),
    Strategy("rsi", RSI, "1", RsiParams, _rsi),
    Strategy("atr_stop", ATR_STOP, "1", AtrStopParams, _atr_stop),
)}

"""Order matching and accounting, on bars worked by hand (issue 4, case 1 verbatim)."""
from __future__ import annotations

import numpy as np
import pytest

from shared.backtest.engine import CLOSE, CLOSE_TODAY, LIMIT, MARKET, OPEN, STOP, Costs, match_bar, pending
from shared.backtest.runner import run

# bar N (the orders are sent on its close, 3505) and bar N+1
OPEN_ = np.array([3500.0, 3500.0])
HIGH = np.array([3510.0, 3520.0])
LOW = np.array([3495.0, 3480.0])
CLOSE_ = np.array([3505.0, 3510.0])


FLAT = (0, 0, 0, 0, 0)  # pos, long today, long yesterday, short today, short yesterday


def match(kind: int, direction: int, price: float, volume: int = 1, costs: Costs = Costs(),
          book: tuple[int, ...] = FLAT) -> tuple[np.ndarray, tuple[int, ...], float]:
    """Match one order sent on bar N against bar N+1: (rows of trades, book after, fill PnL)."""
    orders = pending((1, kind, direction, price, volume, MARKET, 0, 0.0, 0), costs.price_tick)
    terms = tuple(costs.vector()[[0, 2, 3, 4, 5, 6]])
    trades = np.zeros((8, 7))
    book, pnl, n = match_bar(1, orders, OPEN_[1], HIGH[1], LOW[1], CLOSE_[1], terms, book, trades, 0)
    return trades[:n], book, pnl


@pytest.mark.parametrize(("kind", "direction", "price", "expected"), [
    (LIMIT, 1, 3490.0, 3490.0),   # buy limit 3490 fills at 3490
    (LIMIT, 1, 3510.0, 3500.0),   # buy limit 3510 fills at 3500 (the open)
    (LIMIT, 1, 3470.0, None),     # buy limit 3470 does not fill
    (LIMIT, -1, 3515.0, 3515.0),  # sell limit 3515 fills at 3515
    (STOP, 1, 3515.0, 3515.0),    # buy stop 3515 fills at 3515
    (STOP, 1, 3490.0, 3500.0),    # buy stop 3490 fills at 3500 (gap through the open)
    (STOP, -1, 3470.0, None),     # sell stop 3470 is not triggered
    (MARKET, 1, 0.0, 3500.0),     # a market order takes the open
])
def test_case_1_fills_on_the_next_bar(kind: int, direction: int, price: float, expected: float | None) -> None:
    trades, book, _ = match(kind, direction, price)
    if expected is None:
        assert len(trades) == 0 and book[0] == 0
    else:
        assert len(trades) == 1
        assert trades[0, 0] == 1  # on bar N+1, never on bar N
        assert trades[0, 3] == expected
        assert book[0] == direction


def test_costs_rate_per_lot_and_slippage() -> None:
    # buy 1 at 3500, size 5: turnover 17,500; 0.0001 -> 1.75 + 2 per lot; slippage 1 x 5 = 5
    costs = Costs(size=5, commission_rate=0.0001, commission_per_lot=2.0, slippage=1.0)
    trades, _, pnl = match(MARKET, 1, 0.0, costs=costs)
    assert trades[0, 5] == pytest.approx(3.75)
    assert trades[0, 6] == pytest.approx(5.0)
    # fill pnl: (close 3510 - 3500) x 5 - 3.75 - 5
    assert pnl == pytest.approx(50 - 8.75)


def test_close_today_rate_applies_to_lots_opened_today_only() -> None:
    costs = Costs(size=5, commission_rate=0.0001, close_today_rate=0.0003)
    # long 1 from yesterday and 1 from today; sell 2 at the open 3500
    trades, book, _ = match(MARKET, -1, 0.0, volume=2, costs=costs, book=(2, 1, 1, 0, 0))
    assert len(trades) == 2
    assert [int(t) for t in trades[:, 2]] == [CLOSE, CLOSE_TODAY]  # yesterday's lot first
    np.testing.assert_allclose(trades[:, 5], [17_500 * 0.0001, 17_500 * 0.0003])
    assert book == FLAT


def test_an_order_through_zero_closes_then_opens() -> None:
    trades, book, _ = match(MARKET, 1, 0.0, volume=2, book=(-1, 0, 0, 0, 1))  # short 1 from yesterday
    assert [int(t) for t in trades[:, 2]] == [CLOSE, OPEN]
    assert book == (1, 1, 0, 0, 0)  # the new lot is today's


def test_stop_prices_are_rounded_to_the_tick() -> None:
    # breakout buy stop at the 2-bar high 3513 with tick 5 -> 3515: triggers on a high of 3515
    o = np.array([3500.0, 3500.0, 3500.0])
    h = np.array([3513.0, 3505.0, 3515.0])
    lo = np.array([3490.0, 3495.0, 3495.0])
    c = np.array([3500.0, 3500.0, 3510.0])
    r = run("breakout", {"entry_window": 2, "exit_window": 1}, o, h, lo, c, np.zeros(3, np.int64),
            Costs(price_tick=5.0))
    assert list(r.trades.bar) == [2] and list(r.trades.price) == [3515.0]


# dual MA 2/3 on 8 bars, worked by hand: SMA2 and SMA3 of the closes
DM_CLOSE = np.array([10.0, 10, 10, 9, 8, 9, 11, 12])
DM_OPEN = np.array([10.0, 10, 10, 10, 9, 8, 9, 11.5])


def test_dual_ma_fills_at_the_limit_on_the_bar_after_the_cross() -> None:
    # SMA2 from bar 1: 10 10 9.5 8.5 8.5 10 11.5; SMA3 from bar 2: 10 9.67 9 8.67 9.33 10.67.
    # Bar 3: 9.5 < 9.67 but bar 2 was equal (10 = 10): no strict cross; bars 4, 5: still below.
    # Bar 6: 10 > 9.33 and bar 5 8.5 < 8.67: cross over -> buy limit at bar 6's close, 11.
    high = np.maximum(DM_OPEN, DM_CLOSE)
    low = np.minimum(DM_OPEN, DM_CLOSE)
    r = run("dual_ma", {"fast": 2, "slow": 3}, DM_OPEN, high, low, DM_CLOSE, np.zeros(8, np.int64),
            Costs(size=10, capital=10_000))
    # bar 7: open 11.5, low 11.5 > limit 11: the buy limit does not fill; nothing else was sent
    assert len(r.trades) == 0
    # with a lower open on bar 7 the limit fills at min(11, open)
    o2 = DM_OPEN.copy()
    o2[7] = 10.5
    r2 = run("dual_ma", {"fast": 2, "slow": 3}, o2, np.maximum(o2, DM_CLOSE), np.minimum(o2, DM_CLOSE),
             DM_CLOSE, np.zeros(8, np.int64), Costs(size=10, capital=10_000), equity_per_bar=True)
    assert list(r2.trades.bar) == [7] and list(r2.trades.price) == [10.5] and list(r2.trades.direction) == [1]
    # equity: 10,000 + (12 - 10.5) x 10 at bar 7's close
    assert r2.equity[-1] == pytest.approx(10_015.0)
    assert list(r2.position) == [0] * 7 + [1]
    # one trading day: its end is the last bar, at the same equity
    assert (list(r2.day_end), list(r2.day_balance)) == ([7], [r2.equity[-1]])


def test_bust_account_stops_trading() -> None:
    # long 1 lot of size 100 at 10 (market, rsi < lower after a fall), then the price collapses
    close = np.array([10.0, 9, 8, 7, 6, 5, 4, 1, 0.5, 0.5, 20])
    days = np.repeat([20210104, 20210105, 20210106], [4, 4, 3])
    r = run("rsi", {"window": 2, "lower": 30, "upper": 70}, close, close, close, close, days,
            Costs(size=100, capital=300), equity_per_bar=True)
    bust = int(np.argmax(r.equity <= 0))
    assert r.equity[bust] <= 0
    assert np.all(r.equity[bust:] == r.equity[bust])  # frozen: the rebound to 20 is not counted
    assert np.all(r.trades.bar <= bust)
    # the day ends (bars 3, 7, 10) carry the same equity, whether or not every bar's is kept
    assert list(r.day_end) == [3, 7, 10]
    np.testing.assert_array_equal(r.day_balance, r.equity[[3, 7, 10]])
    lean = run("rsi", {"window": 2, "lower": 30, "upper": 70}, close, close, close, close, days,
               Costs(size=100, capital=300))
    assert lean.equity is None
    np.testing.assert_array_equal(lean.day_balance, r.day_balance)


def test_bars_that_start_without_a_close_are_refused() -> None:
    # the loop streams dual MA's averages from bar 0: a leading NaN would silently stop all trading
    close = np.array([np.nan, 10.0, 11.0, 12.0])
    with pytest.raises(ValueError, match="first close is NaN"):
        run("dual_ma", {"fast": 2, "slow": 3}, close, close, close, close, np.zeros(4, np.int64))


def test_day_labels_that_do_not_fit_int32_are_refused() -> None:
    bars = np.full(3, 100.0)
    with pytest.raises(ValueError, match="int32"):
        run("rsi", {"window": 2, "lower": 30, "upper": 70}, bars, bars, bars, bars,
            np.array([20240102, 2**32 + 20240102, 2**33 + 20240102]))

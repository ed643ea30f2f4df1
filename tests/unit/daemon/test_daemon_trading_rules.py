"""Order validation, SHFE/INE offsets, FIFO positions with today/yesterday and realised PnL (by hand)."""
from __future__ import annotations

import pytest

from gateway_daemon.ctp.codes import order_status, order_type, price_type_of
from shared.domain.instruments import Exchange
from shared.domain.orders import Direction, Offset, OrderRequest, OrderStatus, PriceType, broker_offset
from shared.domain.positions import PositionBook
from shared.errors import InvalidInput

BASE = {"idempotency_key": "k", "user_id": "u", "symbol": "rb2405", "exchange": "shfe", "direction": "BUY",
        "offset": "open", "price_type": "limit", "volume": "2", "limit_price": "3600"}


def test_request_parsing_and_errors_name_the_field() -> None:
    r = OrderRequest.from_json(BASE)
    assert (r.exchange, r.direction, r.volume, r.limit_price) == (Exchange.SHFE, Direction.BUY, 2, 3600.0)
    for field, value in [("volume", "0"), ("offset", "closeall"), ("limit_price", None), ("exchange", "LME")]:
        with pytest.raises(InvalidInput) as err:
            OrderRequest.from_json({**BASE, field: value})
        assert field in err.value.message


@pytest.mark.parametrize(("exchange", "offset", "volume", "today", "yesterday", "expected"), [
    (Exchange.SHFE, Offset.CLOSE, 1, 2, 1, Offset.CLOSE_YESTERDAY),
    (Exchange.SHFE, Offset.CLOSE, 2, 2, 1, Offset.CLOSE_TODAY),
    (Exchange.INE, Offset.CLOSE, 2, 3, 0, Offset.CLOSE_TODAY),
    (Exchange.DCE, Offset.CLOSE, 2, 2, 0, Offset.CLOSE),  # DCE picks the lots itself
    (Exchange.SHFE, Offset.OPEN, 5, 0, 0, Offset.OPEN),
])
def test_broker_offset(exchange, offset, volume, today, yesterday, expected) -> None:
    assert broker_offset(exchange, offset, volume, today, yesterday) is expected


def test_a_shfe_close_needing_both_sides_is_refused() -> None:
    with pytest.raises(InvalidInput, match="close_today and a close_yesterday"):
        broker_offset(Exchange.SHFE, Offset.CLOSE, 3, 2, 1)


def test_positions_fifo_today_yesterday_and_pnl() -> None:
    book = PositionBook()
    book.set_yesterday("rb2405", True, 2, 3500.0)
    book.apply("rb2405", Direction.BUY, Offset.OPEN, 3600.0, 3, 10)
    # close-today takes today's lots: (3620 - 3600) x 2 x 10 = 400
    assert book.apply("rb2405", Direction.SELL, Offset.CLOSE_TODAY, 3620.0, 2, 10) == 400.0
    # close-yesterday then today: (3590 - 3500) x 2 x 10 + (3590 - 3600) x 1 x 10 = 1800 - 100
    assert book.apply("rb2405", Direction.SELL, Offset.CLOSE, 3590.0, 3, 10) == 1700.0
    assert book.net("rb2405") == 0
    # a short: sell open 1 @ 3600, buy close @ 3550 -> +500
    book.apply("rb2405", Direction.SELL, Offset.OPEN, 3600.0, 1, 10)
    assert book.apply("rb2405", Direction.BUY, Offset.CLOSE, 3550.0, 1, 10) == 500.0


def test_ctp_codes_round_trip() -> None:
    for pt in PriceType:
        assert price_type_of(*order_type(pt)) is pt
    assert order_status("5", "4", 0) is OrderStatus.REJECTED  # exchange refusal: Canceled + InsertRejected
    assert order_status("2", "3", 1) is OrderStatus.CANCELLED
    assert order_status("1", "3", 1) is OrderStatus.PARTIALLY_FILLED
    assert order_status("a", "0", 0) is OrderStatus.QUEUED

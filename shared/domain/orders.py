"""Order requests and the exchange rules they must obey before they reach CTP.

An ``OrderRequest`` is what a client asks for (it arrives through the order
stream with an idempotency key). ``broker_offset`` turns the client's offset into
the one the exchange accepts: SHFE and INE keep today's and yesterday's
positions apart, so a plain "close" there must say which; the other exchanges
close yesterday's lots first on their own. ``check_order`` refuses what an
exchange would refuse anyway (market orders on SHFE/INE), with a reason a
person can act on.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.domain.instruments import Exchange
from shared.errors import InvalidInput


class Direction(StrEnum):
    BUY = "buy"
    SELL = "sell"


class Offset(StrEnum):
    OPEN = "open"
    CLOSE = "close"
    CLOSE_TODAY = "close_today"
    CLOSE_YESTERDAY = "close_yesterday"


class PriceType(StrEnum):
    LIMIT = "limit"  # rests until filled or cancelled (GFD)
    MARKET = "market"  # any price, immediate; refused by SHFE and INE
    FAK = "fak"  # fill and kill: limit price, whatever fills now, the rest cancelled
    FOK = "fok"  # fill or kill: limit price, all now or nothing


class OrderStatus(StrEnum):
    SUBMITTING = "submitting"  # written before ReqOrderInsert; no report yet
    QUEUED = "queued"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED})
SEPARATE_TODAY = frozenset({Exchange.SHFE, Exchange.INE})  # close-today must be explicit
NO_MARKET_ORDERS = frozenset({Exchange.SHFE, Exchange.INE})


@dataclass(frozen=True, slots=True)
class OrderRequest:
    idempotency_key: str
    user_id: str
    symbol: str
    exchange: Exchange
    direction: Direction
    offset: Offset
    price_type: PriceType
    volume: int
    limit_price: float | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderRequest:
        """Validate a stream entry's fields; InvalidInput names the field that is wrong."""
        def field(name: str) -> Any:
            value = data.get(name)
            if value in (None, ""):
                raise InvalidInput(f"order field {name!r} is missing", {"field": name})
            return value

        def choice(name: str, kind: type[StrEnum]) -> Any:
            text = str(field(name))
            try:
                return kind(text.strip().upper() if kind is Exchange else text.strip().lower())
            except ValueError:
                valid = ", ".join(k.value for k in kind)  # type: ignore[attr-defined]
                raise InvalidInput(f"order field {name!r} is {text!r}: expected one of {valid}",
                                   {"field": name}) from None

        try:
            volume = int(field("volume"))
        except (TypeError, ValueError):
            raise InvalidInput("order field 'volume' must be a whole number of lots", {"field": "volume"}) from None
        if volume <= 0:
            raise InvalidInput("order field 'volume' must be at least 1", {"field": "volume"})
        price_type = choice("price_type", PriceType)
        price = data.get("limit_price")
        limit_price: float | None = None
        if price_type is not PriceType.MARKET:
            try:
                limit_price = float(field("limit_price"))
            except (TypeError, ValueError):
                raise InvalidInput("order field 'limit_price' must be a number", {"field": "limit_price"}) from None
            if limit_price <= 0:
                raise InvalidInput("order field 'limit_price' must be positive", {"field": "limit_price"})
        elif price not in (None, ""):
            raise InvalidInput("a market order takes no limit_price", {"field": "limit_price"})
        return cls(idempotency_key=str(field("idempotency_key")), user_id=str(field("user_id")),
                   symbol=str(field("symbol")), exchange=choice("exchange", Exchange),
                   direction=choice("direction", Direction), offset=choice("offset", Offset),
                   price_type=price_type, volume=volume, limit_price=limit_price)


def check_order(request: OrderRequest) -> None:
    """InvalidInput for what the exchange would refuse anyway."""
    if request.price_type is PriceType.MARKET and request.exchange in NO_MARKET_ORDERS:
        raise InvalidInput(f"{request.exchange} accepts no market orders: send a limit, FAK or FOK order",
                           {"field": "price_type"})


def broker_offset(exchange: Exchange, offset: Offset, volume: int, today: int, yesterday: int) -> Offset:
    """The offset to send for closing ``volume`` lots against a position of ``today`` + ``yesterday`` lots.

    On SHFE/INE a plain close only closes yesterday's lots, so it becomes close-today when only
    today's lots can cover it; a close that needs both is refused (send two orders). Elsewhere
    the exchange picks the lots and "close-today"/"close-yesterday" are sent as asked.
    """
    if offset is Offset.OPEN or exchange not in SEPARATE_TODAY:
        return offset
    if offset is Offset.CLOSE:
        if yesterday >= volume:
            return Offset.CLOSE_YESTERDAY
        if today >= volume:
            return Offset.CLOSE_TODAY
        if today + yesterday < volume:
            raise InvalidInput(f"closing {volume} lots but only {today + yesterday} are held", {"field": "volume"})
        raise InvalidInput(
            f"closing {volume} lots on {exchange} needs today's ({today}) and yesterday's ({yesterday}) "
            "lots: send a close_today and a close_yesterday order", {"field": "offset"})
    held = today if offset is Offset.CLOSE_TODAY else yesterday
    if held < volume:
        raise InvalidInput(f"{offset} of {volume} lots but only {held} are held", {"field": "volume"})
    return offset

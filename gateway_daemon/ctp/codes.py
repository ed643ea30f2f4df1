"""CTP's one-character codes and our words, both ways (values as in ThostFtdcUserApiDataType.h)."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.domain.orders import Direction, Offset, OrderStatus, PriceType

DIRECTION = {Direction.BUY: "0", Direction.SELL: "1"}
DIRECTION_OF = {v: k for k, v in DIRECTION.items()}
OFFSET = {Offset.OPEN: "0", Offset.CLOSE: "1", Offset.CLOSE_TODAY: "3", Offset.CLOSE_YESTERDAY: "4"}
OFFSET_OF = {**{v: k for k, v in OFFSET.items()}, "2": Offset.CLOSE, "5": Offset.CLOSE, "6": Offset.CLOSE}
PRICE_ANY, PRICE_LIMIT = "1", "2"
TIME_IOC, TIME_GFD = "1", "3"
VOLUME_ANY, VOLUME_COMPLETE = "1", "3"
HEDGE_SPECULATION = "1"
CONTINGENT_IMMEDIATELY = "1"
FORCE_CLOSE_NOT = "0"
ACTION_DELETE = "0"
POSITION_LONG, POSITION_SHORT = "2", "3"
SUBMIT_INSERT_REJECTED = "4"
SHANGHAI = ZoneInfo("Asia/Shanghai")
AUTH_CODE_WRONG = 63  # OnRspAuthenticate: the AuthCode does not match the AppID; retrying cannot help
FLOW_CONTROL = (-2, -3)  # ReqQry* returns: too many queries in flight / per second


def order_type(price_type: PriceType) -> tuple[str, str, str]:
    """(OrderPriceType, TimeCondition, VolumeCondition) for one of our price types."""
    return {
        PriceType.LIMIT: (PRICE_LIMIT, TIME_GFD, VOLUME_ANY),
        PriceType.MARKET: (PRICE_ANY, TIME_IOC, VOLUME_ANY),
        PriceType.FAK: (PRICE_LIMIT, TIME_IOC, VOLUME_ANY),
        PriceType.FOK: (PRICE_LIMIT, TIME_IOC, VOLUME_COMPLETE),
    }[price_type]


def price_type_of(price: str, time: str, volume: str) -> PriceType:
    if price == PRICE_ANY:
        return PriceType.MARKET
    if time == TIME_IOC:
        return PriceType.FOK if volume == VOLUME_COMPLETE else PriceType.FAK
    return PriceType.LIMIT


def order_status(ctp_status: str, submit_status: str, traded: int) -> OrderStatus:
    """Our status from OrderStatus + OrderSubmitStatus (an exchange reject shows as Canceled + InsertRejected)."""
    if submit_status == SUBMIT_INSERT_REJECTED:
        return OrderStatus.REJECTED
    if ctp_status == "0":  # AllTraded
        return OrderStatus.FILLED
    if ctp_status == "1":  # PartTradedQueueing
        return OrderStatus.PARTIALLY_FILLED
    if ctp_status in ("2", "5"):  # PartTradedNotQueueing (rest cancelled, e.g. FAK), Canceled
        return OrderStatus.CANCELLED
    return OrderStatus.QUEUED  # NoTradeQueueing, NoTradeNotQueueing, Unknown (accepted by CTP, not yet by the exchange)


def order_report(o: Any) -> dict[str, Any]:
    """An order's fields (CThostFtdcOrderField or a dict of its names) as an ``OrderStore.apply_report`` row."""
    from datetime import date

    get = o.get if isinstance(o, dict) else lambda k: getattr(o, k)
    traded = int(get("VolumeTraded"))
    day = str(get("TradingDay") or "")
    return {
        "symbol": get("InstrumentID"), "exchange": get("ExchangeID"),
        "direction": str(DIRECTION_OF[get("Direction")]),
        "offset": str(OFFSET_OF.get(str(get("CombOffsetFlag"))[:1], Offset.OPEN)),
        "price_type": str(price_type_of(get("OrderPriceType"), get("TimeCondition"), get("VolumeCondition"))),
        "limit_price": float(get("LimitPrice")) or None, "volume": int(get("VolumeTotalOriginal")),
        "front_id": int(get("FrontID")), "session_id": int(get("SessionID")), "order_ref": str(get("OrderRef")).strip(),
        "order_sys_id": str(get("OrderSysID")), "volume_traded": traded,
        "status": order_status(str(get("OrderStatus")), str(get("OrderSubmitStatus")), traded),
        "reason": str(get("StatusMsg")),
        "trading_day": date(int(day[:4]), int(day[4:6]), int(day[6:8])) if len(day) == 8 else None,
    }


ORDER_FIELDS = ("InstrumentID", "ExchangeID", "Direction", "CombOffsetFlag", "OrderPriceType", "TimeCondition",
                "VolumeCondition", "LimitPrice", "VolumeTotalOriginal", "FrontID", "SessionID", "OrderRef",
                "OrderSysID", "VolumeTraded", "OrderStatus", "OrderSubmitStatus", "StatusMsg", "TradingDay")
TRADE_FIELDS = ("InstrumentID", "ExchangeID", "TradeID", "Direction", "OffsetFlag", "Price", "Volume", "OrderSysID",
                "OrderRef", "TradeDate", "TradeTime", "TradingDay")


def trade_row(t: dict[str, Any]) -> dict[str, Any]:
    from datetime import date

    day = t["TradingDay"] or t["TradeDate"]
    return {
        "exchange": t["ExchangeID"], "trade_id": t["TradeID"].strip(), "direction": str(DIRECTION_OF[t["Direction"]]),
        "symbol": t["InstrumentID"], "offset": str(OFFSET_OF.get(t["OffsetFlag"], Offset.OPEN)),
        "price": float(t["Price"]), "volume": int(t["Volume"]), "order_sys_id": t["OrderSysID"],
        "order_ref": str(t["OrderRef"]).strip(), "traded_at": parse_ctp_time(t["TradeDate"] or day, t["TradeTime"]),
        "trading_day": date(int(day[:4]), int(day[4:6]), int(day[6:8])),
    }


def parse_ctp_time(day: str, time_text: str) -> datetime:
    """``"20240105"``, ``"21:05:00"`` -> aware Asia/Shanghai datetime."""
    return datetime.strptime(f"{day} {time_text or '00:00:00'}", "%Y%m%d %H:%M:%S").replace(tzinfo=SHANGHAI)

"""The trader SPI: CTP's callbacks, on CTP's thread, copied into plain values and posted to the
session thread's inbox (``TraderSession.post``); nothing else happens here."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway_daemon.ctp.codes import ORDER_FIELDS, TRADE_FIELDS
from gateway_daemon.ctp.structs import fields_of, rsp_error
from gateway_daemon.logs import log

INSTRUMENT_FIELDS = ("InstrumentID", "ExchangeID", "InstrumentName", "ProductID", "ProductClass", "VolumeMultiple",
                     "PriceTick", "OpenDate", "ExpireDate", "MaxMarketOrderVolume", "MaxLimitOrderVolume",
                     "IsTrading")
POSITION_FIELDS = ("InstrumentID", "ExchangeID", "PosiDirection", "Position", "TodayPosition", "YdPosition",
                   "PositionCost", "PreSettlementPrice", "OpenCost")
ACCOUNT_FIELDS = ("Balance", "Available", "CurrMargin", "FrozenMargin", "Commission", "CloseProfit",
                  "PositionProfit", "TradingDay")
DEPTH_LIMIT_FIELDS = ("InstrumentID", "UpperLimitPrice", "LowerLimitPrice")
INPUT_ORDER_FIELDS = ("InstrumentID", "ExchangeID", "OrderRef", "Direction", "CombOffsetFlag", "LimitPrice",
                      "VolumeTotalOriginal")
ACTION_FIELDS = ("InstrumentID", "ExchangeID", "OrderRef", "FrontID", "SessionID", "OrderSysID")


def make_trader_spi(post: Callable[..., None]) -> Any:
    """A ``CThostFtdcTraderSpi`` that posts each callback's values to the session's inbox."""
    from openctp_ctp import tdapi


    def rsp(name: str, fields: tuple[str, ...]) -> Callable[..., None]:
        def handler(self: Any, data: Any, info: Any, request_id: int, last: bool) -> None:
            post("rsp", name, fields_of(data, fields) if data is not None else None, last, rsp_error(info))
        return handler

    class TraderSpi(tdapi.CThostFtdcTraderSpi):  # type: ignore[misc]
        """Thin: copy the structure on CTP's thread, hand it to the session thread."""

        def OnFrontConnected(self) -> None:
            post("connected")

        def OnFrontDisconnected(self, nReason: int) -> None:
            post("disconnected", nReason)

        def OnHeartBeatWarning(self, nTimeLapse: int) -> None:
            post("heartbeat", nTimeLapse)

        def OnRspAuthenticate(self, pRspAuthenticateField: Any, pRspInfo: Any, nRequestID: int,
                              bIsLast: bool) -> None:
            post("authenticated", rsp_error(pRspInfo))

        def OnRspUserLogin(self, pRspUserLogin: Any, pRspInfo: Any, nRequestID: int, bIsLast: bool) -> None:
            info = fields_of(pRspUserLogin, ("FrontID", "SessionID", "MaxOrderRef", "TradingDay")) \
                if pRspUserLogin is not None else {}
            post("logged_in", info, rsp_error(pRspInfo))

        def OnRspSettlementInfoConfirm(self, pSettlementInfoConfirm: Any, pRspInfo: Any, nRequestID: int,
                                       bIsLast: bool) -> None:
            post("confirmed", rsp_error(pRspInfo))

        OnRspQryInstrument = rsp("instruments", INSTRUMENT_FIELDS)
        OnRspQryDepthMarketData = rsp("limits", DEPTH_LIMIT_FIELDS)
        OnRspQryTradingAccount = rsp("account", ACCOUNT_FIELDS)
        OnRspQryInvestorPosition = rsp("positions", POSITION_FIELDS)
        OnRspQryOrder = rsp("orders", ORDER_FIELDS)
        OnRspQryTrade = rsp("trades", TRADE_FIELDS)

        def OnRtnOrder(self, pOrder: Any) -> None:
            post("order", fields_of(pOrder, ORDER_FIELDS))

        def OnRtnTrade(self, pTrade: Any) -> None:
            post("trade", fields_of(pTrade, TRADE_FIELDS))

        def OnRspOrderInsert(self, pInputOrder: Any, pRspInfo: Any, nRequestID: int, bIsLast: bool) -> None:
            error = rsp_error(pRspInfo)
            if error is not None and pInputOrder is not None:
                post("insert_error", fields_of(pInputOrder, INPUT_ORDER_FIELDS), error)

        def OnErrRtnOrderInsert(self, pInputOrder: Any, pRspInfo: Any) -> None:
            error = rsp_error(pRspInfo)
            if error is not None and pInputOrder is not None:
                post("insert_error", fields_of(pInputOrder, INPUT_ORDER_FIELDS), error)

        def OnRspOrderAction(self, pInputOrderAction: Any, pRspInfo: Any, nRequestID: int, bIsLast: bool) -> None:
            error = rsp_error(pRspInfo)
            if error is not None and pInputOrderAction is not None:
                post("action_error", fields_of(pInputOrderAction, ACTION_FIELDS), error)

        def OnErrRtnOrderAction(self, pOrderAction: Any, pRspInfo: Any) -> None:
            error = rsp_error(pRspInfo)
            if error is not None and pOrderAction is not None:
                post("action_error", fields_of(pOrderAction, ACTION_FIELDS), error)

        def OnRspError(self, pRspInfo: Any, nRequestID: int, bIsLast: bool) -> None:
            error = rsp_error(pRspInfo)
            log("td_error", "warning", error_id=error and error[0], message=error and error[1])

    return TraderSpi()

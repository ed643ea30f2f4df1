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


    def refused(kind: str, data: Any, fields: tuple[str, ...], info: Any) -> None:
        error = rsp_error(info)
        if error is not None and data is not None:
            post(kind, fields_of(data, fields), error)

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

        # a refusal comes as the response to the request, as a return from the exchange, or both
        def OnRspOrderInsert(self, pInputOrder: Any, pRspInfo: Any, nRequestID: int, bIsLast: bool) -> None:
            refused("insert_error", pInputOrder, INPUT_ORDER_FIELDS, pRspInfo)

        def OnErrRtnOrderInsert(self, pInputOrder: Any, pRspInfo: Any) -> None:
            refused("insert_error", pInputOrder, INPUT_ORDER_FIELDS, pRspInfo)

        def OnRspOrderAction(self, pInputOrderAction: Any, pRspInfo: Any, nRequestID: int, bIsLast: bool) -> None:
            refused("action_error", pInputOrderAction, ACTION_FIELDS, pRspInfo)

        def OnErrRtnOrderAction(self, pOrderAction: Any, pRspInfo: Any) -> None:
            refused("action_error", pOrderAction, ACTION_FIELDS, pRspInfo)

        def OnRspError(self, pRspInfo: Any, nRequestID: int, bIsLast: bool) -> None:
            error = rsp_error(pRspInfo)
            log("td_error", "warning", error_id=error and error[0], message=error and error[1])

    return TraderSpi()

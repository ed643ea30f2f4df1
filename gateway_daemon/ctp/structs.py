"""Copy CTP structures into plain dicts on the SPI thread: a structure is only valid during its callback."""
from __future__ import annotations

import functools
import operator
from typing import Any

DEPTH_FIELDS = ("TradingDay", "ActionDay", "UpdateTime", "UpdateMillisec", "InstrumentID", "ExchangeID",
                "LastPrice", "Volume", "Turnover", "OpenInterest", "BidPrice1", "BidVolume1", "AskPrice1",
                "AskVolume1", "UpperLimitPrice", "LowerLimitPrice")


@functools.cache
def _getter(names: tuple[str, ...]) -> operator.attrgetter:
    return operator.attrgetter(*names)


def fields_of(struct: Any, names: tuple[str, ...]) -> dict[str, Any]:
    values = _getter(names)(struct)
    return dict(zip(names, values if len(names) > 1 else (values,)))


def rsp_error(info: Any) -> tuple[int, str] | None:
    """``(ErrorID, ErrorMsg)`` of a CThostFtdcRspInfoField when it reports an error, else None.

    openctp-ctp turns the broker's GB18030 bytes into ``str`` (through the zh_CN.GB18030 locale), so
    ErrorMsg is already readable Chinese here.
    """
    if info is None or not info.ErrorID:
        return None
    return int(info.ErrorID), str(info.ErrorMsg)

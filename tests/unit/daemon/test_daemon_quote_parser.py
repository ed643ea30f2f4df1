"""The daemon's fast quote parser gives exactly ``parse_quote``'s Quote (the reference), or declines."""
from __future__ import annotations

import pytest
from openctp_ctp import mdapi

from gateway_daemon.ctp.structs import DEPTH_FIELDS, fields_of
from gateway_daemon.quote_parser import QuoteParser
from gateway_daemon.replay import load_rows
from shared.domain.ctp_quotes import parse_quote
from shared.errors import InvalidInput

DATA = "data/ticks_ctp_5_contracts_20171113.csv.gz"
DBL_MAX = 1.7976931348623157e308


def _struct_fields(row: dict) -> dict:
    struct = mdapi.CThostFtdcDepthMarketDataField()
    for key, value in row.items():
        if key in DEPTH_FIELDS:
            setattr(struct, key, value)
    return fields_of(struct, DEPTH_FIELDS)


def test_every_recorded_tick_parses_as_parse_quote_does() -> None:
    rows = load_rows(DATA)
    parser = QuoteParser()
    declined = 0
    for row in rows:  # 181,672 ticks of 5 contracts on SHFE, DCE, CZCE, CFFEX, night and day
        quote = parser.parse(row)
        if quote is None:
            declined += 1
            continue
        assert quote == parse_quote(row), row
    assert declined == 0


def test_through_the_real_ctp_structure() -> None:
    rows = load_rows(DATA)[::97]  # every 97th: all contracts and sessions, quickly
    parser = QuoteParser()
    for row in rows:
        fields = _struct_fields(row)
        assert fields["ExchangeID"] == row["ExchangeID"]
        assert parser.parse(fields) == parse_quote(fields)


BASE = {"TradingDay": "20171113", "ActionDay": "20171113", "UpdateTime": "09:00:01", "UpdateMillisec": 500,
        "InstrumentID": "cu1801", "ExchangeID": "SHFE", "LastPrice": 54000.0, "Volume": 10, "Turnover": 2.7e6,
        "OpenInterest": 100.0, "BidPrice1": 53990.0, "BidVolume1": 3, "AskPrice1": 54010.0, "AskVolume1": 4}


@pytest.mark.parametrize("change", [
    {"BidPrice1": DBL_MAX, "AskPrice1": 0.0, "LastPrice": float("nan")},  # absent prices: None
    {"ExchangeID": ""},  # the exchange from the product
    {"InstrumentID": "m1801", "ExchangeID": "DCE", "ActionDay": "20171113", "UpdateTime": "21:30:00"},  # DCE night
    {"InstrumentID": "MA801", "ExchangeID": "CZCE", "TradingDay": "20171110", "ActionDay": "20171110",
     "UpdateTime": "23:00:00", "UpdateMillisec": 0},  # CZCE evening: trading day is the next one
    {"UpdateTime": "01:00:00", "ActionDay": "20171114"},  # after midnight on SHFE
    {"UpdateTime": "09:00:60"},  # a leap second counts as :59
    {"Turnover": None, "BidVolume1": None},
])
def test_edge_values_equal_the_reference(change: dict) -> None:
    fields = {**BASE, **change}
    parser = QuoteParser()
    first = parser.parse(fields)  # a cache miss
    again = parser.parse({**fields, "Volume": 11})  # a cache hit
    assert first == parse_quote(fields)
    assert again == parse_quote({**fields, "Volume": 11})


@pytest.mark.parametrize("change", [
    {"LastPrice": "54000"},  # text: parse_quote's business
    {"UpdateTime": "25:00:00"},
    {"TradingDay": "2017111"},
    {"ExchangeID": "LME"},
    {"UpdateMillisec": 1000},
    {"Volume": DBL_MAX},
    {"BidPrice2": 53980.0},  # deeper levels: parse_quote reads them
])
def test_declines_what_it_does_not_take(change: dict) -> None:
    fields = {**BASE, **change}
    parser = QuoteParser()
    parser.parse(BASE)  # warm caches must not let a bad value through
    assert parser.parse(fields) is None
    if "BidPrice2" not in change and "LastPrice" not in change:
        with pytest.raises(InvalidInput):
            parse_quote(fields)

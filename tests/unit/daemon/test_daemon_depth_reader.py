"""``DepthReader`` reads a real openctp-ctp DepthMarketData from its bytes exactly as SWIG's attributes do;
``DepthQuotes`` parses it as ``parse_quote`` does."""
from __future__ import annotations

import ctypes
import random

import pytest
from openctp_ctp import mdapi

from gateway_daemon.ctp.depth import DepthQuotes, DepthReader, depth_reader, probe_layout
from gateway_daemon.ctp.structs import DEPTH_FIELDS, fields_of
from gateway_daemon.replay import load_rows
from shared.domain.ctp_quotes import Quote, parse_quote

DATA = "data/ticks_ctp_5_contracts_20171113.csv.gz"
DBL_MAX = 1.7976931348623157e308


def _struct(values: dict) -> mdapi.CThostFtdcDepthMarketDataField:
    struct = mdapi.CThostFtdcDepthMarketDataField()
    for key, value in values.items():
        setattr(struct, key, value)
    return struct


def test_recorded_ticks_read_as_swig_reads_them() -> None:
    reader = DepthReader(mdapi.CThostFtdcDepthMarketDataField)
    rows = load_rows(DATA)[::41]  # all five contracts, night and day
    assert len(rows) > 4000
    for row in rows:
        struct = _struct({k: v for k, v in row.items() if k in DEPTH_FIELDS and v is not None})
        assert reader(struct) == fields_of(struct, DEPTH_FIELDS)


def test_edge_values_and_one_reused_structure() -> None:
    # CTP hands the SPI one structure again and again: nothing of the last tick may leak into the next
    reader = DepthReader(mdapi.CThostFtdcDepthMarketDataField)
    struct = mdapi.CThostFtdcDepthMarketDataField()
    rng = random.Random(5)
    longest = "Z" * 80  # InstrumentID is char[81]
    for n in range(300):
        values = {"InstrumentID": rng.choice(["cu1801", "", "IF1712", longest, "SR801"]),
                  "ExchangeID": rng.choice(["SHFE", "", "CZCE"]), "TradingDay": "20171113",
                  "UpdateTime": f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(61):02d}",
                  "UpdateMillisec": rng.choice([0, 500, 999, -1]), "LastPrice": rng.choice([DBL_MAX, 0.0, -1.5, 54010.0]),
                  "Volume": rng.choice([0, 2**31 - 1, -(2**31)]), "BidVolume1": n, "AskPrice1": float("inf")}
        for key, value in values.items():
            setattr(struct, key, value)
        assert reader(struct) == fields_of(struct, DEPTH_FIELDS)


def test_the_layout_is_probed_from_the_installed_structure() -> None:
    layout = probe_layout(mdapi.CThostFtdcDepthMarketDataField, ("InstrumentID", "LastPrice", "Volume"))
    assert layout["InstrumentID"][1:] == ("s", 81)
    assert layout["LastPrice"][1:] == ("d", 8) and layout["LastPrice"][0] % 8 == 0
    assert layout["Volume"][1:] == ("i", 4)


def test_a_structure_that_cannot_be_probed_falls_back_to_swig() -> None:
    with pytest.raises(AttributeError):
        DepthReader(mdapi.CThostFtdcRspInfoField)  # no such fields
    read = depth_reader(mdapi.CThostFtdcRspInfoField)
    assert not isinstance(read, DepthReader)
    struct = _struct({"InstrumentID": "cu1801", "LastPrice": 54000.0})
    assert read(struct) == fields_of(struct, DEPTH_FIELDS)


@pytest.mark.parametrize("raw", [b"cu\xff\xfe1801", b"cu1801\x81", "铜".encode("gb18030"), b"cu1801\0junk"])
def test_bytes_swig_reads_in_its_own_way(raw: bytes) -> None:
    # invalid GB18030 (SWIG: an empty text), a cut multibyte character (SWIG drops it), valid Chinese,
    # bytes after the NUL: the reader answers as SWIG does
    reader = DepthReader(mdapi.CThostFtdcDepthMarketDataField)
    struct = _struct({"InstrumentID": "x", "LastPrice": 54000.0})
    offset = probe_layout(mdapi.CThostFtdcDepthMarketDataField, ("InstrumentID",))["InstrumentID"][0]
    ctypes.memmove(int(struct.this) + offset, raw + b"\0", len(raw) + 1)
    assert reader(struct) == fields_of(struct, DEPTH_FIELDS)


def test_depth_quotes_parse_as_parse_quote_does() -> None:
    quotes = DepthQuotes(mdapi.CThostFtdcDepthMarketDataField, {})
    rows = load_rows(DATA)[::7]  # all five contracts, night and day; each structure read twice (the second
    assert len(rows) > 20_000    # time from the parser's caches)
    struct = mdapi.CThostFtdcDepthMarketDataField()
    for row in rows:
        for key in DEPTH_FIELDS:
            setattr(struct, key, row.get(key) or type(getattr(struct, key))())
        expected = parse_quote(fields_of(struct, DEPTH_FIELDS))
        assert quotes(struct) == expected
        assert quotes(struct) == expected


def test_depth_quotes_fill_an_empty_exchange_and_hand_over_what_they_do_not_take() -> None:
    exchanges: dict[str, str] = {}
    quotes = DepthQuotes(mdapi.CThostFtdcDepthMarketDataField, exchanges)
    struct = _struct({"InstrumentID": "IF1712", "ExchangeID": "", "TradingDay": "20171113", "ActionDay": "20171113",
                      "UpdateTime": "09:30:00", "UpdateMillisec": 500, "LastPrice": 4000.0, "Volume": 3})
    exchanges["IF1712"] = "SHFE"  # a map that says otherwise than the product (CFFEX) wins, as ExchangeID would
    assert [quotes(struct).exchange for _ in range(2)] == ["SHFE", "SHFE"]
    struct.ExchangeID = "NYMEX"  # parse_quote refuses it: the fields go on, for the cleaner to count
    fields = quotes(struct)
    assert not isinstance(fields, Quote) and fields["ExchangeID"] == "NYMEX" and fields["Volume"] == 3

"""TickCleaner on hand-made CTP records and on the bundled real ticks."""
from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest
from market_samples import SH, real_ticks

from shared.domain.ticks import Tick, TickCleaner
from shared.errors import InvalidInput

DBL_MAX = 1.7976931348623157e308


def ctp(**overrides: Any) -> dict[str, Any]:
    """A DCE i1801 record as CTP sends it (values from the real 09:00:00 tick of 2017-11-13)."""
    fields: dict[str, Any] = {
        "TradingDay": "20171113", "InstrumentID": "i1801", "ExchangeID": "DCE", "ActionDay": "20171113",
        "UpdateTime": "09:00:00", "UpdateMillisec": 611, "LastPrice": 461.0, "Volume": 1098120,
        "OpenInterest": 1420530.0, "BidPrice1": 461.0, "BidVolume1": 3026, "AskPrice1": 461.5, "AskVolume1": 1500,
    }
    fields.update(overrides)
    return fields


def test_millisecond_field_is_an_integer_count_of_ms() -> None:
    cleaner = TickCleaner()
    ticks = [cleaner.clean(ctp(UpdateMillisec=ms, Volume=1098120 + n)) for n, ms in enumerate((5, 85, 609))]
    expected = [datetime(2017, 11, 13, 9, 0, 0, us, tzinfo=SH) for us in (5000, 85000, 609000)]
    assert [t.ts for t in ticks if t] == expected
    assert [t.ts.isoformat(timespec="milliseconds")[11:23] for t in ticks if t] == [
        "09:00:00.005", "09:00:00.085", "09:00:00.609"]
    assert [t.seq for t in ticks if t] == [0, 0, 0]


def test_dbl_max_and_zero_prices_are_absent() -> None:
    tick = TickCleaner().clean(ctp(LastPrice=DBL_MAX, BidPrice1=0.0, AskPrice1=str(DBL_MAX)))
    assert tick is not None
    assert (tick.last_price, tick.bid_price1, tick.ask_price1) == (None, None, None)
    assert tick.bid_volume1 == 3026


def test_exact_duplicate_is_dropped_with_reason() -> None:
    cleaner = TickCleaner()
    first = cleaner.clean(ctp())
    again = cleaner.clean(ctp())
    assert first is not None and again is None
    assert cleaner.dropped == Counter({"duplicate": 1})


def test_out_of_order_tick_is_dropped_with_reason() -> None:
    cleaner = TickCleaner()
    assert cleaner.clean(ctp(UpdateTime="09:00:01", UpdateMillisec=109, Volume=1099086)) is not None
    assert cleaner.clean(ctp()) is None
    assert cleaner.dropped == Counter({"out_of_order": 1})


def test_same_timestamp_gets_increasing_seq() -> None:
    # the real MA801 (CZCE, whole seconds) ticks at 21:00:00 of Friday 2017-11-10
    cleaner = TickCleaner()
    base = {"TradingDay": "20171113", "InstrumentID": "MA801", "ExchangeID": "CZCE", "ActionDay": "20171110",
            "UpdateTime": "21:00:00", "UpdateMillisec": 0, "OpenInterest": 663756.0}
    a = cleaner.clean(base | {"LastPrice": 2834.0, "Volume": 822})
    b = cleaner.clean(base | {"LastPrice": 2833.0, "Volume": 1632})
    assert a is not None and b is not None
    nine_pm = datetime(2017, 11, 10, 21, tzinfo=SH)
    assert (a.ts, a.seq, b.ts, b.seq) == (nine_pm, 0, nine_pm, 1)
    assert (a.volume, b.volume) == (822, 1632 - 822)


def test_cumulative_volume_and_turnover_become_deltas_reset_each_trading_day() -> None:
    cleaner = TickCleaner()
    # the first tick seen is at 09:00 of a day that opened with its night session: only a baseline
    day1 = cleaner.clean(ctp(Volume=100, Turnover=46100.0))
    later = cleaner.clean(ctp(UpdateTime="14:59:59", Volume=130, Turnover=59960.0))
    next_day = cleaner.clean(ctp(TradingDay="20171114", ActionDay="20171113", UpdateTime="21:00:00",
                                 UpdateMillisec=0, Volume=7, Turnover=3227.0))
    assert [(t.volume, t.turnover, t.cum_volume) for t in (day1, later, next_day) if t] == [
        (0, 0.0, 100), (30, 13860.0, 130), (7, 3227.0, 7)]
    assert next_day is not None and next_day.ts == datetime(2017, 11, 13, 21, tzinfo=SH)


def test_joined_mid_day_first_tick_has_no_delta() -> None:
    cleaner = TickCleaner(joined_mid_day=True)
    first = cleaner.clean(ctp(Volume=1098120))
    second = cleaner.clean(ctp(UpdateMillisec=999, Volume=1098130))
    assert first is not None and second is not None
    assert (first.volume, second.volume) == (0, 10)


@pytest.mark.parametrize(("fields", "ts", "trading_day"), [
    # DCE sends the trading day as ActionDay at night: the Friday evening is derived from TradingDay
    (ctp(ActionDay="20171113", UpdateTime="21:12:36", UpdateMillisec=5),
     datetime(2017, 11, 10, 21, 12, 36, 5000, tzinfo=SH), date(2017, 11, 13)),
    (ctp(ActionDay="", UpdateTime="21:12:36", UpdateMillisec=5),
     datetime(2017, 11, 10, 21, 12, 36, 5000, tzinfo=SH), date(2017, 11, 13)),
    # SHFE after midnight with ActionDay missing: Saturday, trading day Monday
    (ctp(InstrumentID="cu1801", ExchangeID="SHFE", ActionDay="", UpdateTime="00:59:59", UpdateMillisec=0),
     datetime(2017, 11, 11, 0, 59, 59, tzinfo=SH), date(2017, 11, 13)),
    (ctp(InstrumentID="cu1801", ExchangeID="SHFE", ActionDay="20171111", UpdateTime="01:00:00", UpdateMillisec=500),
     datetime(2017, 11, 11, 1, 0, 0, 500000, tzinfo=SH), date(2017, 11, 13)),
    # CZCE sends the calendar date as TradingDay at night: the trading day is the next weekday
    (ctp(InstrumentID="MA801", ExchangeID="CZCE", TradingDay="20171110", ActionDay="20171110", UpdateTime="23:29:59",
         UpdateMillisec=0), datetime(2017, 11, 10, 23, 29, 59, tzinfo=SH), date(2017, 11, 13)),
    (ctp(InstrumentID="MA801", ExchangeID="CZCE", TradingDay="20171113", ActionDay="20171110", UpdateTime="21:00:00",
         UpdateMillisec=0), datetime(2017, 11, 10, 21, tzinfo=SH), date(2017, 11, 13)),
    # a Wednesday night: the next trading day is Thursday
    (ctp(TradingDay="20171116", ActionDay="20171116", UpdateTime="22:00:00", UpdateMillisec=0),
     datetime(2017, 11, 15, 22, tzinfo=SH), date(2017, 11, 16)),
    # no ExchangeID: the product table says i is DCE
    (ctp(ExchangeID="", ActionDay="20171113", UpdateTime="21:00:00", UpdateMillisec=486),
     datetime(2017, 11, 10, 21, 0, 0, 486000, tzinfo=SH), date(2017, 11, 13)),
])
def test_night_dates(fields: dict[str, Any], ts: datetime, trading_day: date) -> None:
    tick = TickCleaner().clean(fields)
    assert tick is not None
    assert (tick.ts, tick.trading_day) == (ts, trading_day)


@pytest.mark.parametrize(("field", "value"), [("LastPrice", "46x"), ("Volume", ""), ("UpdateTime", "9h"),
                                              ("TradingDay", "2017111"), ("InstrumentID", "")])
def test_malformed_record_is_counted_and_parse_names_the_field(field: str, value: str) -> None:
    cleaner = TickCleaner()
    assert cleaner.clean(ctp(**{field: value})) is None
    assert cleaner.dropped == Counter({"malformed": 1})
    with pytest.raises(InvalidInput, match=field):
        cleaner.parse(ctp(**{field: value}))


def test_to_json() -> None:
    tick = TickCleaner().clean(ctp(UpdateMillisec=5))
    assert tick is not None
    assert tick.to_json() == {
        "symbol": "i1801", "ts": "2017-11-13T09:00:00.005+08:00", "seq": 0, "trading_day": "2017-11-13",
        "last_price": 461.0, "volume": 0, "cum_volume": 1098120, "turnover": None,
        "open_interest": 1420530.0, "bid_price1": 461.0, "bid_volume1": 3026, "ask_price1": 461.5,
        "ask_volume1": 1500,
    }


def test_real_sample_cleaning() -> None:
    ticks, dropped = real_ticks()
    # data/README.md: 181,672 rows with 2 + 2 + 1 + 2 exact duplicates (cu, rb, i, MA); post-close
    # snapshots outside the sessions: cu and rb at 15:22:06, i at 15:00:25, IF at 15:24:25 and 15:27:51
    assert dropped == Counter({"duplicate": 7, "outside_session": 5})
    assert len(ticks) == 181_672 - 12
    by_symbol: dict[str, list[Tick]] = {}
    for tick in ticks:
        by_symbol.setdefault(tick.symbol, []).append(tick)
    for symbol, series in by_symbol.items():
        assert sum(t.volume for t in series) == series[-1].cum_volume, symbol
        assert all((a.ts, a.seq) < (b.ts, b.seq) for a, b in zip(series, series[1:])), symbol
        assert {t.trading_day for t in series} == {date(2017, 11, 13)}
    # the first rb1805 ticks: the 20:59 auction, then 21:00:00.500 and 21:00:01.000
    assert [(t.ts.isoformat(timespec="milliseconds"), t.volume) for t in by_symbol["rb1805"][:3]] == [
        ("2017-11-10T20:59:00.500+08:00", 4668), ("2017-11-10T21:00:00.500+08:00", 1500),
        ("2017-11-10T21:00:01.000+08:00", 11572)]
    assert by_symbol["cu1801"][-1].cum_volume == 162226
    assert max(t.seq for t in by_symbol["MA801"]) >= 1


def test_every_drop_is_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    cleaner = TickCleaner()
    with caplog.at_level(logging.DEBUG, logger="quantcloud.market.drops"):
        cleaner.clean(ctp())
        cleaner.clean(ctp())                                             # duplicate
        cleaner.clean(ctp())                                             # the same again
        cleaner.clean(ctp(UpdateTime="08:30:00"))                        # outside the sessions
        cleaner.clean(ctp(UpdateMillisec=700, Volume=1098000))           # volume went back
        cleaner.clean(ctp(Volume="12x"))                                 # malformed
    assert cleaner.dropped == Counter({"duplicate": 2, "outside_session": 1, "volume_went_back": 1,
                                       "malformed": 1})
    logged = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert logged == [
        ("INFO", "tick cleaning dropped i1801 2017-11-13T09:00:00.611+08:00: duplicate "
                 "(further duplicate drops of i1801 are counted and logged at DEBUG)"),
        ("DEBUG", "tick cleaning dropped i1801 2017-11-13T09:00:00.611+08:00: duplicate"),
        ("INFO", "tick cleaning dropped i1801 2017-11-13T08:30:00.611+08:00: outside_session "
                 "(further outside_session drops of i1801 are counted and logged at DEBUG)"),
        ("INFO", "tick cleaning dropped i1801 2017-11-13T09:00:00.700+08:00 Volume 1098000: volume_went_back "
                 "(further volume_went_back drops of i1801 are counted and logged at DEBUG)"),
        ("INFO", "tick cleaning dropped i1801 Volume is not a number: '12x': malformed "
                 "(further malformed drops of i1801 are counted and logged at DEBUG)"),
    ]


def record(symbol: str, exchange: str, trading: str, action: str, clock: str, ms: int = 0) -> dict[str, Any]:
    return {"TradingDay": trading, "InstrumentID": symbol, "ExchangeID": exchange, "ActionDay": action,
            "UpdateTime": clock, "UpdateMillisec": ms, "LastPrice": 100.0, "Volume": 10, "OpenInterest": 5.0}


@pytest.mark.parametrize(("fields", "ts", "trading_day", "volume"), [
    # volume: a tick in its day's first bar is its own delta; the first seen later is only a baseline (0)
    # INE crude: night to 02:30; Friday night and Saturday morning belong to Monday
    (record("sc2403", "INE", "20240108", "20240105", "21:05:00", 500),
     datetime(2024, 1, 5, 21, 5, 0, 500000, tzinfo=SH), date(2024, 1, 8), 0),
    (record("sc2403", "INE", "20240108", "20240106", "02:29:59", 500),
     datetime(2024, 1, 6, 2, 29, 59, 500000, tzinfo=SH), date(2024, 1, 8), 0),
    # GFEX and CFFEX: day sessions only
    (record("si2405", "GFEX", "20240105", "20240105", "09:00:00", 500),
     datetime(2024, 1, 5, 9, 0, 0, 500000, tzinfo=SH), date(2024, 1, 5), 10),
    (record("IF2401", "CFFEX", "20240105", "20240105", "09:29:00", 200),  # the call auction joins 09:30
     datetime(2024, 1, 5, 9, 29, 0, 200000, tzinfo=SH), date(2024, 1, 5), 10),
    (record("T2403", "CFFEX", "20240105", "20240105", "15:14:59", 500),   # bonds trade to 15:15
     datetime(2024, 1, 5, 15, 14, 59, 500000, tzinfo=SH), date(2024, 1, 5), 0),
    # the first day after the Spring Festival has no night session: 08:59 is its call auction
    (record("cu2403", "SHFE", "20240219", "20240219", "08:59:00", 500),
     datetime(2024, 2, 19, 8, 59, 0, 500000, tzinfo=SH), date(2024, 2, 19), 10),
    (record("m2405", "DCE", "20240219", "20240219", "08:59:00", 0),
     datetime(2024, 2, 19, 8, 59, tzinfo=SH), date(2024, 2, 19), 10),
])
def test_six_exchanges_sessions_and_trading_days(fields: dict[str, Any], ts: datetime, trading_day: date,
                                                volume: int) -> None:
    cleaner = TickCleaner()
    tick = cleaner.clean(fields)
    assert tick is not None, cleaner.dropped
    assert (tick.ts, tick.trading_day, tick.volume) == (ts, trading_day, volume)


@pytest.mark.parametrize("fields", [
    record("si2405", "GFEX", "20240108", "20240105", "21:05:00"),      # GFEX has no night session
    record("IF2401", "CFFEX", "20240105", "20240105", "09:24:59"),     # before the call auction
    record("ec2406", "INE", "20240108", "20240105", "21:05:00"),       # INE's container freight: no night
    # the evening before the Spring Festival holiday (2024-02-08): no night session on any exchange
    record("cu2403", "SHFE", "20240219", "20240208", "21:00:00", 500),
    record("m2405", "DCE", "20240219", "20240219", "21:00:00", 500),   # DCE stamps the trading day as ActionDay
    record("SA405", "CZCE", "20240208", "20240208", "21:00:00"),       # CZCE stamps the calendar day
    record("sc2403", "INE", "20240219", "20240209", "01:00:00"),
    record("cu2403", "SHFE", "20240219", "20240219", "08:54:59"),      # before the 08:55-08:59 auction of the day after
])
def test_ticks_outside_every_exchanges_sessions_are_dropped(fields: dict[str, Any]) -> None:
    cleaner = TickCleaner()
    assert cleaner.clean(fields) is None
    assert cleaner.dropped == Counter({"outside_session": 1})

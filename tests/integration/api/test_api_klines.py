"""GET /market/klines over real copper bars: values worked out by hand from the 1-minute rows.

Loaded: trading day 2021-01-04 (day session only: the sample starts that morning, 225 bars) and
2021-01-05 (night session from 2021-01-04 21:00 to 01:00, then the day session, 465 bars).
"""
from __future__ import annotations

from typing import get_args

import psycopg
import pytest
from fastapi.testclient import TestClient

from apigw_events import json_body
from copper_bars import load_copper
from functions.api.routers.market import Period
from shared.domain.bars import PERIODS

pytestmark = pytest.mark.usefixtures("signed_in")  # K-lines need a bearer token


@pytest.fixture
def copper(db: psycopg.Connection) -> int:
    return load_copper(db, {"20210104", "20210105"})


def _klines(client: TestClient, **params) -> dict:
    response = client.get("/market/klines", params={"symbol": "cu_main", **params})
    assert response.status_code == 200, response.text
    return response.json()


def _ohlcv(bar: dict) -> tuple:
    return bar["ts"], bar["trading_day"], bar["open"], bar["high"], bar["low"], bar["close"], bar["volume"]


def test_periods_match_the_market_core() -> None:
    assert set(get_args(Period)) == set(PERIODS)


def test_five_minute_bars_from_the_one_minute_rows(client: TestClient, copper: int) -> None:
    assert copper == 225 + 465
    body = _klines(client, period="5m", limit=5000)
    assert body["symbol"] == "cu_main" and body["period"] == "5m"
    bars = body["bars"]
    assert len(bars) == 45 + 93
    # 09:00..09:04: open of 09:00, max high 57960 (09:03), min low 57680 (09:00), close of 09:04,
    # volume 3297 + 1728 + 1713 + 1552 + 1038
    assert _ohlcv(bars[0]) == ("2021-01-04T09:00:00+08:00", "2021-01-04", 57750.0, 57960.0, 57680.0, 57920.0, 9328)
    # first night bar belongs to the next trading day: 1898 + 1096 + 1561 + 815 + 454
    assert _ohlcv(bars[45]) == ("2021-01-04T21:00:00+08:00", "2021-01-05", 58220.0, 58450.0, 58200.0, 58440.0, 5824)
    # last bar 14:55..14:59: 139 + 65 + 145 + 257 + 384
    assert _ohlcv(bars[-1]) == ("2021-01-05T14:55:00+08:00", "2021-01-05", 58090.0, 58140.0, 58080.0, 58110.0, 990)
    assert [b["ts"] for b in bars] == sorted(b["ts"] for b in bars)  # oldest first
    assert all(b["open_interest"] is None for b in bars)  # the sample has no open interest for cu_main


def test_daily_bar_includes_the_previous_evenings_night_session(client: TestClient, copper: int) -> None:
    bars = _klines(client, period="1d")["bars"]
    # sums and extremes over every row of each trading day in the sample file (225 and 465 rows)
    assert [_ohlcv(b) for b in bars] == [
        ("2021-01-04T09:00:00+08:00", "2021-01-04", 57750.0, 58300.0, 57680.0, 58160.0, 82919),
        ("2021-01-04T21:00:00+08:00", "2021-01-05", 58220.0, 58550.0, 57710.0, 58110.0, 103527),
    ]


def test_limit_keeps_the_latest_bars_oldest_first(client: TestClient, copper: int) -> None:
    bars = _klines(client, period="5m", limit=2)["bars"]
    assert [b["ts"] for b in bars] == ["2021-01-05T14:50:00+08:00", "2021-01-05T14:55:00+08:00"]


def test_default_limit_is_500(client: TestClient, copper: int) -> None:
    bars = _klines(client)["bars"]
    assert len(bars) == 500 and bars[-1]["ts"] == "2021-01-05T14:59:00+08:00"


def test_date_start_means_the_whole_trading_day(client: TestClient, copper: int) -> None:
    bars = _klines(client, start="2021-01-05", end="2021-01-05", limit=5000)["bars"]
    assert len(bars) == 465
    assert bars[0]["ts"] == "2021-01-04T21:00:00+08:00" and bars[-1]["ts"] == "2021-01-05T14:59:00+08:00"


def test_naive_datetimes_are_shanghai_time(client: TestClient, copper: int) -> None:
    naive = _klines(client, start="2021-01-05T14:57:00", end="2021-01-05T14:58:00")["bars"]
    utc = _klines(client, start="2021-01-05T06:57:00Z", end="2021-01-05T06:58:00+00:00")["bars"]
    assert [b["ts"] for b in naive] == [b["ts"] for b in utc] == ["2021-01-05T14:57:00+08:00",
                                                                  "2021-01-05T14:58:00+08:00"]


def test_indicators_warm_up_before_the_cut(client: TestClient, copper: int) -> None:
    (bar,) = _klines(client, start="2021-01-05", limit=1, indicators="ma,macd,rsi")["bars"]
    # closes 14:55..14:59: 58110, 58100, 58130, 58110, 58110 -> mean 58112
    assert bar["ma5"] == pytest.approx(58112.0)
    for key in ("ma10", "ma20", "ma60", "macd", "macd_signal", "macd_hist", "rsi14"):
        assert isinstance(bar[key], float), key  # 465 bars fetched: every warm-up is behind the first bar


def test_warm_up_comes_from_the_bars_before_start(client: TestClient, copper: int) -> None:
    bars = _klines(client, start="2021-01-05T14:55:00", indicators="ma:5,2")["bars"]
    assert [b["ts"][11:16] for b in bars] == ["14:55", "14:56", "14:57", "14:58", "14:59"]
    # closes 14:51..14:59: 58090 58110 58100 58090 | 58110 58100 58130 58110 58110 (four before start)
    assert [b["ma5"] for b in bars] == pytest.approx([58100.0, 58102.0, 58106.0, 58108.0, 58112.0])
    assert [b["ma2"] for b in bars] == pytest.approx([58100.0, 58105.0, 58115.0, 58120.0, 58110.0])


def test_warm_up_values_are_null_only_where_the_stored_history_is_too_short(client: TestClient,
                                                                            copper: int) -> None:
    bars = _klines(client, start="2021-01-04", limit=5000, indicators="ma")["bars"]  # the first stored day
    assert [b["ma5"] is None for b in bars[:6]] == [True, True, True, True, False, False]
    # 09:00..09:04 closes 57740 57840 57830 57920 57920
    assert bars[4]["ma5"] == pytest.approx(57850.0)
    assert all(b["ma60"] is None for b in bars[:59]) and bars[59]["ma60"] is not None


def test_klines_through_the_gateway(invoke, bearer: str, copper: int) -> None:
    response = invoke("GET", "/market/klines", query={"symbol": "cu_main", "period": "1d"}, token=bearer)
    assert response["statusCode"] == 200
    assert [b["volume"] for b in json_body(response)["bars"]] == [82919, 103527]


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"symbol": "zz9999"}, 404, None),
    ({"symbol": "cu_main", "period": "2m"}, 400, "query.period"),
    ({"symbol": "cu_main", "start": "2021-01-05", "end": "2021-01-04"}, 400, "query.end"),
    ({"symbol": "cu_main", "start": "2021-01-05T10:00:00", "end": "2021-01-05T09:59:00"}, 400, "query.end"),
    ({"symbol": "cu_main", "limit": 0}, 400, "query.limit"),
    ({"symbol": "cu_main", "limit": 5001}, 400, "query.limit"),
    ({"symbol": "cu_main", "limit": "many"}, 400, "query.limit"),
    ({"symbol": "cu_main", "start": "yesterday"}, 400, "query.start"),
    ({"symbol": "cu_main", "indicators": "ma,bol"}, 400, None),
    ({}, 400, "query.symbol"),
    ({"symbol": "cu\x00main"}, 400, "query.symbol"),
    ({"symbol": "cu main"}, 400, "query.symbol"),
    ({"symbol": "cu_main", "start": "0001-01-01"}, 400, "query.start"),
    ({"symbol": "cu_main", "end": "9999-12-31"}, 400, "query.end"),
    ({"symbol": "cu_main", "end": "2021-02-30"}, 400, "query.end"),
])
def test_bad_query_is_refused_and_changes_nothing(client: TestClient, copper: int, row_counts,
                                                  params: dict, status: int, field: str | None) -> None:
    before = row_counts()
    response = client.get("/market/klines", params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    if status == 404:
        assert error["code"] == "unknown_instrument"
    else:
        assert error["code"] == "invalid_input"
    if field:
        assert field in [d["field"] for d in error["details"]]
    if "indicators" in params:
        assert "bol" in error["message"]
    assert row_counts() == before


def test_without_start_recent_history_gives_the_full_history_values(client: TestClient, copper: int) -> None:
    # 690 bars stored; limit 5 + 400 warm-up bars of 1m reach back only to the night session
    recent = _klines(client, limit=5, indicators="ma,macd,rsi")["bars"]
    full = _klines(client, start="2021-01-04", limit=5, indicators="ma,macd,rsi")["bars"]
    assert [b["ts"] for b in recent] == [b["ts"] for b in full]
    for got, want in zip(recent, full, strict=True):
        for key in ("ma5", "ma60", "macd", "macd_signal", "macd_hist", "rsi14"):
            assert got[key] == pytest.approx(want[key], rel=0, abs=1e-9), key
    # five-minute bars need (2 + 400) * 5 minutes, more than stored: the same as the whole range
    assert _klines(client, period="5m", limit=2)["bars"] == _klines(client, period="5m", start="2021-01-04",
                                                                     limit=2)["bars"]

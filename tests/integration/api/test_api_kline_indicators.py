"""GET /market/klines indicators: the new names and parameters, errors, and issue 3 case 9.

Loaded: copper trading days 2021-01-04 (225 bars), 01-05 and 01-06 (465 each): 1,155 1-minute bars.
References: TA-Lib over the closes of the same rows read from the data file.
"""
from __future__ import annotations

import csv
import gzip

import numpy as np
import psycopg
import pytest
import talib
from fastapi.testclient import TestClient

from copper_bars import load_copper, sample_path

pytestmark = pytest.mark.usefixtures("signed_in")  # K-lines need a bearer token

DAYS = {"20210104", "20210105", "20210106"}


@pytest.fixture
def copper(db: psycopg.Connection) -> int:
    return load_copper(db, DAYS)


def file_bars() -> dict[str, np.ndarray]:
    with gzip.open(sample_path(), "rt", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["trading_day"] in DAYS]
    return {k: np.array([float(r[k]) for r in rows]) for k in ("high", "low", "close", "volume")}


def _klines(client: TestClient, **params) -> list[dict]:
    response = client.get("/market/klines", params={"symbol": "cu_main", **params})
    assert response.status_code == 200, response.text
    return response.json()["bars"]


def test_case_9_last_bar_without_start_equals_the_full_history(client: TestClient, copper: int) -> None:
    assert copper == 1155
    wanted = "rsi,macd,rsi.cn:6,ema.cn:5,macd.cn,kdj.cn,atr,adx"
    # no start: the API reads limit + the indicators' fixed warm-up (RSI(14): 14 + 467 bars), not all 1,155
    (recent,) = _klines(client, limit=1, indicators=wanted)
    (full,) = _klines(client, start="2021-01-04", limit=1, indicators=wanted)  # every stored bar
    assert recent["ts"] == full["ts"] == "2021-01-06T14:59:00+08:00"
    keys = [k for k in full if k.startswith(("rsi", "macd", "ema", "kdj", "atr", "adx"))]
    assert len(keys) == 14
    for key in keys:
        assert recent[key] == pytest.approx(full[key], rel=0, abs=1e-9), key
    b = file_bars()
    assert full["rsi14"] == pytest.approx(talib.RSI(b["close"], 14)[-1], abs=1e-9)
    assert full["macd_hist"] == pytest.approx(talib.MACD(b["close"])[2][-1], abs=1e-9)
    assert full["adx14"] == pytest.approx(talib.ADX(b["high"], b["low"], b["close"])[-1], abs=1e-9)


def test_names_with_parameters(client: TestClient, copper: int) -> None:
    bars = _klines(client, start="2021-01-04", limit=2,
                   indicators="ma:5,20,ema:12,boll:20,2,kdj,atr:14,macd:12,26,9,rsi:6,cci,wma:10")
    b = file_bars()
    h, lo, c = b["high"], b["low"], b["close"]
    k, d = talib.STOCH(h, lo, c, 9, 3, 0, 3, 0)
    expected = {"ma5": talib.SMA(c, 5), "ma20": talib.SMA(c, 20), "ema12": talib.EMA(c, 12),
                "boll_upper": talib.BBANDS(c, 20, 2, 2)[0], "boll_middle": talib.SMA(c, 20),
                "boll_lower": talib.BBANDS(c, 20, 2, 2)[2], "kdj_k": k, "kdj_d": d, "kdj_j": 3 * k - 2 * d,
                "atr14": talib.ATR(h, lo, c, 14), "macd": talib.MACD(c)[0], "macd_signal": talib.MACD(c)[1],
                "macd_hist": talib.MACD(c)[2], "rsi6": talib.RSI(c, 6), "cci14": talib.CCI(h, lo, c),
                "wma10": talib.WMA(c, 10)}
    for key, reference in expected.items():
        assert [bar[key] for bar in bars] == pytest.approx(list(reference[-2:]), rel=0, abs=1e-9), key


def test_obv_counts_from_the_first_returned_bar(client: TestClient, copper: int) -> None:
    bars = _klines(client, limit=3, indicators="obv")
    closes = [bar["close"] for bar in bars]
    volumes = [bar["volume"] for bar in bars]
    obv = [volumes[0]]
    for i in (1, 2):
        step = volumes[i] if closes[i] > closes[i - 1] else -volumes[i] if closes[i] < closes[i - 1] else 0
        obv.append(obv[-1] + step)
    assert [bar["obv"] for bar in bars] == obv


@pytest.mark.parametrize(("indicators", "words"), [
    ("ma,bol", "unknown indicator 'bol'"),
    ("rsi:1", "period '1' must be a whole number from 2"),
    ("macd.tdx", "the only convention suffix is .cn"),
    ("boll:20,0", "width '0'"),
    ("ma.cn", "no separate charting convention"),
])
def test_bad_indicators_are_400_naming_the_problem(client: TestClient, copper: int, indicators: str,
                                                   words: str) -> None:
    response = client.get("/market/klines", params={"symbol": "cu_main", "indicators": indicators})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and words in error["message"]
    assert "query.indicators" in [d["field"] for d in error["details"]]


@pytest.mark.parametrize("start", ["2021-01-06", "2021-01-05T14:57:00", "2021-01-05T10:31:00+08:00"])
@pytest.mark.parametrize("period", ["1m", "5m", "1h"])
def test_values_do_not_depend_on_the_start_asked_for(client: TestClient, copper: int, start: str,
                                                     period: str) -> None:
    wanted = "rsi,macd,rsi.cn:6,macd.cn,kdj,kdj.cn,atr,adx:5,boll,ma:5,60,cci"
    ranged = _klines(client, period=period, start=start, limit=5000, indicators=wanted)
    full = {b["ts"]: b for b in _klines(client, period=period, start="2021-01-04", limit=5000,
                                        indicators=wanted)}
    keys = [k for k in ranged[0] if k not in ("ts", "trading_day", "open", "high", "low", "close", "volume",
                                              "open_interest")]
    assert len(keys) == 22
    # a start inside a bar (14:57 in the 14:55 5m bar, 10:31 in the 10:00 hour) cuts that bar,
    # and its indicators are still the whole bar's
    for bar in ranged:
        for key in keys:
            reference = full[bar["ts"]][key]  # None where the 3 stored days are too short (ma60 of 1h bars)
            expected = None if reference is None else pytest.approx(reference, rel=0, abs=1e-9)
            assert bar[key] == expected, (bar["ts"], key)
    assert ranged[-1]["rsi14"] is not None and ranged[-1]["ts"] == "2021-01-06T14:55:00+08:00"[:11] + (
        {"1m": "14:59", "5m": "14:55", "1h": "14:30"}[period]) + ":00+08:00"


def test_daily_and_weekly_warm_up_uses_whole_earlier_bars(client: TestClient, copper: int) -> None:
    with gzip.open(sample_path(), "rt", newline="") as f:
        closes = {r["trading_day"]: float(r["close"]) for r in csv.DictReader(f) if r["trading_day"] in DAYS}
    (daily,) = _klines(client, period="1d", start="2021-01-06", indicators="ma:2,3")
    assert daily["trading_day"] == "2021-01-06"
    assert daily["ma2"] == pytest.approx((closes["20210105"] + closes["20210106"]) / 2)
    assert daily["ma3"] == pytest.approx(sum(closes.values()) / 3)
    # the week of 2021-01-04 starting at Wednesday's trading day: Monday and Tuesday are the same weekly
    # bar, cut by the range, not an earlier week, so a 2-bar mean has nothing to average
    (weekly,) = _klines(client, period="1w", start="2021-01-06", indicators="ma:2")
    assert weekly["ma2"] is None and weekly["close"] == closes["20210106"]

"""GET /market/klines: every period, paging with ``before``, and the Redis cache never serving stale bars.

Values are worked out by hand from the rows of the copper sample (trading days 2021-01-04, 225 bars,
and 2021-01-05, 465 bars from 2021-01-04 21:00).
"""
from __future__ import annotations

from datetime import datetime

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient

from copper_bars import SH, load_copper
from shared.domain.bars import PERIODS

pytestmark = pytest.mark.usefixtures("signed_in")  # K-lines need a bearer token


@pytest.fixture
def copper(db: psycopg.Connection) -> int:
    return load_copper(db, {"20210104", "20210105"})


def klines(client: TestClient, **params) -> dict:
    response = client.get("/market/klines", params={"symbol": "cu_main", **params})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("period", "count"), [
    # 1m: 690 rows; 5m: 45 + 93; 15m: 15 + 31; 30m: a day session has 09:00 09:30 10:00 (10:00-10:14)
    # 10:30 11:00 13:30 14:00 14:30 = 8, the night 21:00-01:00 another 8; 1h: 5 + (4 + 5)
    ("1m", 690), ("5m", 138), ("15m", 46), ("30m", 24), ("1h", 5 + 9), ("1d", 2), ("1w", 1),
])
def test_every_period(client: TestClient, copper: int, period: str, count: int) -> None:
    bars = klines(client, period=period, limit=5000)["bars"]
    assert len(bars) == count
    assert sum(b["volume"] for b in bars) == 82919 + 103527  # data README: the two days' volumes
    assert period in PERIODS


def test_hour_bars_start_with_each_session(client: TestClient, copper: int) -> None:
    bars = klines(client, period="1h", limit=5000)["bars"]
    assert [b["ts"][11:16] for b in bars] == [
        "09:00", "10:00", "11:00", "13:30", "14:30",                      # 2021-01-04, no night session
        "21:00", "22:00", "23:00", "00:00", "09:00", "10:00", "11:00", "13:30", "14:30"]


def test_paging_backwards_with_before(client: TestClient, copper: int) -> None:
    everything = klines(client, period="5m", limit=5000)["bars"]
    pages = []
    params = {"period": "5m", "limit": 50}
    while True:
        body = klines(client, **params)
        pages.insert(0, body["bars"])
        if body["next_before"] is None:
            break
        assert body["next_before"] == body["bars"][0]["ts"]
        params["before"] = body["next_before"]
    assert [len(p) for p in pages] == [38, 50, 50]
    assert [b for page in pages for b in page] == everything


def test_before_inside_a_range(client: TestClient, copper: int) -> None:
    body = klines(client, period="1m", start="2021-01-05", before="2021-01-04T21:03:00+08:00")
    assert [b["ts"] for b in body["bars"]] == [
        "2021-01-04T21:00:00+08:00", "2021-01-04T21:01:00+08:00", "2021-01-04T21:02:00+08:00"]
    assert body["next_before"] is None  # the range starts with trading day 2021-01-05


@pytest.mark.parametrize("before", ["2021-01-05", "soon"])
def test_bad_before(client: TestClient, copper: int, before: str) -> None:
    response = client.get("/market/klines", params={"symbol": "cu_main", "before": before})
    assert response.status_code == 400
    assert "query.before" in [d["field"] for d in response.json()["error"]["details"]]


def test_cached_answer_is_json_and_a_new_bar_is_never_served_stale(
        client: TestClient, copper: int, db: psycopg.Connection, redis_url: str) -> None:
    first = klines(client, period="1d", indicators="ma")
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    keys = store.keys("klines:v1:cu_main:*")
    assert len(keys) == 1
    assert store.get(keys[0]).startswith("{")  # JSON, not pickle
    assert klines(client, period="1d", indicators="ma") == first  # served from the cache
    # the next trading day's first bar arrives: the same query must see it
    db.execute("INSERT INTO bars_1m (symbol, ts, trading_day, open, high, low, close, volume)"
               " VALUES ('cu_main', %s, '2021-01-06', 58000, 58100, 57900, 58050, 7)",
               (datetime(2021, 1, 5, 21, 0, tzinfo=SH),))
    after = klines(client, period="1d", indicators="ma")
    assert [b["volume"] for b in after["bars"]] == [82919, 103527, 7]
    assert len(store.keys("klines:v1:cu_main:*")) == 2


def test_redis_away_the_cache_is_skipped_and_the_route_fails_closed(client: TestClient, copper: int,
                                                                    api_env) -> None:
    from functions.api.app import create_app
    from shared.adapters import kline_cache

    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    assert kline_cache.get(dead, "klines:v1:cu_main:x") is None  # a miss, not an error
    kline_cache.put(dead, "klines:v1:cu_main:x", "{}")
    # but a token's revocation cannot be checked without Redis: 503, never an unchecked answer
    away = TestClient(create_app(api_env.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})),
                      raise_server_exceptions=False, headers=dict(client.headers))
    response = away.get("/market/klines", params={"symbol": "cu_main", "period": "1d"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
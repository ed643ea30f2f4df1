"""Market data: tick-to-bar throughput and K-line query latency.

1. Batch 1-minute bars from ticks (``minute_bars_from_ticks``) against a pandas
   ``groupby(symbol).resample("1min")`` of the same ticks (plain clock minutes,
   empty minutes dropped), on the real 2017-11-13 ticks of 5 contracts repeated
   over 5 weeks (about 0.9 M ticks). Goal: at least 10x faster.
2. The streaming ``MinuteBarBuilder`` over the same cleaned ticks, in ticks/s.
   Goal: at least 200,000 ticks/s (20x the whole market's peak tick rate). For the
   record, also ``TickCleaner`` + builder from the CSV text rows (the import's path).
3. ``GET /market/klines`` through the FastAPI app on the copper year (123,855
   1-minute bars, loaded once into the database ``<QC_DATABASE_URL>_bench``):
   5-minute bars over the whole year with MACD, limit 5000, p50/p99 with the
   Redis cache emptied before each request (PostgreSQL, resample, MACD, JSON)
   and with the cache warm.
"""
from __future__ import annotations

import csv
import gzip
import os
import statistics
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).parents[1]
TICKS = ROOT / "data" / "ticks_ctp_5_contracts_20171113.csv.gz"
COPPER = ROOT / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
WEEKS = 5
KLINE_QUERY = {"symbol": "cu_main", "period": "5m", "start": "2021-01-04", "end": "2022-02-17", "limit": 5000,
               "indicators": "macd"}


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _csv_rows() -> list[dict[str, str]]:
    with gzip.open(TICKS, "rt", newline="") as f:
        return list(csv.DictReader(f))


def _cleaned_ticks():
    from shared.domain.ticks import TickCleaner

    cleaner = TickCleaner()
    with gzip.open(TICKS, "rt", newline="") as f:
        return [t for t in map(cleaner.clean, csv.DictReader(f)) if t is not None]


def _weeks_of_ticks(ticks) -> pd.DataFrame:
    from shared.domain.tick_bars import ticks_frame

    one = ticks_frame(ticks)
    frames = []
    for week in range(WEEKS):
        shifted = one.copy()
        shifted["ts"] = shifted["ts"] + timedelta(days=7 * week)  # 2017-11-13 .. 2017-12-11: no holiday
        shifted["trading_day"] = [d + timedelta(days=7 * week) for d in one["trading_day"]]
        frames.append(shifted)
    frame = pd.concat(frames, ignore_index=True)
    frame["symbol"] = frame["symbol"].astype("category")
    return frame


def _pandas_resample(frame: pd.DataFrame) -> pd.DataFrame:
    grouped = frame.set_index("ts").groupby("symbol", observed=True)
    ohlc = grouped["last_price"].resample("1min").ohlc()
    volume = grouped["volume"].resample("1min").sum()
    oi = grouped["open_interest"].resample("1min").last()
    return pd.concat([ohlc, volume, oi], axis=1).dropna(subset=["open"])


def tick_to_bar() -> list[tuple[str, str, str]]:
    from shared.domain.bars import MinuteBarBuilder
    from shared.domain.tick_bars import minute_bars_from_ticks

    ticks = _cleaned_ticks()
    frame = _weeks_of_ticks(ticks)
    minute_bars_from_ticks(frame.head(1000))  # compile (or load) the kernel outside the timing
    ours = _best(lambda: minute_bars_from_ticks(frame))
    theirs = _best(lambda: _pandas_resample(frame), repeat=3)
    bars = len(minute_bars_from_ticks(frame))

    def stream() -> None:
        builder = MinuteBarBuilder()
        for tick in ticks:
            builder.on_tick(tick)
        builder.flush()

    streamed = _best(stream, repeat=3)
    rate = len(ticks) / streamed
    rows = _csv_rows()

    def clean_and_stream() -> None:
        from shared.domain.ticks import TickCleaner

        cleaner, builder = TickCleaner(), MinuteBarBuilder()
        for row in rows:
            tick = cleaner.clean(row)
            if tick is not None:
                builder.on_tick(tick)
        builder.flush()

    cleaned = _best(clean_and_stream, repeat=2)
    return [
        (f"batch 1m bars, {len(frame):,} ticks -> {bars:,} bars", f"{ours * 1e3:8.1f} ms",
         f"{len(frame) / ours / 1e6:.1f} M ticks/s"),
        ("pandas groupby.resample('1min') of the same ticks", f"{theirs * 1e3:8.1f} ms",
         f"ours {theirs / ours:.1f}x faster (goal >= 10x)"),
        (f"streaming MinuteBarBuilder, {len(ticks):,} ticks", f"{streamed * 1e3:8.1f} ms",
         f"{rate:,.0f} ticks/s (goal >= 200,000)"),
        (f"TickCleaner (CSV text) + MinuteBarBuilder, {len(rows):,} rows", f"{cleaned * 1e3:8.1f} ms",
         f"{len(rows) / cleaned:,.0f} rows/s (the import's path; the daemon parses typed fields faster)"),
    ]


def _bench_database() -> tuple[str, str]:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from shared.adapters.csv_import import import_bars
    from shared.adapters.db import connect
    from shared.adapters.migrate import migrate
    from shared.adapters.services import ensure_database
    from shared.settings import get_settings

    params = conninfo_to_dict(get_settings().database_url)
    params["dbname"] = params.get("dbname", "quantcloud") + "_bench"
    url = make_conninfo(**params)
    ensure_database(url)
    migrate(url)
    with connect(url) as conn:
        count = conn.execute("SELECT count(*) FROM bars_1m WHERE symbol = 'cu_main'").fetchone()[0]
        if count != 123_855:
            import_bars(conn, COPPER, progress=False)
    redis_url = os.environ.get("QC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    return url, redis_url


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1e3:7.1f} ms   p99 {p99 * 1e3:7.1f} ms"


def kline_latency() -> list[tuple[str, str, str]]:
    from datetime import UTC, datetime

    import boto3
    import redis
    from fastapi.testclient import TestClient
    from moto import mock_aws

    from functions.api.app import create_app
    from shared.adapters.secrets import create_jwt_secret, forget_jwt_key, jwt_key
    from shared.auth.tokens import issue_token
    from shared.settings import Settings

    url, redis_url = _bench_database()
    cache = redis.Redis.from_url(redis_url)
    settings = Settings(database_url=url, redis_url=redis_url, aws_endpoint_url=None,
                        jwt_secret_id="quantcloud/bench-jwt")
    app = create_app(settings)
    rows = []
    # each request is authenticated as on AWS: the key from Secrets Manager (moto), the revocation check in Redis
    with mock_aws(), TestClient(app) as client:
        forget_jwt_key()
        create_jwt_secret(boto3.client("secretsmanager", region_name=settings.aws_region), settings.jwt_secret_id)
        token = issue_token("bench", jwt_key(settings), datetime.now(UTC), 3600)
        client.headers["authorization"] = f"Bearer {token}"

        def call() -> float:
            started = time.perf_counter()
            response = client.get("/market/klines", params=KLINE_QUERY)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            return elapsed

        cache.flushdb()
        call()  # warm the connection and the indicator code
        cold = []
        for _ in range(25):
            cache.flushdb()
            cold.append(call())
        warm = [call() for _ in range(200)]
        bars = len(client.get("/market/klines", params=KLINE_QUERY).json()["bars"])
        cache.flushdb()
    rows.append((f"K-lines: copper year 1m -> 5m + MACD ({bars} bars returned), cache empty",
                 _percentiles(cold), f"{len(cold)} requests"))
    rows.append(("K-lines: the same query, Redis cache warm", _percentiles(warm), f"{len(warm)} requests"))
    return rows


def run() -> None:
    rows = tick_to_bar() + kline_latency()
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"   {name:<{width}}  {value:>28}  {note}")

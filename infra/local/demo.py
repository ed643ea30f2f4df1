"""``python -m infra.local demo``: the main job end to end on the bundled real data, with a report.

Imports the copper 1-minute bars, then acts as a client would, over real
HTTP and a real WebSocket: register and log in, fetch 5-minute K-lines with
indicators, subscribe to live ticks the daemon replays, run a parameter sweep
through Step Functions and poll it to the end.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from websockets.asyncio.client import connect as ws_connect

from infra.local.emulation import ROOT, Emulation

SH = ZoneInfo("Asia/Shanghai")
BARS_FILE = ROOT / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"
SYMBOL = "cu_main"
TICK_TOPICS = ["tick.cu1801", "tick.rb1805"]
BACKTEST = {"symbol": SYMBOL, "start": "2021-01-04", "end": "2021-03-31", "strategy": "dual_ma",
            "grid": {"fast": [5, 10, 20], "slow": [30, 60, 120]}}
USER = {"username": "demo-trader", "password": "copper-and-rebar-2017"}
LISTEN_S = 6.0
BACKTEST_TIMEOUT_S = 150.0


class Report:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.summary: list[str] = []

    def section(self, title: str) -> None:
        print(f"\n== {title} ({time.monotonic() - self.started:.1f} s)", flush=True)

    def line(self, text: str = "") -> None:
        print(f"   {text}", flush=True)

    def note(self, text: str) -> None:
        """A line for the closing summary."""
        self.summary.append(text)


def run_demo(emulation: Emulation) -> int:
    report = Report()
    settings = emulation.settings
    report.section("Data")
    bars_loaded = import_bars(settings.database_url)
    report.line(f"instrument {SYMBOL} (SHFE copper, continuous main), file {BARS_FILE.name}")
    report.line(f"1-minute bars stored for {SYMBOL}: {bars_loaded[0]:,}, {bars_loaded[1]} .. {bars_loaded[2]}")
    report.note(f"instrument   {SYMBOL} SHFE, 1-minute bars loaded: {bars_loaded[0]:,} "
                f"({bars_loaded[1][:10]} .. {bars_loaded[2][:10]})")
    forget_live_keys(settings.redis_url)

    base = emulation.config.http_url
    with httpx.Client(base_url=base, timeout=30) as http:
        report.section(f"Auth over HTTP ({base})")
        token = register_and_login(http, report)
        auth = {"Authorization": f"Bearer {token}"}

        report.section("K-lines: cu_main 5m with ma, macd, rsi (GET /market/klines)")
        show_klines(http, auth, report)

        report.section(f"Live ticks over the WebSocket ({emulation.config.ws_url})")
        messages = asyncio.run(listen(emulation.config.ws_url, token, LISTEN_S))
        show_ticks(messages, report)

        report.section("Backtest: dual_ma on cu_main through Step Functions (POST /backtests)")
        ok = run_backtest(http, auth, report)
    report.section("Summary" if ok else "Backtest did not succeed")
    for text in report.summary:
        report.line(text)
    return 0 if ok else 1


def import_bars(database_url: str) -> tuple[int, str, str]:
    import psycopg

    from shared.adapters.csv_import import import_bars as load

    with psycopg.connect(database_url, autocommit=True) as conn:
        result = load(conn, BARS_FILE, progress=False)
        print(f"   import: {result.summary().splitlines()[0]}")
        count, first, last = conn.execute(
            "SELECT count(*), min(ts), max(ts) FROM bars_1m WHERE symbol = %s", (SYMBOL,)).fetchone()
    return count, first.astimezone(SH).isoformat(), last.astimezone(SH).isoformat()


def forget_live_keys(redis_url: str) -> None:
    """Drop only the keys the daemon owns (latest-tick snapshots), never the whole database."""
    from shared.adapters.redis_client import redis_client

    r = redis_client(redis_url)
    keys = list(r.scan_iter("tick:last:*", count=500))
    if keys:
        r.delete(*keys)


def register_and_login(http: httpx.Client, report: Report) -> str:
    reg = http.post("/auth/register", json=USER)
    report.line(f"POST /auth/register -> {reg.status_code}" + (" (user exists already)" if reg.status_code == 409 else ""))
    if reg.status_code not in (200, 201, 409):
        raise RuntimeError(f"register failed: {reg.status_code} {reg.text}")
    login = http.post("/auth/login", json=USER)
    login.raise_for_status()
    body = login.json()
    report.line(f"POST /auth/login -> {login.status_code}, token_type {body['token_type']}, "
                f"expires_in {body['expires_in']} s")
    return str(body["access_token"])


def show_klines(http: httpx.Client, auth: dict[str, str], report: Report) -> None:
    params = {"symbol": SYMBOL, "period": "5m", "indicators": "ma,macd,rsi",
              "start": "2021-03-01", "end": "2021-03-31", "limit": 200}
    resp = http.get("/market/klines", params=params, headers=auth)
    resp.raise_for_status()
    bars = resp.json()["bars"]
    report.line(f"{len(bars)} bars ({bars[0]['ts']} .. {bars[-1]['ts']}); the last 5:")
    last = bars[-1]
    report.note(f"K-lines      {len(bars)} x 5m, last {last['ts']}: close {last['close']:.0f}, ma5 {last['ma5']:.1f}, "
                f"macd {last['macd']:.2f}, rsi14 {last['rsi14']:.1f}")
    report.line(f"{'ts':25} {'open':>8} {'high':>8} {'low':>8} {'close':>8} {'vol':>6} "
                f"{'ma5':>9} {'ma20':>9} {'macd':>8} {'signal':>8} {'rsi14':>6}")
    for b in bars[-5:]:
        report.line(f"{b['ts']:25} {b['open']:8.0f} {b['high']:8.0f} {b['low']:8.0f} {b['close']:8.0f} "
                    f"{b['volume']:6d} {_f(b.get('ma5'), 9, 1)} {_f(b.get('ma20'), 9, 1)} "
                    f"{_f(b.get('macd'), 8, 2)} {_f(b.get('macd_signal'), 8, 2)} {_f(b.get('rsi14'), 6, 1)}")


async def listen(ws_url: str, token: str, seconds: float) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    async with ws_connect(f"{ws_url}?token={token}") as ws:
        await ws.send(json.dumps({"action": "subscribe", "topics": TICK_TOPICS}))
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                received.append(json.loads(await asyncio.wait_for(ws.recv(), left)))
            except TimeoutError:
                break
    return received


def show_ticks(messages: list[dict[str, Any]], report: Report) -> None:
    acks = [m for m in messages if m.get("type") == "subscribed"]
    ticks = [m for m in messages if str(m.get("topic", "")).startswith("tick.")]
    report.line(f"ack: {acks[0] if acks else 'none'}")
    by_topic = {t: sum(1 for m in ticks if m["topic"] == t) for t in TICK_TOPICS}
    report.line(f"ticks received in {LISTEN_S:.0f} s (conflated to ~10/s per topic): {len(ticks)} {by_topic}")
    report.note(f"WebSocket    {len(ticks)} ticks in {LISTEN_S:.0f} s: {by_topic}")
    for m in ticks[:3] + ticks[-3:]:
        d = m["data"]
        report.line(f"{m['topic']:12} {d['ts']} last {d['last_price']} cum_vol {d['cum_volume']} "
                    f"bid {d['bid_price1']}x{d['bid_volume1']} ask {d['ask_price1']}x{d['ask_volume1']}")


def run_backtest(http: httpx.Client, auth: dict[str, str], report: Report) -> bool:
    resp = http.post("/backtests", json=BACKTEST, headers=auth)
    if resp.status_code != 202:
        report.line(f"POST /backtests -> {resp.status_code} {resp.text}")
        return False
    backtest_id = resp.json()["id"]
    report.line(f"POST /backtests -> 202, id {backtest_id}; {BACKTEST['start']} .. {BACKTEST['end']}, "
                f"grid fast {BACKTEST['grid']['fast']} x slow {BACKTEST['grid']['slow']}")
    started = time.monotonic()
    state: dict[str, Any] = {}
    last_seen = None
    while time.monotonic() - started < BACKTEST_TIMEOUT_S:
        state = http.get(f"/backtests/{backtest_id}", headers=auth).json()
        progress = (state.get("status"), state.get("done"), state.get("total"))
        if progress != last_seen:
            report.line(f"{time.monotonic() - started:5.1f} s  {progress[0]:9} {progress[1]}/{progress[2]}")
            last_seen = progress
        if state.get("status") in ("SUCCEEDED", "FAILED"):
            break
        time.sleep(0.5)
    if state.get("status") != "SUCCEEDED":
        report.line(f"final state: {state.get('status')} {state.get('error') or ''}")
        return False
    best = state["best"]
    report.line(f"best parameters: {best['params']}")
    report.note(f"backtest     {BACKTEST['start']} .. {BACKTEST['end']}, {state['total']} combinations, "
                f"best {best['params']}: total_return {best['total_return']:.2%}, sharpe {best['sharpe']:.2f}, "
                f"max_drawdown {best['max_drawdown']:.2%}, trades {best['trade_count']}")
    report.line(f"{'fast':>5} {'slow':>5} {'total_return':>13} {'sharpe':>8} {'max_drawdown':>13} {'trades':>7}")
    for r in state["results"]:
        p = r["params"]
        report.line(f"{p['fast']:5d} {p['slow']:5d} {r['total_return']:13.4%} {r['sharpe']:8.3f} "
                    f"{r['max_drawdown']:13.4%} {r['trade_count']:7d}")
    return True


def _f(value: float | None, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{digits}f}"


"""The HTTP API through the local API Gateway: real HTTP in, API Gateway v2 events to the Mangum handler."""
from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
import pytest

from infra.local.emulation import Emulation

pytestmark = pytest.mark.e2e


def test_register_login_and_logout_over_http(emulation: Emulation) -> None:
    user = {"username": "http-user", "password": "another-long-passphrase"}
    with httpx.Client(base_url=emulation.config.http_url, timeout=30) as http:
        assert http.post("/auth/register", json=user).status_code in (200, 201)
        assert http.post("/auth/register", json=user).status_code == 409
        wrong = http.post("/auth/login", json={**user, "password": "not-the-password"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "unauthorized"
        login = http.post("/auth/login", json=user)
        assert login.status_code == 200
        body = login.json()
        assert body["token_type"] == "bearer" and body["access_token"].count(".") == 2


def test_requests_outside_the_stage_are_not_found(emulation: Emulation) -> None:
    base = f"http://{emulation.config.host}:{emulation.config.http_port}"
    assert httpx.get(f"{base}/health").status_code == 404
    assert httpx.get(f"{base}/{emulation.config.stage}/health").status_code == 200


def test_klines_5m_match_the_source_file(emulation: Emulation, copper_bars: Path, token: str) -> None:
    params = {"symbol": "cu_main", "period": "5m", "start": "2021-01-04", "end": "2021-01-04",
              "indicators": "ma,macd,rsi", "limit": 1000}
    resp = httpx.get(f"{emulation.config.http_url}/market/klines", params=params,
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert resp.status_code == 200
    bars = resp.json()["bars"]
    # 2021-01-04 follows a holiday: no night session, 225 one-minute bars (data/README.md) = 45 five-minute bars
    assert len(bars) == 45
    source = pd.read_csv(copper_bars, dtype={"trading_day": str})
    first = source[source["datetime"].between("2021-01-04T09:00:00", "2021-01-04T09:04:00")]
    assert len(first) == 5
    assert bars[0]["ts"] == "2021-01-04T09:00:00+08:00"
    assert bars[0]["open"] == first["open"].iloc[0]
    assert bars[0]["high"] == first["high"].max()
    assert bars[0]["low"] == first["low"].min()
    assert bars[0]["close"] == first["close"].iloc[-1]
    assert bars[0]["volume"] == first["volume"].sum()
    # ma5 is the mean of the last five 5-minute closes; null while it warms up
    assert bars[3]["ma5"] is None
    assert bars[4]["ma5"] == pytest.approx(sum(b["close"] for b in bars[:5]) / 5)
    assert {"macd", "macd_signal", "macd_hist", "rsi14"} <= bars[-1].keys()
    assert bars[-1]["rsi14"] is not None and 0 <= bars[-1]["rsi14"] <= 100


def test_unknown_symbol_is_a_404_body_not_a_crash(emulation: Emulation, token: str) -> None:
    resp = httpx.get(f"{emulation.config.http_url}/market/klines", params={"symbol": "zz9999"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "unknown_instrument"

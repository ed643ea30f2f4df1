"""The local emulation, started once for the end-to-end tests, on free ports.

It runs in this process against the test database and Redis db 15 (set by
tests/conftest.py). Package scope, not session: the emulation changes the
``QC_*`` environment, and it is put back as soon as the e2e tests are done,
so later tests (moto's in-process mock) never talk to this moto server.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from infra.local.emulation import ROOT, Emulation, EmulationConfig, free_port

BARS_FILE = ROOT / "data" / "bars_1m_cu_main_shfe_20210104-20220217.csv.gz"


@pytest.fixture(scope="package")
def emulation(database_url: str) -> Iterator[Emulation]:
    import redis

    from tests.conftest import TEST_REDIS_URL

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()  # db 15 belongs to the tests
    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'")]
        conn.execute("TRUNCATE " + ", ".join(tables) + " CASCADE")
    config = EmulationConfig(http_port=free_port(), ws_port=free_port(), moto_port=free_port(),
                             database_url=database_url, redis_url=TEST_REDIS_URL, daemon=None)
    emu = Emulation(config).start()
    try:
        yield emu
    finally:
        emu.stop()
        # the API module was rebuilt with the emulation's settings: rebuild it with the restored ones
        import functions.api.handler

        importlib.reload(functions.api.handler)


@pytest.fixture(scope="package")
def copper_bars(emulation: Emulation) -> Path:
    """The bundled copper 1-minute bars, imported with the import code."""
    from shared.adapters.csv_import import import_bars

    with psycopg.connect(emulation.settings.database_url, autocommit=True) as conn:
        report = import_bars(conn, BARS_FILE, progress=False)
    assert report.added == 123_855  # rows in the file (data/README.md)
    return BARS_FILE


@pytest.fixture(scope="package")
def token(emulation: Emulation) -> str:
    """An access token for a user registered and logged in over real HTTP."""
    import httpx

    user = {"username": "e2e-trader", "password": "a-long-e2e-passphrase"}
    with httpx.Client(base_url=emulation.config.http_url, timeout=30) as http:
        assert http.post("/auth/register", json=user).status_code in (200, 201)
        login = http.post("/auth/login", json=user)
    assert login.status_code == 200
    return str(login.json()["access_token"])

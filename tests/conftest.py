"""Fixtures shared by every test: the real PostgreSQL and Redis, and moto for AWS.

The tests use their own database (``<name>_test``) and Redis database 15, so
they never touch what ``make demo`` or ``make up`` stored. Two runs at once on
one machine need their own: set ``QC_DATABASE_URL`` to another database name and
``QC_TEST_REDIS_DB`` to another Redis database number.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
import redis
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from shared.adapters.migrate import migrate
from shared.adapters.services import ensure_database

BASE_DB = os.environ.get("QC_DATABASE_URL", os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/quantcloud"))
BASE_REDIS = os.environ.get("QC_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


def _test_database_url() -> str:
    params = conninfo_to_dict(BASE_DB)
    params["dbname"] = params.get("dbname", "quantcloud") + "_test"
    return make_conninfo(**params)


def _test_redis_url() -> str:
    return BASE_REDIS.rsplit("/", 1)[0] + "/" + os.environ.get("QC_TEST_REDIS_DB", "15")


TEST_DATABASE_URL = _test_database_url()
TEST_REDIS_URL = _test_redis_url()

# Entry points read settings from the environment: point them at the test services.
os.environ["QC_DATABASE_URL"] = TEST_DATABASE_URL
os.environ["QC_REDIS_URL"] = TEST_REDIS_URL
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "cn-north-1")


@pytest.fixture(scope="session")
def database_url() -> str:
    """A freshly migrated test database (dropped and rebuilt once per session)."""
    ensure_database(TEST_DATABASE_URL)
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    migrate(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to an emptied test database."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'")]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(tables) + " CASCADE")
        yield conn


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The tests' Redis database (15 unless QC_TEST_REDIS_DB says otherwise), emptied."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield TEST_REDIS_URL
    client.close()


@pytest.fixture
def aws() -> Iterator[None]:
    """moto for every AWS service, with Step Functions executing ASL for real."""
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        yield

"""What every backtest Lambda needs, built once per warm container: settings, database, S3."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.adapters.aws import client
from shared.settings import Settings, get_settings

if TYPE_CHECKING:
    import psycopg


def settings() -> Settings:
    return get_settings()


def db() -> psycopg.Connection:
    # imported here: workers never touch the database, so psycopg stays out of their cold start
    from shared.adapters.db import database_url, shared_connection

    return shared_connection(database_url(get_settings()))


def s3() -> Any:
    s = get_settings()
    return client("s3", s.aws_region, s.aws_endpoint_url)

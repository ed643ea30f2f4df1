"""What every backtest Lambda needs, built once per warm container: settings, database, S3."""
from __future__ import annotations

from typing import Any

import psycopg

from shared.adapters.aws import client
from shared.adapters.db import database_url, shared_connection
from shared.settings import Settings, get_settings


def settings() -> Settings:
    return get_settings()


def db() -> psycopg.Connection:
    return shared_connection(database_url(get_settings()))


def s3() -> Any:
    s = get_settings()
    return client("s3", s.aws_region, s.aws_endpoint_url)

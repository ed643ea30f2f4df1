"""PostgreSQL connections (psycopg 3).

A Lambda container or the daemon keeps one connection for its life; a
dropped connection is replaced on the next call.
"""
from __future__ import annotations

import functools
import json

import psycopg
from psycopg.conninfo import make_conninfo

from shared.adapters.aws import client
from shared.errors import ServiceUnavailable
from shared.settings import Settings


def database_url(settings: Settings) -> str:
    """The DSN to use: from the RDS secret on AWS, else ``settings.database_url``."""
    if not settings.database_secret_id:
        return settings.database_url
    return _url_from_secret(settings.database_secret_id, settings.aws_region, settings.aws_endpoint_url)


@functools.cache
def _url_from_secret(secret_id: str, region: str, endpoint_url: str | None) -> str:
    sm = client("secretsmanager", region, endpoint_url)
    secret = json.loads(sm.get_secret_value(SecretId=secret_id)["SecretString"])
    return make_conninfo(host=secret["host"], port=secret.get("port", 5432), user=secret["username"],
                         password=secret["password"], dbname=secret.get("dbname", "quantcloud"))


def connect(database_url: str, *, autocommit: bool = True) -> psycopg.Connection:
    try:
        return psycopg.connect(database_url, autocommit=autocommit, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable("database unreachable") from exc


@functools.cache
def _cached(database_url: str) -> list[psycopg.Connection]:
    return []


def shared_connection(database_url: str) -> psycopg.Connection:
    """The container's connection (autocommit), reconnecting if it was closed or broken."""
    holder = _cached(database_url)
    if not holder or holder[0].closed or holder[0].broken:
        holder[:] = [connect(database_url)]
    return holder[0]

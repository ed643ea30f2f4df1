"""Checks used by ``scripts/setup.sh``: does a server answer, does the database exist."""
from __future__ import annotations

import sys

import psycopg
import redis
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def ping_postgres(url: str) -> None:
    params = conninfo_to_dict(url)
    params["dbname"] = "postgres"
    with psycopg.connect(make_conninfo(**params), connect_timeout=3) as conn:
        conn.execute("SELECT 1")


def ensure_database(url: str) -> None:
    params = conninfo_to_dict(url)
    name = params.get("dbname", "quantcloud")
    params["dbname"] = "postgres"
    with psycopg.connect(make_conninfo(**params), autocommit=True, connect_timeout=3) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def ping_redis(url: str) -> None:
    redis.Redis.from_url(url, socket_connect_timeout=3).ping()


COMMANDS = {"ping-postgres": ping_postgres, "ensure-database": ensure_database, "ping-redis": ping_redis}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](sys.argv[2])

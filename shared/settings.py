"""One typed settings object, read from the environment (prefix ``QC_``).

Every AWS endpoint is overridable: locally they point at moto and the local
API gateway, on AWS they stay ``None`` and boto3 uses the real services.
Only entry points (Lambda handlers, the daemon, the CLI) call ``get_settings``;
the core receives plain values.
"""
from __future__ import annotations

import functools

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QC_", frozen=True)

    # the unprefixed DATABASE_URL / REDIS_URL that hosting platforms set are honoured too
    database_url: str = Field("postgresql://postgres@127.0.0.1:5432/quantcloud",
                              validation_alias=AliasChoices("QC_DATABASE_URL", "DATABASE_URL"))
    # on AWS: the RDS-generated secret (JSON with host, port, username, password, dbname);
    # when set it takes precedence over database_url (see shared.adapters.db.database_url)
    database_secret_id: str | None = None
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias=AliasChoices("QC_REDIS_URL", "REDIS_URL"))

    aws_region: str = "cn-north-1"
    aws_endpoint_url: str | None = None  # moto locally, None on AWS
    # the WebSocket API's Management API (https://{id}.execute-api.{region}.amazonaws.com/{stage})
    ws_management_url: str | None = None

    jwt_secret_id: str = "quantcloud/jwt"  # the key itself lives in Secrets Manager
    jwt_ttl_s: int = 3600

    backtest_bucket: str = "quantcloud-backtests"
    backtest_state_machine_arn: str | None = None
    connections_table: str = "quantcloud-ws-connections"
    subscriptions_table: str = "quantcloud-ws-subscriptions"

    api_stage: str = ""  # API Gateway stage prefix, e.g. "/dev"; "" when served at the root

    # the gateway daemon's CTP sessions (issue 5). The secret (JSON: broker_id, user_id, password,
    # app_id, auth_code, md_fronts, td_fronts) overrides the plain QC_CTP_* values below.
    ctp_secret_id: str | None = None
    ctp_broker_id: str = ""
    ctp_user_id: str = ""
    ctp_password: str = ""
    ctp_app_id: str = ""
    ctp_auth_code: str = ""
    ctp_md_fronts: str = ""  # comma-separated tcp://host:port
    ctp_td_fronts: str = ""
    ctp_symbols: str = ""  # comma-separated contracts to subscribe; empty: every futures instrument queried
    daemon_state_dir: str = "/tmp/quantcloud-daemon"  # CTP flow files and the tick journal
    daemon_journal_max_bytes: int = 1 << 30  # the disk buffer while PostgreSQL or Redis is away
    daemon_health_port: int = 0  # 0: no health endpoint
    daemon_md_processes: int = 1  # market data over this many processes (one MdApi session each)
    order_stream: str = "orders:in"  # Redis Stream of order requests (consumer group "daemon")


@functools.cache
def get_settings() -> Settings:
    return Settings()

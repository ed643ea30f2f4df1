"""CTP credentials and fronts: the Secrets Manager secret named by ``QC_CTP_SECRET_ID`` (JSON), else
the plain ``QC_CTP_*`` settings (local runs). The password never appears in logs (``repr`` hides it)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.adapters.aws import client
from shared.errors import InvalidInput, ServiceUnavailable
from shared.settings import Settings

REQUIRED = ("broker_id", "user_id", "password", "md_fronts", "td_fronts")


@dataclass(frozen=True)
class CtpConfig:
    broker_id: str
    user_id: str
    password: str = field(repr=False)
    app_id: str = ""
    auth_code: str = field(default="", repr=False)
    md_fronts: tuple[str, ...] = ()
    td_fronts: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    flow_dir: str = "/tmp/quantcloud-daemon/flow"

    @property
    def account(self) -> str:
        return f"{self.broker_id}:{self.user_id}"


def _fronts(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return tuple(f.strip() for f in items if f and f.strip())


def config_from_mapping(values: dict[str, Any], flow_dir: str) -> CtpConfig:
    missing = [k for k in REQUIRED if not values.get(k)]
    if missing:
        raise InvalidInput(f"CTP settings missing: {', '.join(missing)} (secret QC_CTP_SECRET_ID or QC_CTP_*)",
                           {"missing": missing})
    for key in ("md_fronts", "td_fronts"):
        bad = [f for f in _fronts(values[key]) if not f.startswith(("tcp://", "ssl://"))]
        if bad:
            raise InvalidInput(f"CTP {key} must look like tcp://host:port, got {bad}", {"field": key})
    return CtpConfig(broker_id=str(values["broker_id"]), user_id=str(values["user_id"]),
                     password=str(values["password"]), app_id=str(values.get("app_id") or ""),
                     auth_code=str(values.get("auth_code") or ""), md_fronts=_fronts(values["md_fronts"]),
                     td_fronts=_fronts(values["td_fronts"]), symbols=_fronts(values.get("symbols")),
                     flow_dir=flow_dir)


def load_ctp_config(settings: Settings) -> CtpConfig:
    """Settings first, the secret's keys on top of them."""
    values: dict[str, Any] = {k: getattr(settings, f"ctp_{k}") for k in
                              ("broker_id", "user_id", "password", "app_id", "auth_code", "md_fronts", "td_fronts",
                               "symbols")}
    if settings.ctp_secret_id:
        sm = client("secretsmanager", settings.aws_region, settings.aws_endpoint_url)
        try:
            secret = json.loads(sm.get_secret_value(SecretId=settings.ctp_secret_id)["SecretString"])
        except (ClientError, BotoCoreError) as exc:
            raise ServiceUnavailable(f"CTP secret {settings.ctp_secret_id!r} unreadable: {exc}") from exc
        except ValueError as exc:
            raise InvalidInput(f"CTP secret {settings.ctp_secret_id!r} is not JSON") from exc
        values.update({k: v for k, v in secret.items() if v not in (None, "")})
    return config_from_mapping(values, f"{settings.daemon_state_dir}/flow")

"""The whole system on one machine, in one process: moto, the two gateways and the daemon.

``Emulation(config).start()`` points the ``QC_*`` settings at moto and the
local gateways, migrates the database, provisions moto (bucket, tables, JWT
secret, Lambdas, state machine), serves the HTTP API and the WebSocket API
with uvicorn on background threads and starts the daemon as a subprocess.
``stop()`` undoes it in reverse order. Ports are arguments, so tests can
run it on free ports next to a running ``make up``.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import uvicorn

from infra.local.moto_server import MotoServer
from shared.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
TICKS_FILE = ROOT / "data" / "ticks_ctp_5_contracts_20171113.csv.gz"


@dataclass(frozen=True)
class DaemonConfig:
    file: Path = TICKS_FILE
    speed: float = 30.0
    loop: bool = True
    symbols: tuple[str, ...] = ()
    log_path: Path | None = None  # None: the daemon's JSON logs go to this process's stderr


@dataclass(frozen=True)
class EmulationConfig:
    host: str = "127.0.0.1"
    http_port: int = 8000
    ws_port: int = 8001
    moto_port: int = 4566
    stage: str = "dev"
    database_url: str | None = None  # None: keep what the settings say
    redis_url: str | None = None
    daemon: DaemonConfig | None = field(default_factory=DaemonConfig)

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}/{self.stage}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.ws_port}/{self.stage}"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Emulation:
    def __init__(self, config: EmulationConfig) -> None:
        self.config = config
        self.moto = MotoServer(config.host, config.moto_port)
        self._servers: list[tuple[uvicorn.Server, threading.Thread]] = []
        self.daemon: subprocess.Popen[bytes] | None = None
        self._daemon_log: IO[bytes] | None = None
        self.state_machine_arn: str | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def settings(self) -> Settings:
        return get_settings()

    def start(self) -> Emulation:
        from infra.local.provision import provision
        from shared.adapters.migrate import migrate
        from shared.adapters.secrets import forget_jwt_key
        from shared.adapters.services import ensure_database

        self._set_environment(**self._environment())
        forget_jwt_key()
        ensure_database(self.settings.database_url)
        migrate(self.settings.database_url)
        self._saved_env.setdefault("MOTO_PORT", os.environ.get("MOTO_PORT"))  # MotoServer sets it
        self.moto.start()
        self.state_machine_arn = provision(self.settings)["state_machine_arn"]
        self._set_environment(QC_BACKTEST_STATE_MACHINE_ARN=self.state_machine_arn)
        self._serve(self._http_app(), self.config.http_port)
        self._serve(self._ws_app(), self.config.ws_port)
        if self.config.daemon is not None:
            self.start_daemon(self.config.daemon)
        return self

    def stop(self) -> None:
        self.stop_daemon()
        for server, _ in self._servers:
            server.should_exit = True
        for _, thread in self._servers:
            thread.join(10)
        self._servers.clear()
        self.moto.stop()
        self._restore_environment()

    def start_daemon(self, daemon: DaemonConfig) -> subprocess.Popen[bytes]:
        """Start ``python -m gateway_daemon`` replaying ``daemon.file`` with this emulation's settings."""
        self.stop_daemon()
        args = [sys.executable, "-m", "gateway_daemon", "--source", "replay", "--file", str(daemon.file),
                "--speed", str(daemon.speed)]
        if daemon.loop:
            args.append("--loop")
        if daemon.symbols:
            args += ["--symbols", *daemon.symbols]
        stderr: Any = None
        if daemon.log_path is not None:
            daemon.log_path.parent.mkdir(parents=True, exist_ok=True)
            stderr = self._daemon_log = open(daemon.log_path, "ab")
        self.daemon = subprocess.Popen(args, cwd=ROOT, env=os.environ.copy(), stderr=stderr)
        return self.daemon

    def stop_daemon(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM the daemon (it flushes and exits) and wait; returns its exit code."""
        proc, self.daemon = self.daemon, None
        code = None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        if self._daemon_log is not None:
            self._daemon_log.close()
            self._daemon_log = None
        return code

    def _environment(self) -> dict[str, str]:
        c = self.config
        env = {
            "QC_AWS_ENDPOINT_URL": f"http://{c.host}:{self.moto.port}",
            "QC_WS_MANAGEMENT_URL": f"http://{c.host}:{c.ws_port}/{c.stage}",
            "QC_API_STAGE": f"/{c.stage}",
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "cn-north-1"),
        }
        if c.database_url:
            env["QC_DATABASE_URL"] = c.database_url
        if c.redis_url:
            env["QC_REDIS_URL"] = c.redis_url
        return env

    def _set_environment(self, **values: str) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        get_settings.cache_clear()

    def _restore_environment(self) -> None:
        """Put back what ``start`` changed, so code run later in this process sees its own settings."""
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        get_settings.cache_clear()

    def _http_app(self) -> Any:
        from functions.api import handler
        from infra.local.gateway_http import create_app

        handler.reset()  # the Mangum app is built on the first event: from our settings, not earlier ones
        return create_app(handler.handler, self.config.stage)

    def _ws_app(self) -> Any:
        from functions.ws import authorizer, connect, default, disconnect
        from infra.local.gateway_ws import WsHandlers, create_app

        handlers = WsHandlers(authorizer.handler, connect.handler, default.handler, disconnect.handler)
        return create_app(handlers, self.config.stage, self.settings.aws_region)

    def _serve(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host=self.config.host, port=port, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {port} did not start (port in use?)")
            time.sleep(0.02)
        self._servers.append((server, thread))

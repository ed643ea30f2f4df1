"""moto as the local AWS: one threaded server, Step Functions running the ASL, Lambdas running our code."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer

Handler = Callable[[dict[str, Any], Any], Any]


def configure_moto() -> None:
    """Execute state machines for real; run Lambdas in-process (no Docker)."""
    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True  # type: ignore[typeddict-item]
    default_user_config.setdefault("lambda", {})["use_docker"] = False  # type: ignore[typeddict-item]


class MotoServer:
    """moto on ``host:port`` in a background thread of this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566,
                 handlers: Mapping[str, Handler] | None = None) -> None:
        self.host = host
        self.port = port
        self._handlers = handlers
        self._server: ThreadedMotoServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MotoServer:
        from infra.local.lambda_dispatch import install
        from infra.local.provision import backtest_handlers

        configure_moto()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        install(self._handlers if self._handlers is not None else backtest_handlers())
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        # the ASL interpreter calls Lambda through boto3 at localhost:$MOTO_PORT
        os.environ["MOTO_PORT"] = str(self.port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

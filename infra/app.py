"""The CDK app: ``cdk synth`` / ``cdk deploy`` (``cdk.json`` runs this file).

Stacks: network, data, backtest state machine, HTTP API, WebSocket API, daemon.
The stage name comes from the context (``-c stage=prod``), ``dev`` by default.
"""
from __future__ import annotations

import sys
from pathlib import Path

# run as `python infra/app.py`: put the repository root, not infra/ (whose constructs/ would
# shadow the constructs library), first on the path
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from aws_cdk import App, Environment  # noqa: E402

from infra.stacks.backtest import BacktestStack  # noqa: E402
from infra.stacks.daemon import DaemonStack  # noqa: E402
from infra.stacks.data import DataStack  # noqa: E402
from infra.stacks.http_api import HttpApiStack  # noqa: E402
from infra.stacks.network import NetworkStack  # noqa: E402
from infra.stacks.websocket_api import WebSocketStack  # noqa: E402


def build(app: App) -> dict[str, object]:
    stage = app.node.try_get_context("stage") or "dev"
    env = Environment(account=app.node.try_get_context("account"), region=app.node.try_get_context("region"))
    prefix = f"Quantcloud-{stage}"
    network = NetworkStack(app, f"{prefix}-Network", env=env)
    data = DataStack(app, f"{prefix}-Data", network=network, env=env)
    websocket = WebSocketStack(app, f"{prefix}-WebSocket", stage=stage, network=network, data=data, env=env)
    backtest = BacktestStack(app, f"{prefix}-Backtest", network=network, data=data, websocket=websocket, env=env)
    http = HttpApiStack(app, f"{prefix}-HttpApi", stage=stage, network=network, data=data, backtest=backtest, env=env)
    daemon = DaemonStack(app, f"{prefix}-Daemon", network=network, data=data, websocket=websocket, env=env)
    return {"network": network, "data": data, "backtest": backtest, "http": http,
            "websocket": websocket, "daemon": daemon}


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()

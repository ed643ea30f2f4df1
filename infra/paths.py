"""Where the CDK app finds what it deploys. Handlers are named by path, never imported."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASL_PATH = ROOT / "infra" / "statemachines" / "backtest.asl.json"
LAMBDA_DOCKERFILE = "functions/Dockerfile"
DAEMON_DOCKERFILE = "gateway_daemon/Dockerfile"

# files the container images never need (the asset is the repository root)
ASSET_EXCLUDE = [
    ".git", ".venv", "cdk.out", "**/__pycache__", ".pytest_cache", "tests", "*.egg-info", ".state",
]

HANDLERS = {
    "api": "functions.api.handler.handler",
    "ws_authorizer": "functions.ws.authorizer.handler",
    "ws_connect": "functions.ws.connect.handler",
    "ws_default": "functions.ws.default.handler",
    "ws_disconnect": "functions.ws.disconnect.handler",
    "backtest_plan": "functions.backtest.plan.handler",
    "backtest_worker": "functions.backtest.worker.handler",
    "backtest_reduce": "functions.backtest.reduce.handler",
    "backtest_failed": "functions.backtest.failed.handler",
}

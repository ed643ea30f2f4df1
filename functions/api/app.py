"""The HTTP API as one FastAPI app; ``handler.py`` wraps it for Lambda.

Behind API Gateway the stage (``settings.api_stage``, e.g. ``/dev``) prefixes
every path. Mangum strips it from the path; the app reports it as the ASGI
``root_path``, so /docs points at ``/dev/openapi.json`` and the OpenAPI
``servers`` entry is ``/dev``.
"""
from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from functions.api import errors
from functions.api.routers import auth, backtests, health, market
from shared.settings import Settings

DESCRIPTION = """
Serverless backend for quantitative trading of Chinese futures.

* Log in with `POST /auth/login`, then send `Authorization: Bearer <access_token>`.
* Every error answers `{"error": {"code", "message", "details"}}` with a 4xx/5xx status.
* Times are ISO 8601 in Asia/Shanghai (+08:00); a bar's `ts` is its start.
"""


def stage_prefix(stage: str) -> str:
    """``"dev"``, ``"/dev"``, ``"/dev/"`` -> ``"/dev"``; ``""`` or ``"/"`` -> ``""``."""
    stage = stage.strip().strip("/")
    return f"/{stage}" if stage else ""


class StageRootPath:
    """Sets the ASGI ``root_path`` to the stage (FastAPI's own ``root_path`` argument is deprecated)."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not scope.get("root_path"):
            scope["root_path"] = self.root_path
        await self.app(scope, receive, send)


def create_app(settings: Settings) -> FastAPI:
    # no redirect for a trailing slash: behind the stage its Location would lose /dev; a 404 says what is wrong
    app = FastAPI(title="quantcloud", version="0.1.0", description=DESCRIPTION, redirect_slashes=False)
    app.state.settings = settings
    for router in (health.router, auth.router, market.router, backtests.router):
        app.include_router(router)
    errors.install(app)
    prefix = stage_prefix(settings.api_stage)
    if prefix:
        app.add_middleware(StageRootPath, root_path=prefix)
    return app

"""The Lambda entry point: API Gateway HTTP API (v2) events -> the FastAPI app.

The app is built on the first event, not at import, so the settings come
from the environment the function actually runs with.
"""
from __future__ import annotations

import functools
from typing import Any

from mangum import Mangum

from functions.api.app import create_app, stage_prefix
from shared.settings import get_settings


@functools.cache
def _adapter() -> Mangum:
    settings = get_settings()
    return Mangum(create_app(settings), lifespan="off",
                  api_gateway_base_path=stage_prefix(settings.api_stage) or "/")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _adapter()(event, context)


def reset() -> None:
    """Forget the app (tests that change the settings between cases)."""
    _adapter.cache_clear()

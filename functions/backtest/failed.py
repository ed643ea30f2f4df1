"""MarkFailed: store why the execution failed, as a sentence a user can read.

Input {"backtest_id", "error": {"Error", "Cause"}} as a Step Functions Catch produces it.
A Lambda error's Cause is JSON with errorType and errorMessage; other causes are plain text.
"""
from __future__ import annotations

import json
from typing import Any

from functions.backtest import runtime
from shared.adapters.pg_backtests import set_failed

MAX_ERROR_CHARS = 2000


def describe(error: dict[str, Any] | None) -> str:
    error = error or {}
    name, cause = error.get("Error") or "Error", error.get("Cause") or ""
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        parsed = None
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        text = f"{parsed.get('errorType') or name}: {parsed['errorMessage']}"
    else:
        text = f"{name}: {cause}" if cause else name
    return text[:MAX_ERROR_CHARS]


def handler(event: dict[str, Any], context: object) -> dict[str, str]:
    backtest_id = str(event["backtest_id"])
    message = describe(event.get("error"))
    set_failed(runtime.db(), backtest_id, message)
    return {"backtest_id": backtest_id, "status": "FAILED", "error": message}

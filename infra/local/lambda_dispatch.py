"""Make moto's Lambda run our real handlers, in process.

moto's simple Lambda backend (``lambda.use_docker`` off) answers every invoke with a
canned payload. ``install`` replaces its ``invoke`` so that invoking function NAME
(or its ARN) runs ``handlers[NAME](event, None)`` and returns the JSON result;
an exception becomes a Lambda function error shaped as on AWS
(``{"errorType", "errorMessage", "stackTrace"}``), which Step Functions sees as a
task failure named ``errorType``. Functions not in ``handlers`` keep moto's behaviour.
"""
from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend

log = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]
_handlers: dict[str, Handler] = {}
_moto_invoke = LambdaSimpleBackend.invoke


def install(handlers: Mapping[str, Handler]) -> None:
    """Route invokes of these function names to these callables (adds to earlier installs)."""
    _handlers.update(handlers)
    LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]


def uninstall() -> None:
    """Forget every handler and give moto its own ``invoke`` back."""
    _handlers.clear()
    LambdaSimpleBackend.invoke = _moto_invoke  # type: ignore[method-assign]


@contextmanager
def dispatching(handlers: Mapping[str, Handler]) -> Iterator[None]:
    """``install`` for a block, then put back exactly what was installed before (for tests)."""
    saved, patched = dict(_handlers), LambdaSimpleBackend.invoke
    install(handlers)
    try:
        yield
    finally:
        _handlers.clear()
        _handlers.update(saved)
        LambdaSimpleBackend.invoke = patched  # type: ignore[method-assign]


def function_name(name_or_arn: str) -> str:
    # arn:aws:lambda:region:account:function:NAME[:qualifier]
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":")[6]
    return name_or_arn.split(":")[0]


def _invoke(self: LambdaSimpleBackend, function_name_or_arn: str, qualifier: str | None, body: Any,
            headers: Any, response_headers: Any) -> bytes | str | None:
    handler = _handlers.get(function_name(function_name_or_arn))
    if handler is None:
        return _moto_invoke(self, function_name_or_arn, qualifier, body, headers, response_headers)
    event = json.loads(body) if body else {}
    try:
        result = handler(event, None)
    except Exception as exc:  # what the Lambda runtime does with an unhandled exception
        log.warning("lambda %s failed", function_name_or_arn, exc_info=True)
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({
            "errorType": type(exc).__name__,
            "errorMessage": getattr(exc, "message", None) or str(exc),
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }).encode()
    return json.dumps(result).encode()

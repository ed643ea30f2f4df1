import json

from functions.backtest.failed import describe
from infra.local.lambda_dispatch import function_name


def test_lambda_error_becomes_type_and_message() -> None:
    cause = json.dumps({"errorType": "UnknownInstrument", "errorMessage": "unknown instrument 'zz'",
                        "stackTrace": ["..."]})
    assert describe({"Error": "UnknownInstrument", "Cause": cause}) == "UnknownInstrument: unknown instrument 'zz'"


def test_states_error_keeps_its_plain_cause() -> None:
    assert describe({"Error": "States.Timeout", "Cause": "task timed out after 900 s"}) == \
        "States.Timeout: task timed out after 900 s"
    assert describe({"Error": "States.Runtime"}) == "States.Runtime"
    assert describe(None) == "Error"


def test_function_name_from_name_or_arn() -> None:
    assert function_name("arn:aws-cn:lambda:cn-north-1:123456789012:function:quantcloud-backtest-plan") == \
        "quantcloud-backtest-plan"
    assert function_name("arn:aws:lambda:us-east-1:1:function:f:live") == "f"
    assert function_name("f") == "f"


def test_dispatching_restores_what_was_installed_before() -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    from infra.local import lambda_dispatch

    before, installed = LambdaSimpleBackend.invoke, dict(lambda_dispatch._handlers)  # e.g. by an e2e fixture
    outer, inner = (lambda e, c: "outer"), (lambda e, c: "inner")
    with lambda_dispatch.dispatching({"f": outer}):
        with lambda_dispatch.dispatching({"f": inner, "g": inner}):
            assert lambda_dispatch._handlers == {**installed, "f": inner, "g": inner}
        assert lambda_dispatch._handlers == {**installed, "f": outer}
    assert LambdaSimpleBackend.invoke is before
    assert lambda_dispatch._handlers == installed

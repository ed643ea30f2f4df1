"""Create in moto what the CDK app creates on AWS, for the local emulation and the tests.

``provision(settings)`` makes the backtest bucket, the WebSocket DynamoDB tables, the JWT
secret, the four backtest Lambda functions (a placeholder zip: ``lambda_dispatch`` runs the
real handlers) and the state machine from the same ASL file CDK deploys. Safe to run twice.
"""
from __future__ import annotations

import importlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from infra.paths import ASL_PATH, HANDLERS
from shared.adapters.aws import client
from shared.adapters.secrets import create_jwt_secret
from shared.settings import Settings

STATE_MACHINE_NAME = "quantcloud-backtest"
ROLE_NAME = "quantcloud-local"
# Lambda function name -> its key in infra.paths.HANDLERS, and the ASL placeholder it fills
BACKTEST_FUNCTIONS = {
    "quantcloud-backtest-plan": ("backtest_plan", "PlanArn"),
    "quantcloud-backtest-worker": ("backtest_worker", "WorkerArn"),
    "quantcloud-backtest-reduce": ("backtest_reduce", "ReduceArn"),
    "quantcloud-backtest-failed": ("backtest_failed", "FailedArn"),
}


def backtest_handlers() -> dict[str, Callable[[Any, Any], Any]]:
    """Function name -> the real handler, for ``lambda_dispatch.install``."""
    handlers = {}
    for name, (key, _) in BACKTEST_FUNCTIONS.items():
        module, attr = HANDLERS[key].rsplit(".", 1)
        handlers[name] = getattr(importlib.import_module(module), attr)
    return handlers


def provision(settings: Settings) -> dict[str, Any]:
    aws = {"region": settings.aws_region, "endpoint_url": settings.aws_endpoint_url}
    _bucket(client("s3", **aws), settings.backtest_bucket, settings.aws_region)
    ddb = client("dynamodb", **aws)
    _table(ddb, settings.connections_table, [("connection_id", "HASH")])
    _table(ddb, settings.subscriptions_table, [("topic", "HASH"), ("connection_id", "RANGE")])
    create_jwt_secret(client("secretsmanager", **aws), settings.jwt_secret_id)
    role_arn = _role(client("iam", **aws))
    lam = client("lambda", **aws)
    arns = {placeholder: _function(lam, name, HANDLERS[key], role_arn)
            for name, (key, placeholder) in BACKTEST_FUNCTIONS.items()}
    substitutions = {**arns, "ResultsBucket": settings.backtest_bucket}
    machine_arn = _state_machine(client("stepfunctions", **aws), _definition(substitutions), role_arn)
    return {"state_machine_arn": machine_arn, "bucket": settings.backtest_bucket,
            "functions": {name: arns[p] for name, (_, p) in BACKTEST_FUNCTIONS.items()}}


def _definition(arns: dict[str, str]) -> str:
    text = ASL_PATH.read_text()
    for placeholder, arn in arns.items():
        text = text.replace("${" + placeholder + "}", arn)
    json.loads(text)  # every placeholder sits inside a JSON string: still valid
    return text


def _already(exc: ClientError, *codes: str) -> bool:
    return exc.response.get("Error", {}).get("Code") in codes


def _bucket(s3: Any, bucket: str, region: str) -> None:
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as exc:
        if not _already(exc, "BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def _table(ddb: Any, name: str, keys: list[tuple[str, str]]) -> None:
    try:
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": a, "KeyType": t} for a, t in keys],
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a, _ in keys],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as exc:
        if not _already(exc, "ResourceInUseException"):
            raise


def _role(iam: Any) -> str:
    try:
        return iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
    except ClientError as exc:
        if not _already(exc, "NoSuchEntity"):
            raise
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
        "Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}}]}
    return iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def _placeholder_zip(handler_path: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("README.txt", f"local placeholder: infra.local.lambda_dispatch runs {handler_path}\n")
    return buffer.getvalue()


def _function(lam: Any, name: str, handler_path: str, role_arn: str) -> str:
    try:
        return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    except ClientError as exc:
        if not _already(exc, "ResourceNotFoundException"):
            raise
    created = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn, Handler=handler_path,
        Code={"ZipFile": _placeholder_zip(handler_path)}, Timeout=900,
    )
    return created["FunctionArn"]


def _state_machine(sfn: Any, definition: str, role_arn: str) -> str:
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == STATE_MACHINE_NAME:
                sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition)
                return machine["stateMachineArn"]
    return sfn.create_state_machine(name=STATE_MACHINE_NAME, definition=definition, roleArn=role_arn)["stateMachineArn"]

"""The CDK app synthesises offline, and what it deploys matches what runs locally."""
from __future__ import annotations

import ast
import json
import os
import string
from pathlib import Path

import pytest

# jsii prints a banner per process on Node 20 (end of life for it since 2026-10); synth still works
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
cdk = pytest.importorskip("aws_cdk")
from aws_cdk.assertions import Match, Template  # noqa: E402

from infra.app import build  # noqa: E402
from infra.paths import ASL_PATH, HANDLERS, ROOT  # noqa: E402

pytestmark = pytest.mark.cdk


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    app = cdk.App(context={"stage": "dev"})
    stacks = build(app)
    return {name: Template.from_stack(stack) for name, stack in stacks.items()}  # type: ignore[arg-type]


def test_state_machine_is_the_asl_file_the_local_emulation_runs(templates: dict[str, Template]) -> None:
    machines = templates["backtest"].find_resources("AWS::StepFunctions::StateMachine")
    (machine,) = machines.values()
    assert machine["Properties"]["DefinitionString"] == ASL_PATH.read_text()
    substitutions = machine["Properties"]["DefinitionSubstitutions"]
    assert set(substitutions) == {"PlanArn", "WorkerArn", "ReduceArn", "FailedArn", "ResultsBucket"}
    functions = templates["backtest"].find_resources("AWS::Lambda::Function")
    commands = {name: fn["Properties"]["ImageConfig"]["Command"][0] for name, fn in functions.items()}
    for placeholder, handler in [("PlanArn", "backtest_plan"), ("WorkerArn", "backtest_worker"),
                                 ("ReduceArn", "backtest_reduce"), ("FailedArn", "backtest_failed")]:
        logical_id = substitutions[placeholder]["Fn::GetAtt"][0]
        assert commands[logical_id] == HANDLERS[handler]


def test_every_placeholder_of_the_asl_is_substituted() -> None:
    text = ASL_PATH.read_text()
    json.loads(text)  # valid JSON as written, placeholders are inside strings
    placeholders = {part.split("}", 1)[0] for part in text.split("${")[1:]}
    assert placeholders == {"PlanArn", "WorkerArn", "ReduceArn", "FailedArn", "ResultsBucket"}


def test_distributed_map_may_start_its_own_child_executions(templates: dict[str, Template]) -> None:
    policies = templates["backtest"].find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    starts = [s for s in statements if s["Action"] == "states:StartExecution"]
    assert len(starts) == 1
    assert "stateMachine:" in json.dumps(starts[0]["Resource"]) and "quantcloud-backtest" in json.dumps(starts[0]["Resource"])
    (machine,) = templates["backtest"].find_resources("AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["StateMachineName"].endswith("-quantcloud-backtest")


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_each_handler_path_names_a_real_function(handler: str) -> None:
    module, function = HANDLERS[handler].rsplit(".", 1)
    source = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    tree = ast.parse(source.read_text())
    assert function in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_http_api_serves_the_stage_the_app_strips(templates: dict[str, Template]) -> None:
    http = templates["http"]
    assert http.find_resources("AWS::ApiGatewayV2::Stage", {"Properties": {
        "StageName": "dev", "AutoDeploy": True,
        "DefaultRouteSettings": {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100}}})
    assert http.find_resources("AWS::Lambda::Function", {"Properties": {
        "ImageConfig": {"Command": [HANDLERS["api"]]},
        "Environment": {"Variables": Match.object_like({"QC_API_STAGE": "/dev"})}}})


def test_websocket_connect_is_authorised_by_the_token_in_the_query_string(templates: dict[str, Template]) -> None:
    ws = templates["websocket"]
    ws.has_resource_properties("AWS::ApiGatewayV2::Authorizer", {
        "AuthorizerType": "REQUEST", "IdentitySource": ["route.request.querystring.token"]})
    routes = ws.find_resources("AWS::ApiGatewayV2::Route")
    by_key = {r["Properties"]["RouteKey"]: r["Properties"] for r in routes.values()}
    assert set(by_key) == {"$connect", "$default", "$disconnect"}
    assert by_key["$connect"]["AuthorizationType"] == "CUSTOM"


def test_only_the_websocket_authorizer_runs_in_the_vpc(templates: dict[str, Template]) -> None:
    # it reads the revoked tokens in Redis; the other three touch only DynamoDB and the Management API
    functions = templates["websocket"].find_resources("AWS::Lambda::Function")
    in_vpc = {fn["Properties"]["ImageConfig"]["Command"][0]: "VpcConfig" in fn["Properties"] for fn in functions.values()}
    assert in_vpc == {HANDLERS["ws_authorizer"]: True, HANDLERS["ws_connect"]: False,
                      HANDLERS["ws_default"]: False, HANDLERS["ws_disconnect"]: False}


def test_jwt_key_is_generated_as_32_random_bytes_in_hex(templates: dict[str, Template]) -> None:
    secrets = templates["data"].find_resources("AWS::SecretsManager::Secret")
    generators = [s["Properties"]["GenerateSecretString"] for s in secrets.values()
                  if "access tokens" in s["Properties"].get("Description", "")]
    (gen,) = generators
    assert gen["PasswordLength"] == 64
    allowed = set(string.ascii_letters + string.digits) - set(gen["ExcludeCharacters"])
    assert allowed == set("0123456789abcdef")


def test_daemon_runs_as_exactly_one_task(templates: dict[str, Template]) -> None:
    assert templates["daemon"].find_resources("AWS::ECS::Service", {"Properties": {
        "DesiredCount": 1,
        "DeploymentConfiguration": Match.object_like({"MaximumPercent": 100, "MinimumHealthyPercent": 0})}})


def test_daemon_task_has_two_cpus_for_two_market_data_processes(templates: dict[str, Template]) -> None:
    assert templates["daemon"].find_resources("AWS::ECS::TaskDefinition", {"Properties": {
        "Cpu": "2048",
        "ContainerDefinitions": [Match.object_like({
            "StopTimeout": 60,
            "Environment": Match.array_with([{"Name": "QC_DAEMON_MD_PROCESSES", "Value": "2"}])})]}})



def test_api_may_cancel_backtests_and_read_their_bars(templates: dict[str, Template]) -> None:
    policies = templates["http"].find_resources("AWS::IAM::Policy")
    actions = json.dumps([s["Action"] for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]])
    assert "states:StopExecution" in actions and "s3:GetObject*" in actions


def test_backtest_workers_push_progress_through_the_management_api(templates: dict[str, Template]) -> None:
    functions = templates["backtest"].find_resources("AWS::Lambda::Function")
    worker = next(fn for fn in functions.values() if fn["Properties"]["ImageConfig"]["Command"][0]
                  == HANDLERS["backtest_worker"])
    assert "QC_WS_MANAGEMENT_URL" in worker["Properties"]["Environment"]["Variables"]
    policies = templates["backtest"].find_resources("AWS::IAM::Policy")
    actions = json.dumps([s["Action"] for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]])
    assert "execute-api:ManageConnections" in actions

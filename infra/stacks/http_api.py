"""The HTTP API: one FastAPI Lambda (Mangum) behind an API Gateway HTTP API stage."""
from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from constructs import Construct

from infra.constructs.python_function import PythonFunction
from infra.stacks.backtest import BacktestStack
from infra.stacks.data import DataStack
from infra.stacks.network import NetworkStack


class HttpApiStack(Stack):
    def __init__(self, scope: Construct, id: str, *, stage: str, network: NetworkStack, data: DataStack,
                 backtest: BacktestStack, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        env = data.runtime_environment() | {
            "QC_API_STAGE": f"/{stage}",
            "QC_BACKTEST_STATE_MACHINE_ARN": backtest.state_machine.state_machine_arn,
        }
        api_fn = PythonFunction(self, "Api", handler="api", environment=env,
                                vpc=network.vpc, security_groups=[network.app_sg]).function
        data.database.secret.grant_read(api_fn)
        data.jwt_secret.grant_read(api_fn)
        backtest.state_machine.grant_start_execution(api_fn)
        backtest.state_machine.grant_read(api_fn)
        backtest.state_machine.grant_execution(api_fn, "states:StopExecution")  # POST /backtests/{id}/cancel
        data.results.grant_read(api_fn)  # /trades, /equity, /chart rerun from the staged bars; progress

        self.api = apigw.HttpApi(self, "HttpApi", create_default_stage=False,
                                 default_integration=integrations.HttpLambdaIntegration("Api", api_fn))
        # throttling at the edge: per-Lambda in-memory limits are useless (each instance has its own)
        self.stage = apigw.HttpStage(self, "Stage", http_api=self.api, stage_name=stage, auto_deploy=True,
                                     throttle=apigw.ThrottleSettings(rate_limit=50, burst_limit=100))
        CfnOutput(self, "HttpApiUrl", value=self.stage.url)

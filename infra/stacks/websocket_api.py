"""The WebSocket API: $connect (with its token authorizer), $default and $disconnect Lambdas."""
from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from constructs import Construct

from infra.constructs.python_function import PythonFunction
from infra.stacks.data import DataStack
from infra.stacks.network import NetworkStack


class WebSocketStack(Stack):
    def __init__(self, scope: Construct, id: str, *, stage: str, network: NetworkStack, data: DataStack,
                 **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        env = {k: v for k, v in data.runtime_environment().items() if k != "QC_DATABASE_SECRET_ID"}
        # connect, default and disconnect touch only DynamoDB and the Management API: no VPC, no ENI. The
        # authorizer reads the revoked tokens in Redis, so it runs in the VPC (its NAT reaches Secrets Manager).
        # construct id "Default" is special in CDK (it names a parent's default child): suffix the ids
        in_vpc = {"authorizer": {"vpc": network.vpc, "security_groups": [network.app_sg]}}
        fns = {name: PythonFunction(self, f"{name.title()}Fn", handler=f"ws_{name}", environment=env, memory_mb=512,
                                    **in_vpc.get(name, {})).function  # type: ignore[arg-type]
               for name in ("authorizer", "connect", "default", "disconnect")}
        data.jwt_secret.grant_read(fns["authorizer"])
        for name in ("connect", "default", "disconnect"):
            data.connections.grant_read_write_data(fns[name])
            data.subscriptions.grant_read_write_data(fns[name])

        # browsers cannot set headers on an upgrade: the token comes in the query string
        authorizer = authorizers.WebSocketLambdaAuthorizer(
            "TokenAuthorizer", fns["authorizer"], identity_source=["route.request.querystring.token"])
        self.api = apigw.WebSocketApi(
            self, "WebSocketApi",
            connect_route_options=apigw.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("ConnectIntegration", fns["connect"]), authorizer=authorizer),
            default_route_options=apigw.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("DefaultIntegration", fns["default"])),
            disconnect_route_options=apigw.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("DisconnectIntegration", fns["disconnect"])),
        )
        self.stage = apigw.WebSocketStage(self, "Stage", web_socket_api=self.api, stage_name=stage, auto_deploy=True)
        self.api.grant_manage_connections(fns["default"])
        CfnOutput(self, "WebSocketUrl", value=self.stage.url)
        CfnOutput(self, "ManagementUrl", value=self.stage.callback_url)

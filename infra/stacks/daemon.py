"""The gateway daemon: one long-running Fargate task holding the CTP sessions."""
from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.paths import ASSET_EXCLUDE, DAEMON_DOCKERFILE, ROOT
from infra.stacks.data import DataStack
from infra.stacks.network import NetworkStack
from infra.stacks.websocket_api import WebSocketStack


class DaemonStack(Stack):
    def __init__(self, scope: Construct, id: str, *, network: NetworkStack, data: DataStack,
                 websocket: WebSocketStack, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        # broker id, user, password, AppID, AuthCode and fronts: filled in by the operator
        self.ctp_secret = secretsmanager.Secret(self, "CtpCredentials",
                                                description="CTP broker credentials for the gateway daemon")
        cluster = ecs.Cluster(self, "Cluster", vpc=network.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        # two vCPU: market data runs in two processes (one GIL each; one alone stays under 50k ticks/s)
        task = ecs.FargateTaskDefinition(self, "Task", cpu=2048, memory_limit_mib=4096)
        task.add_container(
            "Daemon",
            image=ecs.ContainerImage.from_asset(str(ROOT), file=DAEMON_DOCKERFILE, exclude=ASSET_EXCLUDE),
            environment=data.runtime_environment() | {
                "QC_WS_MANAGEMENT_URL": websocket.stage.callback_url,
                "QC_CTP_SECRET_ID": self.ctp_secret.secret_arn,
                "QC_DAEMON_MD_PROCESSES": "2",
            },
            logging=ecs.LogDrivers.aws_logs(stream_prefix="daemon", log_retention=logs.RetentionDays.ONE_MONTH),
            stop_timeout=Duration.seconds(60),  # SIGTERM: both processes drain, flush and log out
        )
        data.database.secret.grant_read(task.task_role)
        self.ctp_secret.grant_read(task.task_role)
        data.connections.grant_read_write_data(task.task_role)
        data.subscriptions.grant_read_write_data(task.task_role)
        websocket.api.grant_manage_connections(task.task_role)
        # exactly one session holder: two daemons would log in twice and double every tick
        self.service = ecs.FargateService(
            self, "Service", cluster=cluster, task_definition=task, desired_count=1,
            min_healthy_percent=0, max_healthy_percent=100, security_groups=[network.app_sg],
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True))

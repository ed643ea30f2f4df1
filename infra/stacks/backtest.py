"""The backtest fan-out: plan / worker / reduce Lambdas under one Step Functions machine."""
from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct

from infra.constructs.backtest_machine import BacktestMachine
from infra.constructs.python_function import PythonFunction
from infra.stacks.data import DataStack
from infra.stacks.network import NetworkStack
from infra.stacks.websocket_api import WebSocketStack


class BacktestStack(Stack):
    def __init__(self, scope: Construct, id: str, *, network: NetworkStack, data: DataStack,
                 websocket: WebSocketStack, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        # workers and reduce push progress to backtest.<id> subscribers through the Management API
        env = data.runtime_environment() | {"QC_WS_MANAGEMENT_URL": websocket.stage.callback_url}
        in_vpc = {"vpc": network.vpc, "security_groups": [network.app_sg]}
        fns = {
            # plan reads bars from PostgreSQL and stages them in S3; workers only read S3
            "plan": PythonFunction(self, "Plan", handler="backtest_plan", environment=env, timeout_s=300, **in_vpc),
            "worker": PythonFunction(self, "Worker", handler="backtest_worker", environment=env,
                                     memory_mb=2048, timeout_s=900, **in_vpc),
            "reduce": PythonFunction(self, "Reduce", handler="backtest_reduce", environment=env, timeout_s=300, **in_vpc),
            "failed": PythonFunction(self, "Failed", handler="backtest_failed", environment=env, **in_vpc),
        }
        for name in ("plan", "reduce", "failed"):  # workers never touch the database: S3 only
            data.database.secret.grant_read(fns[name].function)
        for name in ("worker", "reduce"):
            websocket.api.grant_manage_connections(fns[name].function)
            data.subscriptions.grant_read_write_data(fns[name].function)  # read subscribers, drop gone ones
            data.connections.grant_read_write_data(fns[name].function)
        self.machine = BacktestMachine(
            self, "Machine", plan=fns["plan"].function, worker=fns["worker"].function,
            reduce=fns["reduce"].function, failed=fns["failed"].function, results=data.results)
        self.state_machine = self.machine.state_machine

"""Plan, Map(worker), reduce: the very ASL file that infra/local runs under moto."""
from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.paths import ASL_PATH

STATE_MACHINE_NAME = "quantcloud-backtest"


class BacktestMachine(Construct):
    def __init__(self, scope: Construct, id: str, *, plan: lambda_.IFunction, worker: lambda_.IFunction,
                 reduce: lambda_.IFunction, failed: lambda_.IFunction, results: s3.IBucket) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        name = f"{stack.stack_name}-{STATE_MACHINE_NAME}"
        self.state_machine = sfn.StateMachine(
            self, "StateMachine",
            # a fixed name, so the policy below can name the machine without referring to itself
            state_machine_name=name,
            # inline, so the template itself shows (and tests check) the very text of the file
            definition_body=sfn.DefinitionBody.from_string(ASL_PATH.read_text()),
            definition_substitutions={
                "PlanArn": plan.function_arn, "WorkerArn": worker.function_arn,
                "ReduceArn": reduce.function_arn, "FailedArn": failed.function_arn,
                "ResultsBucket": results.bucket_name,
            },
        )
        for fn in (plan, worker, reduce, failed):
            fn.grant_invoke(self.state_machine)
        # the Distributed Map reads the shard list (ItemReader), writes its manifest (ResultWriter)
        # and runs each shard as a child execution of this same machine
        results.grant_read_write(self.state_machine)
        machine_arn = stack.format_arn(service="states", resource="stateMachine", resource_name=name,
                                       arn_format=ArnFormat.COLON_RESOURCE_NAME)
        execution_arn = stack.format_arn(service="states", resource="execution", resource_name=f"{name}/*",
                                         arn_format=ArnFormat.COLON_RESOURCE_NAME)
        self.state_machine.add_to_role_policy(iam.PolicyStatement(
            actions=["states:StartExecution"], resources=[machine_arn]))
        self.state_machine.add_to_role_policy(iam.PolicyStatement(
            actions=["states:DescribeExecution", "states:StopExecution"], resources=[execution_arn]))
        results.grant_read_write(plan)
        results.grant_read_write(worker)
        results.grant_read(reduce)

"""Plan, Map(worker), reduce: the very ASL file that infra/local runs under moto."""
from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.paths import ASL_PATH


class BacktestMachine(Construct):
    def __init__(self, scope: Construct, id: str, *, plan: lambda_.IFunction, worker: lambda_.IFunction,
                 reduce: lambda_.IFunction, failed: lambda_.IFunction, results: s3.IBucket) -> None:
        super().__init__(scope, id)
        self.state_machine = sfn.StateMachine(
            self, "StateMachine",
            # inline, so the template itself shows (and tests check) the very text of the file
            definition_body=sfn.DefinitionBody.from_string(ASL_PATH.read_text()),
            definition_substitutions={
                "PlanArn": plan.function_arn, "WorkerArn": worker.function_arn,
                "ReduceArn": reduce.function_arn, "FailedArn": failed.function_arn,
            },
        )
        for fn in (plan, worker, reduce, failed):
            fn.grant_invoke(self.state_machine)
        results.grant_read_write(plan)
        results.grant_read_write(worker)
        results.grant_read(reduce)

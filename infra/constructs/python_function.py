"""One container image for every Lambda; each function only picks its handler.

numpy, pandas and numba together exceed the 250 MB limit of a zip package, so
the functions ship as an image (functions/Dockerfile), built once and shared.
"""
from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.paths import ASSET_EXCLUDE, HANDLERS, LAMBDA_DOCKERFILE, ROOT


class PythonFunction(Construct):
    """A Lambda running one of our handlers (a key of ``infra.paths.HANDLERS``)."""

    def __init__(self, scope: Construct, id: str, *, handler: str, environment: Mapping[str, str],
                 vpc: ec2.IVpc | None = None, security_groups: list[ec2.ISecurityGroup] | None = None,
                 memory_mb: int = 1024, timeout_s: int = 30) -> None:
        super().__init__(scope, id)
        self.function = lambda_.DockerImageFunction(
            self, "Function",
            code=lambda_.DockerImageCode.from_image_asset(
                str(ROOT), file=LAMBDA_DOCKERFILE, cmd=[HANDLERS[handler]], exclude=ASSET_EXCLUDE),
            architecture=lambda_.Architecture.X86_64,
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_s),
            environment=dict(environment),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS) if vpc else None,
            security_groups=security_groups,
        )

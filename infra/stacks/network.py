"""The VPC and the security groups that say who may reach the database and Redis."""
from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from constructs import Construct


class NetworkStack(Stack):
    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        self.vpc = ec2.Vpc(self, "Vpc", max_azs=2, nat_gateways=1)
        # Lambdas and the daemon are the only clients of PostgreSQL and Redis
        self.app_sg = ec2.SecurityGroup(self, "AppSg", vpc=self.vpc, description="quantcloud Lambdas and daemon")
        self.db_sg = ec2.SecurityGroup(self, "DbSg", vpc=self.vpc, description="PostgreSQL")
        self.cache_sg = ec2.SecurityGroup(self, "CacheSg", vpc=self.vpc, description="Redis")
        self.db_sg.add_ingress_rule(self.app_sg, ec2.Port.tcp(5432), "app to PostgreSQL")
        self.cache_sg.add_ingress_rule(self.app_sg, ec2.Port.tcp(6379), "app to Redis")

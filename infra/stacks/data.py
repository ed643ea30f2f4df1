"""State: PostgreSQL (bars, ticks, users, orders), Redis, the results bucket,
the WebSocket connection tables and the JWT key."""
from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.stacks.network import NetworkStack

# 64 characters from [0-9a-f]: 32 random bytes, hex-encoded, as shared.adapters.secrets expects
_NOT_HEX = "ghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class DataStack(Stack):
    def __init__(self, scope: Construct, id: str, *, network: NetworkStack, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

        self.database = rds.DatabaseInstance(
            self, "Postgres",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.MEDIUM),
            vpc=network.vpc, vpc_subnets=private, security_groups=[network.db_sg],
            database_name="quantcloud",
            credentials=rds.Credentials.from_generated_secret("quantcloud"),
            allocated_storage=50, storage_encrypted=True,
            backup_retention=Duration.days(7),
            removal_policy=RemovalPolicy.SNAPSHOT,
        )

        subnets = elasticache.CfnSubnetGroup(
            self, "RedisSubnets", description="quantcloud Redis",
            subnet_ids=network.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids)
        self.redis = elasticache.CfnReplicationGroup(
            self, "Redis", replication_group_description="quantcloud ticks, snapshots, revoked tokens",
            engine="redis", cache_node_type="cache.t4g.small", num_cache_clusters=1,
            cache_subnet_group_name=subnets.ref, security_group_ids=[network.cache_sg.security_group_id],
            transit_encryption_enabled=False)
        self.redis_url = f"redis://{self.redis.attr_primary_end_point_address}:{self.redis.attr_primary_end_point_port}/0"

        self.results = s3.Bucket(
            self, "BacktestResults", encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))])

        self.connections = dynamodb.Table(
            self, "WsConnections", billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            partition_key=dynamodb.Attribute(name="connection_id", type=dynamodb.AttributeType.STRING))
        self.subscriptions = dynamodb.Table(
            self, "WsSubscriptions", billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            partition_key=dynamodb.Attribute(name="topic", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="connection_id", type=dynamodb.AttributeType.STRING))

        self.jwt_secret = secretsmanager.Secret(
            self, "JwtKey", description="HS256 key for quantcloud access tokens (32 random bytes, hex)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False,
                exclude_characters=_NOT_HEX))

    def runtime_environment(self) -> dict[str, str]:
        """Settings every handler and the daemon read (``shared.settings.Settings``, prefix QC_)."""
        return {
            "QC_DATABASE_SECRET_ID": self.database.secret.secret_arn,
            "QC_REDIS_URL": self.redis_url,
            "QC_JWT_SECRET_ID": self.jwt_secret.secret_arn,
            "QC_BACKTEST_BUCKET": self.results.bucket_name,
            "QC_CONNECTIONS_TABLE": self.connections.table_name,
            "QC_SUBSCRIPTIONS_TABLE": self.subscriptions.table_name,
            "QC_AWS_REGION": self.region,
        }

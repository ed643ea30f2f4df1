"""boto3 clients built once per container, pointed at moto locally.

``endpoint_url`` comes from the settings: ``None`` on AWS, moto's address
in the local emulation and the tests.
"""
from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config


@functools.cache
def client(service: str, region: str, endpoint_url: str | None = None) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )


def resource(service: str, region: str, endpoint_url: str | None = None) -> Any:
    return boto3.resource(service, region_name=region, endpoint_url=endpoint_url)

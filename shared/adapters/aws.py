"""AWS clients built once per container, pointed at moto locally.

``endpoint_url`` comes from the settings: ``None`` on AWS, moto's address
in the local emulation and the tests. Clients come from botocore directly:
boto3 adds only resources and s3transfer, which we do not use and which cost
a Lambda cold start about 0.1 s of imports.
"""
from __future__ import annotations

import functools
from typing import Any

import botocore.session
from botocore.config import Config


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def client(service: str, region: str, endpoint_url: str | None = None) -> Any:
    return _session().create_client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )

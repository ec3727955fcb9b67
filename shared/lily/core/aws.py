"""boto3 clients, created once per process and honouring ``AWS_ENDPOINT_URL`` (moto, LocalStack)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from lily.core.config import get_settings, on_reset

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@cache
def _client(service: str, region: str, endpoint: str | None) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint, config=_CONFIG)


def client(service: str) -> Any:
    s = get_settings()
    return _client(service, s.region, s.aws_endpoint_url)


on_reset(_client.cache_clear)

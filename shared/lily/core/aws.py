"""boto3 clients and the one botocore session behind them (and behind every table), honouring ``AWS_ENDPOINT_URL``.

botocore parses its data files (a service's model, the endpoint rules, the partitions) once per session. boto3's
default session and pynamodb, which gives each table model a session and a DynamoDB client of its own, would parse
the DynamoDB model once per table a request touches and once more for boto3 (pynamodb#1245): 40 to 60 ms of CPU
each in a fresh environment. Here the process has one botocore session, whose loader outlives settings resets,
and every client is made from it: :func:`client` for boto3 and :class:`lily.core.db.LilyModel` for the tables
(``tests/bench/aws_clients.py`` measures both ways).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config

from lily.core.config import get_settings, on_reset

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
# A botocore session is not thread-safe (its clients are): clients are made one at a time.
CLIENT_LOCK = threading.RLock()


@cache
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()  # botocore's data files, parsed once per process


@cache
def botocore_session() -> botocore.session.Session:
    """The process's botocore session (a new one after a settings reset; the parsed data files stay)."""
    session = botocore.session.get_session()
    session.register_component("data_loader", _loader())
    return session


@cache
def _boto3_session() -> boto3.Session:
    return boto3.Session(botocore_session=botocore_session())


@cache
def _client(service: str, region: str, endpoint: str | None) -> Any:
    with CLIENT_LOCK:
        return _boto3_session().client(service, region_name=region, endpoint_url=endpoint, config=_CONFIG)


def client(service: str) -> Any:
    s = get_settings()
    return _client(service, s.region, s.aws_endpoint_url)


on_reset(_client.cache_clear)
on_reset(_boto3_session.cache_clear)
on_reset(botocore_session.cache_clear)

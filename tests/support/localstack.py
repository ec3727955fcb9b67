"""``make test-localstack``: the emulator is LocalStack in Docker (through pytest-localstack) instead of moto.

Enabled by ``LILY_TEST_LOCALSTACK=1`` (the Makefile target sets it after checking that Docker answers). The
``emulator`` fixture then starts one LocalStack container per test process with the services Lily provisions
(DynamoDB, SQS, S3, KMS, Secrets Manager) and OpenSearch, and the vector conformance suite adds an adapter
against a LocalStack OpenSearch domain.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

SERVICES = ["dynamodb", "sqs", "s3", "kms", "secretsmanager", "opensearch"]


def enabled() -> bool:
    return os.environ.get("LILY_TEST_LOCALSTACK") == "1"


@contextmanager
def localstack() -> Iterator[str]:
    """A running LocalStack container; yields its edge endpoint (every service on one port)."""
    import docker
    from pytest_localstack.session import LocalstackSession

    session = LocalstackSession(docker.from_env(), services=SERVICES, region_name="us-east-1",
                                localstack_version=os.environ.get("LILY_LOCALSTACK_VERSION", "4.14"))
    session.start(timeout=180)
    try:
        yield session.endpoint_url("dynamodb")
    finally:
        session.stop()


def opensearch_endpoint(name: str, timeout_s: float = 600) -> str:
    """Create (or find) a LocalStack OpenSearch domain ``name`` and return its endpoint once it is up."""
    from lily.core.aws import client

    api = client("opensearch")
    try:
        api.create_domain(DomainName=name)
    except api.exceptions.ResourceAlreadyExistsException:
        pass
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = api.describe_domain(DomainName=name)["DomainStatus"]
        if not status.get("Processing") and status.get("Endpoint"):
            endpoint = status["Endpoint"]
            return endpoint if endpoint.startswith("http") else f"http://{endpoint}"
        time.sleep(5)
    raise TimeoutError(f"LocalStack OpenSearch domain {name} did not come up in {timeout_s} s")

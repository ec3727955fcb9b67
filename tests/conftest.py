"""Shared fixtures.

- ``emulator``: one moto server per test process (per xdist worker), with local-mode environment.
- ``lily_env``: a fresh, fully provisioned deployment (unique resource prefix) for one test.
- ``http``: a TestClient over the local gateway that serves every HTTP function, as ``make run`` does.
"""

from __future__ import annotations

import itertools
import os
import uuid

import pytest

from lily.local.runner import LOCAL_DEFAULTS

# Environment for every test process: emulator credentials, no tracing, no EMF noise.
for _k, _v in LOCAL_DEFAULTS.items():
    os.environ.setdefault(_k, _v)
os.environ.pop("AWS_PROFILE", None)

_counter = itertools.count()


@pytest.fixture(scope="session")
def emulator():
    """A moto server for this test process (LocalStack under ``make test-localstack``); sets ``AWS_ENDPOINT_URL``."""
    import logging

    from tests.support import localstack

    if localstack.enabled():
        with localstack.localstack() as endpoint:
            os.environ["AWS_ENDPOINT_URL"] = endpoint
            yield endpoint
            os.environ.pop("AWS_ENDPOINT_URL", None)
        return

    from moto.server import ThreadedMotoServer

    from lily.local.runner import free_port

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    yield os.environ["AWS_ENDPOINT_URL"]
    server.stop()
    os.environ.pop("AWS_ENDPOINT_URL", None)


def deployment_env(name: str) -> dict[str, str]:
    """The LILY_* variables of an isolated deployment named ``name``."""
    return {
        "LILY_RESOURCE_PREFIX": f"lily-{name}-",
        "LILY_KMS_KEY_ID": f"alias/lily-{name}-data",
        "LILY_MEDIA_BUCKET": f"lily-{name}-media",
        "LILY_STAGE": "test",
    }


@pytest.fixture
def lily_env(emulator, monkeypatch):
    """A provisioned, isolated deployment for one test; yields the core settings."""
    from lily.core import clock
    from lily.core.config import get_settings, reset_settings
    from lily.local.provision import provision

    name = f"t{os.getpid()}x{next(_counter)}{uuid.uuid4().hex[:4]}"
    for k, v in deployment_env(name).items():
        monkeypatch.setenv(k, v)
    reset_settings()
    provision()
    yield get_settings()
    clock.reset()
    reset_settings()


@pytest.fixture
def local_suite(lily_env):
    """Every function loaded as local mode loads it (gateway, pollers, schedule clocks)."""
    from lily.local.runner import build_suite

    suite = build_suite()
    yield suite
    suite.shutdown()


@pytest.fixture
def http(local_suite):
    """An HTTP client over the local gateway (every HTTP function under its prefix)."""
    from fastapi.testclient import TestClient

    with TestClient(local_suite.gateway, base_url="https://testserver") as client:
        yield client

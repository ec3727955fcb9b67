"""Shared fixtures.

- ``emulator``: one emulator per test process (per xdist worker): local mode's own (moto, writes serialized per
  item, keep-alive HTTP; :func:`lily.local.emulator.start_server`), with local-mode environment.
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

    from lily.local.emulator import start_server
    from lily.local.runner import free_port

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = start_server(port)  # as local mode serves it: keep-alive (moto's werkzeug server closes each one)
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
    from tests.support import localstack

    if localstack.enabled():
        provision()
    else:  # the in-process emulator: this worker's first deployment's creations, replayed (~0.5 s less per test)
        from tests.support import fast_provision

        fast_provision.provision(deployment_env(name)["LILY_RESOURCE_PREFIX"])
    yield get_settings()
    clock.reset()
    reset_settings()

    if not localstack.enabled():
        from tests.support.emulator_reset import forget_deployment

        forget_deployment(deployment_env(name)["LILY_RESOURCE_PREFIX"])


@pytest.fixture
def local_suite(lily_env, monkeypatch):
    """Every function loaded as local mode loads it (gateway, pollers, schedule clocks)."""
    from lily.local import provision
    from lily.local.runner import build_suite

    # build_suite provisions the deployment first; lily_env just did (again would be ~70 answered no-op calls)
    monkeypatch.setattr(provision, "provision", lambda: {})
    suite = build_suite(lazy=True)  # each function imported at its first use
    yield suite
    suite.shutdown()


@pytest.fixture
def http(local_suite):
    """An HTTP client over the local gateway (every HTTP function under its prefix)."""
    from fastapi.testclient import TestClient

    with TestClient(local_suite.gateway, base_url="https://testserver") as client:
        yield client


class EmfCapture:
    """The EMF documents Powertools printed while the test ran (``emf`` fixture)."""

    def __init__(self, capsys) -> None:
        self._capsys = capsys
        self.documents: list[dict] = []

    def read(self) -> list[dict]:
        import json

        for line in self._capsys.readouterr().out.splitlines():
            line = line.strip()
            if line.startswith("{") and '"_aws"' in line:
                self.documents.append(json.loads(line))
        return self.documents

    def find(self, name: str, **dims: str) -> list[dict]:
        """The documents that carry metric ``name`` (declared in their CloudWatchMetrics directive, with every
        one of ``dims`` as a declared dimension of that value)."""
        found = []
        for doc in self.read():
            for directive in doc["_aws"]["CloudWatchMetrics"]:
                declared = {d for dimset in directive["Dimensions"] for d in dimset}
                if name in {m["Name"] for m in directive["Metrics"]} and set(dims) <= declared and all(
                        str(doc.get(k)) == str(v) for k, v in dims.items()) and name in doc:
                    found.append(doc)
        return found


@pytest.fixture
def emf(monkeypatch, capsys):
    """Turn EMF output on (tests run with it off) and capture it: ``emf.find("publish_lag_seconds", platform="x")``."""
    from lily.core import observability

    monkeypatch.setattr(observability, "_EMF_ENABLED", True)
    return EmfCapture(capsys)

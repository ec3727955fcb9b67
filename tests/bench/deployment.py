"""A bench's own local deployment: its settings, and the emulator in a process of its own (moto on the other core,
off Lily's GIL), and an enterprise organization on it with the X and LinkedIn sandboxes: what the publishing,
emulator-memory and privacy benches run on."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import SimpleNamespace


def local_deployment(name: str) -> None:
    """Local mode's settings for a deployment named ``name`` (``lily-<name>-*`` resources), logging at WARNING
    unless the environment says otherwise. Call it first: Lily's logger reads the level once."""
    os.environ.setdefault("LILY_LOG_LEVEL", "WARNING")
    from lily.local.runner import apply_local_defaults

    apply_local_defaults({"LILY_RESOURCE_PREFIX": f"lily-{name}-", "LILY_MEDIA_BUCKET": f"lily-{name}-media",
                          "LILY_KMS_KEY_ID": f"alias/lily-{name}-data"})


def emulator_process():
    """The emulator in a process of its own on a free port, with ``AWS_ENDPOINT_URL`` pointing at it."""
    from lily.local.emulator import EmulatorProcess
    from lily.local.net import free_port

    emulator = EmulatorProcess(free_port())
    os.environ["AWS_ENDPOINT_URL"] = emulator.url
    return emulator


@contextlib.contextmanager
def enterprise_org() -> Iterator[SimpleNamespace]:
    """The X and LinkedIn sandboxes, the local suite against the emulator already set up, and an organization on
    the enterprise plan with its owner signed in (``http``, ``suite``, ``sandboxes``, ``headers``, ``org_id``);
    all but the emulator are stopped on exit."""
    from fastapi.testclient import TestClient

    from lily.billing.models import Subscription
    from lily.local.runner import build_suite
    from lily.local.sandboxes import linkedin, x
    from tests.reliability import harness
    from tests.support.identity import create_org, register_user

    sandboxes = {"x": x.start(), "linkedin": linkedin.start()}
    os.environ.update({k: v for sb in sandboxes.values() for k, v in sb.env.items()} | harness.ENV)
    suite = build_suite()
    try:
        with TestClient(suite.gateway, base_url="https://testserver") as http:
            user = register_user(http)
            org_id = create_org(http, user["headers"])
            Subscription(org_id, plan_id="enterprise", applied_plan_id="enterprise", status="active").save()
            yield SimpleNamespace(http=http, suite=suite, sandboxes=sandboxes, headers=user["headers"], org_id=org_id)
    finally:
        suite.shutdown()
        for sb in sandboxes.values():
            sb.stop()

"""Provision a test's deployment without ~155 HTTP calls: replay, in the in-process emulator, the table and queue
creations that provisioning one deployment the real way made.

Every integration test gets a deployment of its own (``lily_env``: about 70 tables and 16 queues with their DLQs
under a unique prefix). Provisioning it over HTTP (:func:`lily.local.provision.provision`) cost ~0.5 s of CPU per
test, half of the integration suite's CPU. The first test of a worker provisions the real way while the calls
moto's backends receive (``create_table``, ``update_time_to_live``, ``create_queue``) are recorded; every later
test replays them with its own prefix in place of the first one, straight into the backends, and provisions the
rest (key, bucket, secrets) over HTTP as before. The emulator runs in this process
(:func:`lily.local.emulator.start_server`); ``tests/integration/test_fast_provision.py`` holds a replayed
deployment equal to a provisioned one, table by table and queue by queue.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

# (backend, method name, positional arguments, keyword arguments) of each creation, made under _recorded_prefix
_calls: list[tuple[Any, str, tuple, dict]] = []
_recorded_prefix: str | None = None


def _targets() -> list[tuple[type, str]]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.sqs.models import SQSBackend

    return [(DynamoDBBackend, "create_table"), (DynamoDBBackend, "update_time_to_live"), (SQSBackend, "create_queue")]


@contextlib.contextmanager
def _recording() -> Iterator[None]:
    originals = []
    for cls, name in _targets():
        original = getattr(cls, name)
        originals.append((cls, name, original))

        def record(self, *args, __original=original, __name=name, **kwargs):
            result = __original(self, *args, **kwargs)
            _calls.append((self, __name, args, kwargs))
            return result

        setattr(cls, name, record)
    try:
        yield
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)


def _renamed(value: Any, old: str, new: str) -> Any:
    """``value`` with ``old`` replaced by ``new`` in every string it holds (names, ARNs, a redrive policy's JSON)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {_renamed(k, old, new): _renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_renamed(v, old, new) for v in value)
    return value


def provision(prefix: str) -> None:
    """Provision the deployment the environment names (its resource prefix is ``prefix``)."""
    from lily.local.provision import provision as provision_over_http

    global _recorded_prefix
    if _recorded_prefix is None:
        with _recording():
            provision_over_http()
        _recorded_prefix = prefix
        return
    for backend, name, args, kwargs in _calls:
        getattr(backend, name)(*_renamed(args, _recorded_prefix, prefix), **_renamed(kwargs, _recorded_prefix, prefix))
    provision_over_http(tables_and_queues=False)

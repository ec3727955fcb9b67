"""Forget one test deployment's resources in the in-process emulator once its test is over.

Every integration test provisions a deployment of its own (about 70 tables, their queues and a bucket under a
unique prefix: ``lily_env``). moto keeps all of them for the life of the test process, so a worker that ran 350
tests held ~25,000 tables and the items every test wrote: over 1 GB per worker, and every full garbage
collection walked all of it. Dropping the deployment's tables, queues and buckets from moto's backends when its
test ends keeps each worker's heap near one deployment's size (the few keys and secrets are left). It reaches
into moto's in-memory backends directly (the emulator runs in this process,
:func:`lily.local.emulator.start_server`); 70 ``DeleteTable`` calls over HTTP would cost more than they save.
"""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"  # moto's default account, which local mode's credentials map to


def _backends(name: str) -> list[Any]:
    from moto.core.base_backend import BackendDict  # noqa: F401 - moto is loaded (the emulator is running)

    module = __import__(f"moto.{name}.models", fromlist=["x"])
    backends = getattr(module, f"{name}_backends")
    found = []
    try:
        per_account = backends[ACCOUNT]
    except KeyError:
        return found
    for region in list(per_account.keys()):
        found.append(per_account[region])
    return found


def _drop(mapping: dict, prefix: str) -> int:
    doomed = [k for k in list(mapping) if isinstance(k, str) and k.startswith(prefix)]
    for k in doomed:
        mapping.pop(k, None)
    return len(doomed)


def forget_deployment(prefix: str) -> int:
    """Drop every table, queue and bucket whose name starts with ``prefix``; returns how many."""
    dropped = 0
    for backend in _backends("dynamodb"):
        dropped += _drop(backend.tables, prefix)
    for backend in _backends("sqs"):
        dropped += _drop(backend.queues, prefix)
    for backend in _backends("s3"):
        dropped += _drop(backend.buckets, prefix)
    return dropped

"""Lambda SnapStart runtime hooks: what goes into the snapshot, and what each restored copy redoes.

Deployed stages publish every function version with SnapStart (``infra``): Lambda runs the init phase
once, snapshots the memory, and resumes new execution environments from that snapshot. Every handler
factory of core calls :func:`install` so that

- before the snapshot, :func:`prime` builds what Lily otherwise loads lazily at the first invocation
  (the Tracer: the X-Ray SDK and its patches of botocore and the HTTP clients; every pydantic model loaded,
  :mod:`lily.core.schema`; and what a handler adds with :func:`before_snapshot`, such as the console's
  templates), so a restored environment starts with it ready;
- after each restore, :func:`after_restore` re-seeds what must differ between environments resumed
  from one snapshot (``random``'s state: the publisher's retry jitter would otherwise repeat in lockstep).
  Ids and secrets come from ``os.urandom``/``secrets``, which read the kernel's entropy at call time.

``snapshot_restore_py`` ships with Lambda's Python managed runtimes (3.12 and later); elsewhere (local
mode, tests without it) there is no snapshot and nothing to register.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

from lily.core import schema
from lily.core.observability import tracer

_steps: list[Callable[[], object]] = []


def before_snapshot(step: Callable[[], object]) -> None:
    """Have :func:`prime` also run ``step``: work a function leaves to first use, done once in the snapshot (a
    handler module loaded twice, as tests do, registers its step once)."""
    if step not in _steps:
        _steps.append(step)


def prime() -> None:
    """Load before the snapshot what a first invocation would otherwise load."""
    tracer()
    schema.build_loaded()
    for step in _steps:
        step()


def after_restore() -> None:
    """Make this restored environment's randomness its own."""
    random.seed()


@functools.cache
def install() -> bool:
    """Register :func:`prime` and :func:`after_restore` once; False where the runtime has no SnapStart hooks."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(prime)
    register_after_restore(after_restore)
    return True


def end_of_init() -> None:
    """The handler is built: resume the garbage collector a handler paused for its init (:mod:`lily.core.gc_pause`)."""
    # Imported here, not at the top: importing gc_pause pauses the collector, which only a handler module may do
    # (a test importing core must not run with collection off); here the pause, if a handler did not, is empty.
    from lily.core import gc_pause

    gc_pause.end()

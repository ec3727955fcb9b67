"""Start platform sandboxes for a test suite and point Lily's adapters at them."""

from __future__ import annotations

import os
from contextlib import contextmanager

from lily.local.sandboxes import SANDBOXES


@contextmanager
def running_sandboxes(names: list[str], extra_env: dict[str, str] | None = None):
    """Start the sandboxes ``names`` (keys of ``lily.local.sandboxes.SANDBOXES``); set their env (plus
    ``extra_env``) while running."""
    started = {name: SANDBOXES[name]() for name in names}
    env = {k: v for sb in started.values() for k, v in sb.env.items()} | (extra_env or {})
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield started
    finally:
        for sb in started.values():
            sb.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def reset_between(started: dict):
    """Fresh sandbox state (posts, grants, faults, switches) before and after one test."""
    for sb in started.values():
        sb.state.reset()
    try:
        yield started
    finally:
        for sb in started.values():
            sb.state.reset()

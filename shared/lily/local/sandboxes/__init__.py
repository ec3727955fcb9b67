"""Local stand-ins for third parties (Stripe, X, Meta, LinkedIn, ...), speaking their HTTP APIs.

Each module in this package defines ``start() -> Sandbox``. Local mode (and tests that want them)
calls :func:`start_all`, which starts every sandbox on a loopback port and sets the environment
variables that point Lily's real adapters at it (``Sandbox.env``).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Sandbox:
    name: str
    base_url: str
    env: dict[str, str] = field(default_factory=dict)
    server: Any = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def start_all(apply_env: bool = True) -> list[Sandbox]:
    started = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "start"):
            sandbox: Sandbox = module.start()
            started.append(sandbox)
            if apply_env:
                os.environ.update(sandbox.env)
    return started

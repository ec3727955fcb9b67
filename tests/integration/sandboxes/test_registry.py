"""The sandboxes are listed, not discovered, and what only they need stays out of deployed code."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import lily
import lily.local.sandboxes as sandboxes
from lily.local.sandboxes import SANDBOXES
from lily.local.secret_values import local_value

SHARED = {"kit", "controls", "oauth", "engagement"}  # the machinery the sandboxes share, not sandboxes


def test_every_sandbox_in_the_package_is_in_the_explicit_list_and_started_by_its_own_module():
    modules = {info.name for info in pkgutil.iter_modules(sandboxes.__path__)} - SHARED
    assert set(SANDBOXES) == modules
    for name, start in SANDBOXES.items():
        assert start.__module__ == f"lily.local.sandboxes.{name}"


def test_no_deployed_module_holds_a_value_only_the_sandboxes_accept():
    values = {v for short in ("social-apps", "ai-providers", "stripe") for v in local_value(short).values()}
    root = Path(lily.__file__).parent
    holders = [str(path.relative_to(root)) for path in root.rglob("*.py")
               if path.relative_to(root).parts[0] != "local" and any(v in path.read_text() for v in values)]
    assert holders == []

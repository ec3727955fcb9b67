"""The layering of DESIGN.md "Dependency direction", held by the import-linter contracts `make lint` runs.

The contracts live in pyproject.toml ``[tool.importlinter]``. Each wrong import below is written into a
copy of the tree, and lint-imports must refuse it: the contracts can fail, not only pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lily.core.resources import SECRETS
from lily.local.secret_values import LOCAL_VALUES

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'shared'}{os.pathsep}{tree}"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=tree, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what lint-imports reads: the contracts, shared/lily and functions/."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "shared" / "lily", tmp_path / "shared" / "lily", ignore=ignore)
    shutil.copytree(ROOT / "functions", tmp_path / "functions", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_on_the_copy(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


LAYERS = "lily.local on top, then the composition root, the capabilities in the middle, lily.core at the bottom"
NO_LOCAL = "Functions (deployed code) never import lily.local"
PORTS = "Capabilities import each other only through their ports"


# (module written into the copy, its one import, the contract it must break, the import lint-imports reports)
WRONG = [
    ("shared/lily/core/_wrong_cap.py", "import lily.billing.plans", LAYERS,
     "lily.core._wrong_cap -> lily.billing.plans"),
    ("shared/lily/core/_wrong_local.py", "import lily.local.runner", LAYERS,
     "lily.core._wrong_local -> lily.local.runner"),
    ("shared/lily/billing/_wrong.py", "import lily.local.provision", LAYERS,
     "lily.billing._wrong -> lily.local.provision"),
    ("functions/health/_wrong.py", "import lily.local.gateway", NO_LOCAL,
     "functions.health._wrong -> lily.local.gateway"),
    ("shared/lily/social/_wrong.py", "import lily.billing.models", PORTS, "lily.social._wrong -> lily.billing.models"),
    ("shared/lily/health/_wrong.py", "from lily.publishing import scheduling", PORTS,
     "lily.health._wrong -> lily.publishing.scheduling"),
    # The composition root is no service locator: a capability (or core) that asks it for a collaborator fails.
    ("shared/lily/publishing/_wrong.py", "from lily import composition", LAYERS,
     "lily.publishing._wrong -> lily.composition"),
    ("shared/lily/core/_wrong_root.py", "import lily.composition", LAYERS,
     "lily.core._wrong_root -> lily.composition"),
]


def test_each_wrong_import_breaks_its_contract(tree):
    for module, line, _, _ in WRONG:
        (tree / module).write_text(f'"""A deliberately wrong import."""\n\n{line}\n')
    result = _lint(tree)
    assert result.returncode != 0, result.stdout
    text = " ".join(result.stdout.split())  # lint-imports wraps long lines
    summary = text.split("Contracts:")[0]
    for _, _, contract, reported in WRONG:
        assert f"{contract} BROKEN" in summary, result.stdout
        assert reported in text, f"{reported} not reported:\n{result.stdout}"


def test_a_capability_that_imports_the_composition_root_fails_lint(tree):
    # Given one capability module that asks lily.composition for its ports (the service locator this forbids)
    (tree / "shared/lily/identity/_locator.py").write_text(
        '"""Asks the root."""\n\nfrom lily import composition\n\nSEATS = composition.identity_ports\n')
    # When lint runs, then the layers contract is broken and names that import
    result = _lint(tree)
    assert result.returncode != 0, result.stdout
    text = " ".join(result.stdout.split())
    assert f"{LAYERS} BROKEN" in text.split("Contracts:")[0]
    assert "lily.identity._locator -> lily.composition" in text


def test_functions_may_import_the_composition_root(tree):
    (tree / "functions/health/_right.py").write_text('"""A function wires."""\n\nfrom lily import composition\n')
    assert _lint(tree).returncode == 0


def test_importing_a_capabilitys_ports_is_allowed(tree):
    (tree / "shared/lily/health/_right.py").write_text('"""Through the port."""\n\nimport lily.billing.ports\n')
    assert _lint(tree).returncode == 0


def test_every_declared_secret_has_a_local_value():
    assert set(LOCAL_VALUES) == set(SECRETS)
    for short, value in LOCAL_VALUES.items():
        assert isinstance(value(), dict) and value(), short

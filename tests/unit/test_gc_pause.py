"""Every handler pauses the garbage collector for its init, and its handler factory resumes it (lily.core.gc_pause)."""

import ast
import subprocess
import sys

import pytest

from lily.core.functions import discover

SPECS = discover()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_handler_imports_the_gc_pause_before_anything_else(spec):
    tree = ast.parse((spec.folder / "handler.py").read_text())
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
               and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
    first = imports[0]
    assert isinstance(first, ast.Import) and [a.name for a in first.names] == ["lily.core.gc_pause"], spec.name


def test_the_collector_is_paused_during_init_and_resumed_with_the_init_objects_frozen():
    code = """
import gc, sys
from lily.core.functions import discover, load_handler_module
spec = next(s for s in discover() if s.name == "heartbeat")
import lily.core.gc_pause
paused = not gc.isenabled()
load_handler_module(spec)
print(paused, gc.isenabled(), gc.get_freeze_count() > 0)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["True", "True", "True"]


def test_importing_core_alone_leaves_the_collector_on():
    code = "import gc, lily.core.http, lily.core.handlers, lily.core.snapstart; print(gc.isenabled())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "True"

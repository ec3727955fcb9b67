"""The garbage collector paused while a function initializes; every ``functions/*/handler.py`` imports this first.

A cold start creates a few hundred thousand objects (modules, classes, pydantic schemas, FastAPI routes) that live
as long as the process, and next to no garbage; the cyclic collector still walks the growing heap every few
thousand allocations, about a tenth of an HTTP function's init (``tests/bench/coldstart.py``, see
``docs/CONVENTIONS.md`` Cold start). Importing this module pauses it; the core handler factories call :func:`end`
once the handler is built (the end of the init phase, before any SnapStart snapshot), which moves everything
the init created to the permanent generation (``gc.freeze``: later collections skip it) and resumes collection.
Reference counting frees objects as usual throughout; only cycle collection waits.
"""

from __future__ import annotations

import gc

_paused = gc.isenabled()
gc.disable()


def end() -> None:
    """Resume collection after the init phase (once: later calls, e.g. more handlers in one process, do nothing)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()

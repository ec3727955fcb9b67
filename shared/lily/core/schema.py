"""The base of Lily's pydantic models: each builds its validator at its first use, and all before a snapshot.

A pydantic model builds its core schema and validator when its class is created: measured here, about 0.25 ms of
a small model's 0.35 ms (its fields are still collected at class creation). A function imports dozens to hundreds
of models (messages, ports' values, records of every capability whose ports it uses) and touches a handful on its
main path. ``defer_build`` moves each build to the model's first validation, serialization or schema; the result
is the same model. API models (``schemas.py``) stay ``BaseModel``: FastAPI wraps each route's model in an adapter
that follows the model's ``defer_build`` (``tests/unit/test_model_building.py``).

Deployed functions run with SnapStart: there the before-snapshot hook (:mod:`lily.core.snapstart`) builds every
model loaded by then (:func:`build_loaded`), so a restored environment never builds one in a request.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """Subclass this, not ``pydantic.BaseModel`` (settings classes subclass it through
    :class:`lily.core.config.BaseSettings`)."""

    model_config = ConfigDict(defer_build=True)


def build_loaded() -> int:
    """Build every loaded subclass of :class:`Schema` not built yet; returns how many were built."""
    built, pending = 0, list(Schema.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not cls.__pydantic_complete__ and cls.model_rebuild(raise_errors=False):
            built += 1
    return built

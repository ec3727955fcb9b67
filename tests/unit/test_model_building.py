"""Lily's internal pydantic models (:class:`lily.core.schema.Schema`) build at first use; the API's models do not.

A worker imports hundreds of models and touches a handful: the rest are never built (cold start, issue 21). An HTTP
route's request and response models are built with the app, as before: FastAPI wraps each in an adapter, and a
deferred model would leave that adapter to build in the first request (and warn, for an embedded body). So API
models subclass ``pydantic.BaseModel`` and this test fails when a route's body or response is a deferred model."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic._internal._mock_val_ser import MockCoreSchema

from lily.core.functions import Http, discover, load_handler_module
from lily.core.http import create_app
from lily.core.schema import Schema, build_loaded

HTTP_SPECS = [s for s in discover() if isinstance(s.trigger, Http)]


def _deferred_route_models(app) -> list[str]:
    found = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for kind, field in (("body", route.body_field), ("response", route.response_field)):
            if field is not None and isinstance(field._type_adapter.core_schema, MockCoreSchema):
                found.append(f"{route.path} {kind}")
    return found


@pytest.mark.parametrize("spec", HTTP_SPECS, ids=[s.name for s in HTTP_SPECS])
def test_every_route_builds_its_request_and_response_models_with_the_app(spec):
    assert _deferred_route_models(load_handler_module(spec).app) == []


def test_the_check_sees_a_route_answering_with_a_deferred_model_and_build_loaded_builds_it():
    class Deferred(Schema):
        n: int

    class Eager(BaseModel):
        n: int

    assert not Deferred.__pydantic_complete__ and Eager.__pydantic_complete__
    app = create_app("Lily deferred")
    app.post("/deferred", response_model=Deferred)(lambda body: body)
    app.post("/eager", response_model=Eager)(lambda body: body)
    assert _deferred_route_models(app) == ["/deferred response"]
    assert build_loaded() >= 1 and Deferred.__pydantic_complete__
    assert Deferred.model_validate({"n": "2"}).n == 2


def test_a_settings_class_builds_at_its_first_load_or_before_the_snapshot(monkeypatch):
    from pydantic import Field

    from lily.core.config import BaseSettings, load, settings_config

    class LazySettings(BaseSettings):
        model_config = settings_config("LILY_LAZY_")
        limit: int = Field(3, ge=1)

    class PrimedSettings(BaseSettings):
        model_config = settings_config("LILY_PRIMED_")
        name: str = "x"

    assert not LazySettings.__pydantic_complete__ and not PrimedSettings.__pydantic_complete__
    monkeypatch.setenv("LILY_LAZY_LIMIT", "7")
    assert load(LazySettings).limit == 7 and LazySettings.__pydantic_complete__
    assert build_loaded() >= 1 and PrimedSettings.__pydantic_complete__

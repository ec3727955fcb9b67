"""NotABool: JSON booleans are not integers, but every JSON Schema integer is; IsoDateTime: a number is not a
date-time (the fuzzers hold us to both)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import pytest
from pydantic import BaseModel, Field, ValidationError

from lily.core.fields import IsoDateTime, NotABool


class Body(BaseModel):
    version: Annotated[int, Field(ge=1), NotABool] | None = None


@pytest.mark.parametrize("value, expected", [(3, 3), (2.0, 2), (None, None)])
def test_schema_integers_are_accepted(value, expected):
    assert Body.model_validate_json(f'{{"version": {"null" if value is None else value}}}').version == expected


@pytest.mark.parametrize("raw", ["true", "false", "0", "1.5"])
def test_booleans_fractions_and_values_under_the_minimum_are_refused(raw):
    with pytest.raises(ValidationError):
        Body.model_validate_json(f'{{"version": {raw}}}')


def test_the_constraints_stay_in_the_published_schema():
    assert Body.model_json_schema()["properties"]["version"]["anyOf"][0] == {"type": "integer", "minimum": 1}


class Period(BaseModel):
    start: Annotated[datetime, IsoDateTime] | None = None


@pytest.mark.parametrize("value", [0.5, 12, "0.5", "1700000000", " 1e3 ", "-.5"])
def test_a_number_is_not_a_date_time(value):
    with pytest.raises(ValidationError, match="ISO 8601"):
        Period(start=value)


def test_an_iso_date_time_is():
    assert Period(start="2026-12-07T09:30:00Z").start == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert Period(start=None).start is None

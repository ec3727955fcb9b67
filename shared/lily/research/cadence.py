"""When a research config runs: its weekday, hour and minute in UTC.

Its own module so that the research schedule, which computes each config's next run, builds this one model and
not research's API (:mod:`lily.research.schemas` re-exports it as part of the config's API)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from lily.core.schema import Schema

Day = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAYS: tuple[Day, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Cadence(Schema):
    """When the schedule runs the config, in UTC (default Sunday 02:00, PRODUCT.md)."""

    model_config = ConfigDict(extra="forbid")

    day: Day = "sunday"
    hour: int = Field(2, ge=0, le=23)
    minute: int = Field(0, ge=0, le=59)

"""Approvals API models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lily.core.fields import NotABool

Role = Literal["viewer", "editor", "admin", "owner"]


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[Literal["viewer", "editor"]] = Field(
        default_factory=list, description="Roles whose posts wait for approval before publishing (admins and "
                                          "owners publish directly)")
    autopilot: bool = Field(False, strict=True, description="Everything autopilot makes waits for approval")
    approver_roles: list[Literal["editor"]] = Field(
        default_factory=list, description="Roles besides admin and owner that may decide")
    expected_version: Annotated[int, Field(ge=0), NotABool] | None = Field(
        None, description="The version you read (409 when it changed)")


class PolicyOut(BaseModel):
    org_id: str
    roles: list[str]
    autopilot: bool
    approver_roles: list[str]
    enabled: bool = Field(description="Does anything need approval?")
    version: int
    updated_at: datetime | None = None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "request_changes"]
    comment: str | None = Field(None, max_length=2000, description="Required to reject or request changes")
    text: str | None = Field(None, min_length=1, max_length=63206,
                             description="Approve with this text instead (posts only)")
    scheduled_at: datetime | None = Field(None, description="Approve for this instant instead of the one asked for "
                                                            "(posts only; required once that one has passed)")


class RequestOut(BaseModel):
    request_id: str
    org_id: str
    kind: Literal["post", "draft"]
    subject_id: str
    origin: Literal["user", "autopilot", "feed"]
    status: Literal["pending", "approved", "rejected", "changes_requested", "withdrawn"]
    summary: str
    requested_by: str | None = None
    requested_at: datetime
    scheduled_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    edited: bool = False


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None = None


class DecisionOut(BaseModel):
    request: RequestOut
    subject: dict[str, Any] = Field(description="The post (PostOut) or draft (DraftOut) after the decision")

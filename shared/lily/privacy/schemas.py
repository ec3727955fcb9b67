"""API models of the privacy routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SCHEMA_VERSION = 1  # of the export archive's layout and of the registry's answer


class JobProgress(BaseModel):
    step: str | None = Field(None, description="What the job is doing now")
    tables_done: int = 0
    tables_total: int = 0
    records: int = Field(0, description="Records exported (or erased) so far")


class PrivacyJobOut(BaseModel):
    job_id: str
    kind: Literal["export", "erasure"]
    subject: Literal["user", "org"]
    state: Literal["queued", "running", "done", "failed", "scheduled", "cancelled", "refused"]
    progress: JobProgress
    created_at: str
    run_after: str | None = Field(None, description="Erasure: when it runs (the grace period ends); until then "
                                                    "DELETE cancels it")
    finished_at: str | None = None
    emailed: bool = Field(False, description="Export: the presigned link (valid 24 h) was e-mailed")
    error: str | None = None


class RetentionRule(BaseModel):
    table: str
    retention: str
    ttl_attribute: str | None
    personal_data: bool
    organization_records: str | None = Field(description="How an organization's records are found")
    user_records: str | None = Field(description="How a person's records are found")
    export: str
    erasure: str
    on_user_erasure: str | None = Field(description="What erasing a person does to their records in an "
                                                    "organization that stays")
    notes: str


class RetentionOut(BaseModel):
    schema_version: int
    tables: list[RetentionRule]

"""Research configs: CRUD and the cadence (the next run of a config, in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lily.core import clock, ids, limits
from lily.core.db import won
from lily.core.errors import conflict, not_found
from lily.core.pages import PageParams, query_page
from lily.research.cadence import DAYS, Cadence
from lily.research.models import ResearchConfig
from lily.research.ports import ResearchGate

if TYPE_CHECKING:
    from lily.research.schemas import ConfigIn, ConfigOut, ConfigPage, ConfigPut

MAX_CONFIGS = 20  # per org, held by lily.core.limits (one conditional write per creation)
PREFIX = "rcf_"  # every config id; the table's other row per org is the limit's counter


def next_run(cadence: Cadence, after: datetime) -> datetime:
    """The first instant strictly after ``after`` on the cadence's weekday, hour and minute (UTC)."""
    after = after.astimezone(UTC)
    weekday = DAYS.index(cadence.day)
    candidate = after.replace(hour=cadence.hour, minute=cadence.minute, second=0, microsecond=0)
    candidate += timedelta(days=(weekday - candidate.weekday()) % 7)
    if candidate <= after:
        candidate += timedelta(days=7)
    return candidate


def cadence_of(c: ResearchConfig) -> Cadence:
    return Cadence(day=c.day, hour=int(c.hour), minute=int(c.minute))


def config_out(c: ResearchConfig) -> ConfigOut:
    # the API's models, imported by the routes that answer with them: the schedule only computes next runs
    from lily.research.schemas import ConfigOut

    return ConfigOut(config_id=c.config_id, name=c.name, industry=c.industry, topics=list(c.topics or []),
                     competitors=list(c.competitors or []), feeds=list(c.feeds or []), cadence=cadence_of(c),
                     enabled=c.enabled, next_run_at=clock.parse_iso(c.next_run) if c.next_run else None,
                     last_job_id=c.last_job_id, created_at=c.created_at, updated_at=c.updated_at,
                     version=int(c.version))


def load(org_id: str, config_id: str) -> ResearchConfig:
    if not config_id.startswith(PREFIX):
        raise not_found("Research config", config_id=config_id[:80])
    try:
        return ResearchConfig.get(org_id, config_id, consistent_read=True)
    except ResearchConfig.DoesNotExist:
        raise not_found("Research config", config_id=config_id) from None


def _schedule(c: ResearchConfig, enabled: bool) -> None:
    c.due_shard = "due" if enabled else None
    c.next_run = clock.iso(next_run(cadence_of(c), clock.now())) if enabled else None


def create(gate: ResearchGate, org_id: str, body: ConfigIn, user_id: str | None) -> ConfigOut:
    gate.require(org_id)
    if not limits.take_slot(ResearchConfig, org_id, MAX_CONFIGS, PREFIX):
        raise conflict(f"An organization has at most {MAX_CONFIGS} research configs", limit=MAX_CONFIGS)
    now = clock.now()
    c = ResearchConfig(org_id, ids.new_id("rcf"), name=body.name, industry=body.industry, topics=body.topics,
                       competitors=body.competitors, feeds=body.feeds, day=body.cadence.day,
                       hour=body.cadence.hour, minute=body.cadence.minute, enabled=body.enabled,
                       created_by=user_id, created_at=now, updated_at=now, version=1)
    _schedule(c, body.enabled)
    try:
        c.save()  # a fresh ULID: no row to overwrite
    except Exception:
        limits.give_slot(ResearchConfig, org_id)
        raise
    return config_out(c)


def get(org_id: str, config_id: str) -> ConfigOut:
    return config_out(load(org_id, config_id))


def list_configs(org_id: str, page: PageParams) -> ConfigPage:
    from lily.research.schemas import ConfigPage

    items, nxt = query_page(
        lambda start, n: ResearchConfig.query(org_id, ResearchConfig.config_id.startswith(PREFIX),
                                              scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, config_out)
    return ConfigPage(items=items, next_cursor=nxt)


def update(org_id: str, config_id: str, body: ConfigPut) -> ConfigOut:
    """Replace a config (optimistic on ``expected_version``); a new cadence moves the next run.

    Allowed on any plan, so a downgraded org can still disable or edit what it has; runs stay gated."""
    c = load(org_id, config_id)
    read = int(c.version)
    c.name, c.industry, c.topics, c.competitors, c.feeds = (body.name, body.industry, body.topics,
                                                            body.competitors, body.feeds)
    c.day, c.hour, c.minute, c.enabled = body.cadence.day, body.cadence.hour, body.cadence.minute, body.enabled
    c.updated_at = clock.now()
    c.version = body.expected_version + 1
    _schedule(c, body.enabled)
    if not won(lambda: c.save(condition=ResearchConfig.version == body.expected_version)):
        raise conflict("The config changed since it was read", version=read)
    return config_out(c)


def delete(org_id: str, config_id: str) -> None:
    """Delete a config; its reports, insights and memory stay (they belong to the org)."""
    c = load(org_id, config_id)
    if won(lambda: c.delete(condition=ResearchConfig.config_id.exists())):  # once, however many deletes race
        limits.give_slot(ResearchConfig, org_id)

"""The org's autopilot settings: read, write (conditional on the version), and the next daily run instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from lily.autopilot.models import AutopilotConfig
from lily.autopilot.ports import AutopilotBasics
from lily.autopilot.settings import autopilot_settings
from lily.core import clock
from lily.core.db import won
from lily.core.errors import conflict

if TYPE_CHECKING:
    from lily.autopilot.schemas import SettingsIn, SettingsOut


def next_run(zone: str, after: datetime) -> datetime:
    """The next run hour (06:00 by default) in the org's time zone, strictly after ``after``, as UTC."""
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    at = local.replace(hour=autopilot_settings().run_hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at = (local + timedelta(days=1)).replace(hour=autopilot_settings().run_hour, minute=0, second=0,
                                                 microsecond=0)
    return at.astimezone(ZoneInfo("UTC"))


def load(org_id: str) -> AutopilotConfig:
    try:
        return AutopilotConfig.get(org_id, consistent_read=True)
    except AutopilotConfig.DoesNotExist:
        return AutopilotConfig(org_id, enabled=False, connection_ids=[], posts_per_day=1, topics=[], days=[],
                               approval_required=False, monthly_budget_usd=0, campaign_days=5, version=0)


def out(c: AutopilotConfig, level: str, upgrade_to: str | None) -> SettingsOut:
    # the API's models, imported by the routes that answer with them: the schedule reads the settings without them
    from lily.autopilot.schemas import QuietHours, SettingsOut

    return SettingsOut(org_id=c.org_id, enabled=bool(c.enabled), connection_ids=list(c.connection_ids or []),
                       posts_per_day=int(c.posts_per_day), topics=list(c.topics or []), days=list(c.days or []),
                       quiet_hours=QuietHours(**c.quiet_hours) if c.quiet_hours else None,
                       approval_required=bool(c.approval_required), monthly_budget_usd=float(c.monthly_budget_usd),
                       campaign_days=int(c.campaign_days or 5), images=bool(c.images),
                       next_run=clock.parse_iso(c.next_run) if c.enabled and c.next_run else None,
                       level=level, upgrade_to=upgrade_to, version=int(c.version or 0))


def _level(ports: AutopilotBasics, org_id: str) -> tuple[str, str | None]:
    _, level = ports.plans.level(org_id)
    return level, ports.plans.upgrade_for("basic") if level == "none" else None


def get(ports: AutopilotBasics, org_id: str) -> SettingsOut:
    return out(load(org_id), *_level(ports, org_id))


def put(ports: AutopilotBasics, org_id: str, body: SettingsIn, actor: str | None) -> SettingsOut:
    """Saving settings is allowed on every plan (the console shows them); enabling needs an autopilot level,
    and a run of a plan without one is refused (PLAN_001 naming the plan that lifts it)."""
    level, upgrade = _level(ports, org_id)
    if body.enabled and level == "none":
        from lily.core.errors import ErrorCode, LilyError

        raise LilyError(ErrorCode.PLAN_001, "Autopilot is not included in this plan",
                        {"feature": "autopilot", "level": level, "upgrade_to": upgrade})
    current = load(org_id)
    version = int(current.version or 0)
    if body.expected_version is not None and body.expected_version != version:
        raise conflict("the autopilot settings changed; reload them", version=version)
    now = clock.now()
    item = AutopilotConfig(
        org_id, enabled=body.enabled, connection_ids=body.connection_ids, posts_per_day=body.posts_per_day,
        topics=body.topics, days=list(dict.fromkeys(body.days)),
        quiet_hours=body.quiet_hours.model_dump() if body.quiet_hours else None,
        approval_required=body.approval_required, monthly_budget_usd=body.monthly_budget_usd,
        campaign_days=body.campaign_days, images=body.images, due="due" if body.enabled else None,
        next_run=clock.iso(next_run(ports.zones.zone(org_id), now)) if body.enabled else None,
        updated_by=actor, updated_at=now, version=version + 1)
    cond = AutopilotConfig.org_id.does_not_exist() if version == 0 else AutopilotConfig.version == version
    if not won(lambda: item.save(condition=cond)):
        raise conflict("the autopilot settings changed; reload them")
    return out(item, level, upgrade)

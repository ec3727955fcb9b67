"""One autopilot run of one org (the worker): read, plan the day's slots, then make posts step by step, each
step reserving before it spends.

By plan level (PRODUCT.md): **basic** makes posts that wait for approval (``GET .../approvals``); **enhanced**
schedules them at the org's best times within quota; **full** does the same for the day's part of a campaign (a
theme from the latest research report over ``campaign_days``, planned on its first day). When the org's approval
policy covers autopilot, or the settings ask for approval, enhanced and full submit instead of scheduling.

Each step reserves, in order: one of the setting's posts per day (autopilot's ledger), one ``posts_per_day`` of the
plan (only when the post is scheduled now: a submitted post takes it when approved), one ``ai_text_requests``,
and the text's cost (priced from the settings' table) from the monthly budget. The first reservation refused
stops the run: what it had reserved for the step is given back, the run's ``stopped`` names the limit and the plan
or setting that lifts it, a notice is stored, a structured log event is written, and ``plan_limit_hits_total``
counts it (billing counts its own quotas). Every reservation is a conditional write, so two runs of one org at
once never pass a limit together (tests/integration/autopilot).

The run's record is its log: what it read (report, best hours, connections, campaign), what it made (post,
draft, connection, instant, scheduled or pending), what it spent, and why it stopped.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lily.autopilot import config, ledger, messages, notices
from lily.autopilot.models import AutopilotCampaign, AutopilotConfig, AutopilotRun
from lily.autopilot.ports import AutopilotPorts, Brief, ImageState, Target
from lily.autopilot.schemas import WEEKDAYS, QuietHours
from lily.autopilot.settings import autopilot_settings
from lily.core import clock, ids
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger

UTC = ZoneInfo("UTC")
RESERVED = frozenset({"message", "msg", "args", "name"})  # LogRecord attributes an ``extra`` cannot set
AWAITING = "awaiting_image"  # a made post, still a draft, whose image job has not ended


class Stop(Exception):  # noqa: N818 - a signal: the run reached a limit
    def __init__(self, reason: str, message: str, upgrade_to: str | None, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.reason, self.message, self.upgrade_to, self.details = reason, message, upgrade_to, details


class Log:
    """The run's record, written as it goes (a crash leaves what was done visible)."""

    def __init__(self, run: AutopilotRun) -> None:
        self.run = run
        self.made: list[dict] = list(run.made or [])
        self.events: list[dict] = list(run.log or [])
        self.spent = dict(run.spent or {"ai_requests": 0, "posts": 0, "images": 0, "cost_usd": 0.0})
        self.images_off: str | None = None  # why this run makes no more images (its text posts go on)

    def event(self, event: str, **data: Any) -> None:
        self.events.append({"at": clock.iso(), "event": event, **data})
        fields = {("detail" if k in RESERVED else k): v for k, v in data.items()}  # the log record's own names
        logger.info("autopilot " + event, extra={"org_id": self.run.org_id, "run_id": self.run.run_id, **fields})

    def save(self, **more: Any) -> None:
        actions = [AutopilotRun.made.set(self.made), AutopilotRun.log.set(self.events[-200:]),
                   AutopilotRun.spent.set(self.spent)]
        for name, value in more.items():
            attr = getattr(AutopilotRun, name)
            actions.append(attr.set(value) if value is not None else attr.remove())
        self.run.update(actions=actions)


def _find(org_id: str, run_id: str, what: str) -> AutopilotRun | None:
    """The run a message names, read consistently; None (logged) for a run that does not exist."""
    try:
        return AutopilotRun.get(org_id, run_id, consistent_read=True)
    except AutopilotRun.DoesNotExist:
        logger.warning(f"autopilot {what} for an unknown run", extra={"org_id": org_id, "run_id": run_id})
        return None


def _claim(run: AutopilotRun) -> bool:
    now = clock.now()
    lease = now + timedelta(seconds=autopilot_settings().run_lease_s)
    cond = (AutopilotRun.status == "queued") | ((AutopilotRun.status == "running") & (AutopilotRun.lease_until < now))
    return won(lambda: run.update(actions=[AutopilotRun.status.set("running"), AutopilotRun.lease_until.set(lease)],
                                  condition=cond))


def execute(ports: AutopilotPorts, org_id: str, run_id: str) -> str:
    """Run one queued run; returns its final status (or ``ignored`` for a run already taken)."""
    run = _find(org_id, run_id, "message")
    if run is None:
        return "ignored"
    if not _claim(run):
        return "ignored"
    log = Log(run)
    status, stopped = "done", None
    try:
        _run(ports, run, log)
    except Stop as s:
        status = "refused" if s.reason == "plan" else "stopped"
        stopped = {"reason": s.reason, "message": s.message, "upgrade_to": s.upgrade_to, **s.details}
        notices.record(org_id, run_id, s.reason, s.message, s.upgrade_to, s.details)
        log.event("stopped", reason=s.reason, upgrade_to=s.upgrade_to, **s.details)
    except Exception as exc:  # noqa: BLE001 - boundary: the run is recorded failed (and the message not redelivered)
        status, stopped = "failed", {"reason": "error", "message": type(exc).__name__}
        logger.exception("autopilot run failed", extra={"org_id": org_id, "run_id": run_id})
    log.save(status=status, stopped=stopped, finished_at=clock.now(), lease_until=None)
    count("autopilot_runs_total", status=status, level=run.level or "none")
    if any(m.get("state") == AWAITING for m in log.made):
        _look_later(ports, org_id, run_id, 1)
    return status


def _look_later(ports: AutopilotPorts, org_id: str, run_id: str, look: int) -> None:
    """Queue the next look at the run's image jobs; if the queue refuses, release the posts now (without the
    images still running) rather than leave them drafts."""
    try:
        messages.send(messages.ImagesMessage(kind="images", org_id=org_id, run_id=run_id, look=look),
                      delay_s=autopilot_settings().image_check_delay_s)
    except Exception:  # noqa: BLE001 - the posts must not stay drafts: released at once
        logger.exception("autopilot could not queue its image look", extra={"org_id": org_id, "run_id": run_id})
        check_images(ports, org_id, run_id, autopilot_settings().image_checks, requeue=False)


def _limit(reason: str, message: str, upgrade_to: str | None, plan_id: str | None, **details: Any) -> Stop:
    """One of autopilot's own limits (budget, the setting's posts per day): counted like a plan's."""
    count("plan_limit_hits_total", feature=f"autopilot_{reason}", plan=plan_id or "?")
    return Stop(reason, message, upgrade_to, details)


def _quota_stop(e: LilyError) -> Stop:
    d = e.details or {}
    return Stop(d.get("quota") or "quota", e.message, d.get("upgrade_to"),
                {"limit": d.get("limit"), "used": d.get("used"), "plan": d.get("plan")})


def _run(ports: AutopilotPorts, run: AutopilotRun, log: Log) -> None:
    org_id = run.org_id
    cfg = config.load(org_id)
    if not cfg.enabled:
        log.event("disabled")
        raise Stop("disabled", "autopilot is turned off in the settings", None, {})
    plan_id, level = ports.plans.level(org_id)
    if level == "none":
        count("plan_limit_hits_total", feature="autopilot", plan=plan_id)
        raise Stop("plan", "Autopilot is not included in this plan", ports.plans.upgrade_for("basic"),
                   {"plan": plan_id})
    zone = ZoneInfo(ports.zones.zone(org_id))
    now = clock.now()
    today = now.astimezone(zone).date()
    run.update(actions=[AutopilotRun.level.set(level), AutopilotRun.plan_id.set(plan_id),
                        AutopilotRun.day.set(today.isoformat())])
    if cfg.days and WEEKDAYS[today.weekday()] not in cfg.days:
        log.event("not_a_posting_day", day=today.isoformat())
        return

    brief = ports.research.latest(org_id)
    wanted = set(cfg.connection_ids or [])
    targets = [t for t in ports.posts.connections(org_id) if not wanted or t.connection_id in wanted]
    campaign = _campaign(org_id, cfg, brief, today, log) if level == "full" else None
    topics = _topics(cfg, brief, campaign, today)
    submit = level == "basic" or bool(cfg.approval_required) or ports.approvals.required(org_id, None, "autopilot")
    quiet = QuietHours(**cfg.quiet_hours) if cfg.quiet_hours else None
    # each platform's own best slots (analytics learns them per platform, in the org's zone)
    best = {p: ports.best_times.best_times(org_id, p, limit=7 * 24) for p in sorted({t.platform for t in targets})}
    planned = plan_posts(targets, best, zone, today, now, int(cfg.posts_per_day), quiet)
    read = {"report_id": brief.report_id if brief else None, "theme": brief.theme if brief else None,
            "best_slots": {p: [list(x) for x in b[:10]] for p, b in best.items()},
            "history": sorted(p for p, b in best.items() if b),
            "connections": [t.connection_id for t in targets], "topics": topics,
            "campaign_id": campaign.campaign_id if campaign else None, "mode": "submit" if submit else "schedule",
            "slots": [clock.iso(at) for _, at in planned], "slot_platforms": [t.platform for t, _ in planned],
            "time_zone": str(zone), "images": bool(cfg.images)}
    run.update(actions=[AutopilotRun.read.set(read)])
    log.event("read", report=read["report_id"], history=read["history"], connections=len(targets),
              slots=len(planned))
    if not targets:
        raise Stop("no_connections", "no active connection to post to", None, {})
    if not topics:
        raise Stop("no_topics", "no topic: set topics in the autopilot settings or run research", None, {})
    if not planned:
        log.event("no_slot_left", day=today.isoformat())
        return
    cap = round(float(cfg.monthly_budget_usd) * ledger.MICRO)
    for i, (target, at) in enumerate(planned):
        _step(ports, run, log, cfg, plan_id, target, topics[i % len(topics)], at, str(zone), submit, cap, brief,
              today)
        log.save()


def _step(ports: AutopilotPorts, run: AutopilotRun, log: Log, cfg: AutopilotConfig, plan_id: str, target: Target,
          topic: str, at: datetime, zone: str, submit: bool, cap: int, brief: Brief | None, today: date) -> None:
    org_id = run.org_id
    posts_key = ledger.posts_key(today.isoformat())
    if not ledger.reserve(org_id, posts_key, 1, int(cfg.posts_per_day)):
        raise _limit("posts_per_day_setting", f"autopilot made its {int(cfg.posts_per_day)} posts for today "
                     "(the settings' posts per day)", None, plan_id, limit=int(cfg.posts_per_day))
    undo: list = [lambda: ledger.adjust(org_id, posts_key, -1)]

    def give_back() -> None:
        for u in reversed(undo):
            u()

    try:
        if not submit:
            ports.posts_quota.consume(org_id, 1)
            undo.append(lambda: ports.posts_quota.release(org_id, 1))
        ports.ai_quota.consume(org_id, 1)
        undo.append(lambda: ports.ai_quota.release(org_id, 1))
    except LilyError as e:
        give_back()
        if e.code == ErrorCode.PLAN_002:
            raise _quota_stop(e) from None
        raise
    cost_key = ledger.cost_key()
    estimate = ledger.text_reservation_micros()
    if not ledger.reserve(org_id, cost_key, estimate, cap):
        give_back()
        spent = ledger.used(org_id, cost_key)
        raise _limit("budget", f"the monthly AI budget of {float(cfg.monthly_budget_usd):.2f} USD would be passed "
                     "(raise it in the autopilot settings)", None, plan_id,
                     limit_usd=float(cfg.monthly_budget_usd), spent_usd=spent / ledger.MICRO,
                     next_step_usd=estimate / ledger.MICRO)
    try:
        written = ports.writer.write(org_id, topic, target.platform, brief.insight_ids if brief else [])
    except LilyError as e:
        ledger.adjust(org_id, cost_key, -estimate)
        give_back()
        log.event("write_failed", topic=topic, platform=target.platform, code=e.code.value, message=e.message[:200])
        raise Stop("error", f"the content pipeline failed: {e.message[:200]}", None, {"code": e.code.value}) from None
    cost = ledger.text_cost_micros(written.model, written.input_tokens, written.output_tokens)
    ledger.adjust(org_id, cost_key, cost - estimate)
    log.spent["ai_requests"] += 1
    log.spent["cost_usd"] = round(log.spent["cost_usd"] + cost / ledger.MICRO, 6)
    if cost > estimate:
        count("autopilot_cost_over_reservation_total")
    undo = undo[:1] + ([undo[1]] if not submit else [])  # the AI request was used: only the post units go back
    if written.flagged:
        give_back()
        log.event("draft_flagged", draft_id=written.draft_id, topic=topic)
        return
    image = None
    try:
        post_id = ports.posts.create(org_id, target, written.text, needs_approval=submit)
        if cfg.images:  # the post stays a draft until its image job ends (check_images); never blocked by it
            image = _image(ports, run, log, plan_id, target, topic, written.text, cap)
        if image is None:
            (ports.posts.submit if submit else ports.posts.schedule)(org_id, post_id, at, zone)
    except LilyError as e:
        give_back()
        log.event("post_failed", draft_id=written.draft_id, code=e.code.value, message=e.message[:200])
        return
    log.spent["posts"] += 1
    state = AWAITING if image else "pending_approval" if submit else "scheduled"
    log.made.append({"post_id": post_id, "draft_id": written.draft_id, "connection_id": target.connection_id,
                     "platform": target.platform, "at": clock.iso(at), "topic": topic, "state": state,
                     "cost_usd": cost / ledger.MICRO, **({"image": image} if image else {})})
    log.event("made", post_id=post_id, at=clock.iso(at), state=state)


def _images_stop(run: AutopilotRun, log: Log, s: Stop) -> None:
    """The run makes no more images (a limit): a notice with what lifts it; its text posts go on."""
    log.images_off = s.reason
    notices.record(run.org_id, run.run_id, s.reason, s.message, s.upgrade_to, {**s.details, "images": True})
    log.event("images_stopped", reason=s.reason, upgrade_to=s.upgrade_to, **s.details)


def _image(ports: AutopilotPorts, run: AutopilotRun, log: Log, plan_id: str, target: Target, topic: str, text: str,
           cap: int) -> dict | None:
    """Reserve one ``image_generations`` unit and the image's price from the budget, then start its job through
    the image pipeline. None when no image is made for the post (a limit, or the pipeline refused: logged)."""
    org_id = run.org_id
    if log.images_off:
        return None
    try:
        ports.images_quota.consume(org_id, 1)
    except LilyError as e:
        if e.code == ErrorCode.PLAN_002:  # billing counted plan_limit_hits_total{feature=image_generations}
            _images_stop(run, log, _quota_stop(e))
        else:
            log.event("image_skipped", code=e.code.value, message=e.message[:200])
        return None
    key, micros = ledger.cost_key(), ledger.image_cost_micros()
    if not ledger.reserve(org_id, key, micros, cap):
        ports.images_quota.release(org_id, 1)
        cfg_budget = cap / ledger.MICRO
        _images_stop(run, log, _limit(
            "budget", f"the monthly AI budget of {cfg_budget:.2f} USD would be passed by an image: no more images "
            "(raise it in the autopilot settings)", None, plan_id, limit_usd=cfg_budget,
            spent_usd=ledger.used(org_id, key) / ledger.MICRO, next_step_usd=micros / ledger.MICRO))
        return None
    try:
        job_id = ports.images.start(org_id, topic, target.platform, text)
    except Exception as e:  # noqa: BLE001 - a refused image (moderation, storage, a bug) never blocks the post
        ports.images_quota.release(org_id, 1)
        ledger.adjust(org_id, key, -micros)
        code = e.code.value if isinstance(e, LilyError) else type(e).__name__
        log.event("image_failed", topic=topic, code=code, message=(getattr(e, "message", "") or str(e))[:200])
        return None
    log.spent["images"] += 1
    log.spent["cost_usd"] = round(log.spent["cost_usd"] + micros / ledger.MICRO, 6)
    log.event("image_started", job_id=job_id, platform=target.platform)
    return {"job_id": job_id, "state": "pending", "cost_key": key, "cost_micros": micros}


def _claim_looks(run: AutopilotRun) -> bool:
    """One look at a time per run (an SQS redelivery or a late duplicate finds the lease held)."""
    now = clock.now()
    lease = now + timedelta(seconds=autopilot_settings().run_lease_s)
    cond = (AutopilotRun.status.is_in("done", "stopped", "failed")
            & (AutopilotRun.lease_until.does_not_exist() | (AutopilotRun.lease_until < now)))
    return won(lambda: run.update(actions=[AutopilotRun.lease_until.set(lease)], condition=cond))


def check_images(ports: AutopilotPorts, org_id: str, run_id: str, look: int, *, requeue: bool = True) -> str:
    """Look at a finished run's image jobs: each post whose job delivered gets the image and is scheduled (or
    submitted) at its slot (or the minimum lead from now, if the slot has passed); a failed or blocked job's post
    goes without it (the log says why; the image's budget comes back when no provider call was paid for). A job
    still running is looked at again later, up to ``image_checks`` looks; then its post goes without it."""
    run = _find(org_id, run_id, "image look")
    if run is None:
        return "ignored"
    if not _claim_looks(run):
        return "busy"
    log = Log(run)
    final = look >= autopilot_settings().image_checks
    waiting = 0
    try:
        for m in log.made:
            if m.get("state") != AWAITING:
                continue
            st = ports.images.state(org_id, m["image"]["job_id"])
            if st.status == "pending" and not final:
                waiting += 1
                continue
            _release(ports, run, log, m, st)
            log.save()
    finally:
        log.save(lease_until=None)
    if waiting and requeue:
        _look_later(ports, org_id, run_id, look + 1)
    return "waiting" if waiting else "released"


def _release(ports: AutopilotPorts, run: AutopilotRun, log: Log, m: dict, st: ImageState) -> None:
    org_id, image = run.org_id, m["image"]
    if st.status == "done" and st.media_id:
        try:
            ports.posts.attach(org_id, m["post_id"], [st.media_id])
            image.update(state="attached", media_id=st.media_id)
        except LilyError as e:
            image.update(state="not_attached", media_id=st.media_id, reason=e.message[:200])
    elif st.status == "failed":
        image.update(state="failed", reason=(st.reason or "")[:200])
        if not st.charged:  # nothing was paid for: the image's budget comes back (the pipeline gave its unit back)
            ledger.adjust(org_id, image["cost_key"], -int(image["cost_micros"]))
            log.spent["images"] -= 1
            log.spent["cost_usd"] = round(log.spent["cost_usd"] - int(image["cost_micros"]) / ledger.MICRO, 6)
    else:
        image.update(state="late", reason="the image was not ready in time")
    if image["state"] != "attached":
        log.event("image_not_used", post_id=m["post_id"], job_id=image["job_id"], why=image.get("reason"))
    read = run.read or {}
    submit, zone = read.get("mode") == "submit", read.get("time_zone") or "UTC"
    at = max(clock.parse_iso(m["at"]), clock.now() + timedelta(minutes=autopilot_settings().min_lead_minutes))
    try:
        (ports.posts.submit if submit else ports.posts.schedule)(org_id, m["post_id"], at, zone)
    except LilyError as e:  # the units reserved for the post go back
        ledger.adjust(org_id, ledger.posts_key(run.day or at.date().isoformat()), -1)
        if not submit:
            ports.posts_quota.release(org_id, 1)
        m["state"] = "failed"
        log.spent["posts"] -= 1
        log.event("post_failed", post_id=m["post_id"], code=e.code.value, message=e.message[:200])
        return
    m["state"], m["at"] = ("pending_approval" if submit else "scheduled"), clock.iso(at)
    log.event("made", post_id=m["post_id"], at=m["at"], state=m["state"], image=image["state"])


def plan_posts(targets: list[Target], best: dict[str, list[tuple[int, int]]], zone: ZoneInfo, day: date,
               now: datetime, n: int, quiet: QuietHours | None) -> list[tuple[Target, datetime]]:
    """The day's ``n`` posts, round-robin over the targets, each at a slot of its own platform's best times
    (:func:`plan_slots`), soonest first."""
    if not targets:
        return []
    share = [targets[i % len(targets)] for i in range(n)]
    per_platform = Counter(t.platform for t in share)
    slots = {p: plan_slots(best.get(p, []), zone, day, now, k, quiet) for p, k in per_platform.items()}
    out = [(t, slots[t.platform].pop(0)) for t in share if slots[t.platform]]
    return sorted(out, key=lambda x: x[1])


def plan_slots(best: list[tuple[int, int]], zone: ZoneInfo, day: date, now: datetime, n: int,
               quiet: QuietHours | None) -> list[datetime]:
    """Up to ``n`` instants on the org's local ``day``: the best hours of that weekday first (``best`` is in the
    org's zone), then the best hours of other days, then the default hours; never in quiet hours, never sooner
    than the minimum lead."""
    s = autopilot_settings()
    ranked = [(wd == day.weekday(), hour) for wd, hour in best]
    hours = [h for same, h in ranked if same] + [h for same, h in ranked if not same] + list(s.default_hours)
    earliest = now + timedelta(minutes=s.min_lead_minutes)
    out: list[datetime] = []
    for h in dict.fromkeys(hours):
        at = datetime.combine(day, time(int(h)), zone)
        if (quiet and quiet.covers(int(h))) or at < earliest:
            continue
        out.append(at.astimezone(UTC))
        if len(out) == n:
            break
    return sorted(out)


def _topics(cfg: AutopilotConfig, brief: Brief | None, campaign: AutopilotCampaign | None, today: date) -> list[str]:
    if campaign is not None:
        for day in campaign.plan:
            if day["day"] == today.isoformat():
                return list(day["topics"])
    out = list(cfg.topics or [])
    if brief is not None:
        out += [t for t in brief.topics if t not in out]
    return out


def _campaign(org_id: str, cfg: AutopilotConfig, brief: Brief | None, today: date,
              log: Log) -> AutopilotCampaign | None:
    """The active campaign, or a new one from the latest research report's theme over ``campaign_days``."""
    for c in AutopilotCampaign.query(org_id, scan_index_forward=False, limit=5):
        if c.starts_on <= today.isoformat() <= c.ends_on:
            return c
    if brief is None:
        log.event("no_campaign", why="no research report yet: the day follows the settings' topics")
        return None
    days = int(cfg.campaign_days or 5)
    angles = [brief.theme, *brief.topics, *(cfg.topics or [])] or [brief.theme]
    per_day = int(cfg.posts_per_day)

    def topic(i: int) -> str:
        angle = angles[i % len(angles)]
        return brief.theme if angle == brief.theme else f"{brief.theme}: {angle}"

    plan = [{"day": (today + timedelta(days=d)).isoformat(), "topics": [topic(d * per_day + k) for k in range(per_day)]}
            for d in range(days)]
    c = AutopilotCampaign(org_id, ids.new_id("cmp"), theme=brief.theme, report_id=brief.report_id,
                          starts_on=today.isoformat(), ends_on=(today + timedelta(days=days - 1)).isoformat(),
                          plan=plan, created_at=clock.now())
    c.save(condition=AutopilotCampaign.campaign_id.does_not_exist())
    log.event("campaign_planned", campaign_id=c.campaign_id, theme=c.theme, days=days)
    return c

"""Autopilot runs: by plan level, stopping exactly at each quota, the setting's posts per day and the budget,
two concurrent runs that never overshoot, the best slot from the org's history, the daily schedule in the org's
time zone, and the weekly report."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from lily import composition
from lily.analytics.models import AnalyticsPost, published_key
from lily.approvals import policy
from lily.approvals.schemas import PolicyIn
from lily.autopilot import config, jobs, ledger, run, schedule, weekly
from lily.autopilot.models import AutopilotCampaign, AutopilotReport
from lily.autopilot.ports import Brief, ImageState
from lily.autopilot.schemas import SettingsIn
from lily.billing import entitlements
from lily.core import clock, ids
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import counter_value
from lily.core.pages import PageParams
from lily.identity import email
from lily.publishing.models import Post
from tests.integration.autopilot.conftest import FakeResearch, FakeWriter, make_org

TUESDAY_6AM = datetime(2026, 12, 8, 6, 0, tzinfo=UTC).timestamp()
STEP_MICROS = 450  # gpt-4o-mini, 1000 input + 500 output tokens, priced from the settings' table


@pytest.fixture
def frozen(lily_env):
    with clock.freeze(TUESDAY_6AM):
        yield


def _enable(ports, org, **kw) -> None:
    body = {"enabled": True, "posts_per_day": 3, "topics": ["spring launch", "customer stories"],
            "monthly_budget_usd": 10.0, **kw}
    config.put(ports, org["id"], SettingsIn(**body), org["owner"])


def _run(ports, org) -> dict:
    started = jobs.start(ports, org["id"], "manual")
    assert started.status == "queued"
    run.execute(ports, org["id"], started.run_id)
    return jobs.get(org["id"], started.run_id).model_dump(mode="json")


def _used(org, quota: str) -> int:
    return next(u.used for u in entitlements.usage(org["id"]) if u.quota == quota)


def test_enhanced_schedules_within_quota_and_logs_the_run(ports, writer, frozen):
    org = make_org("pro")
    _enable(ports, org)
    r = _run(ports, org)
    assert r["status"] == "done" and r["level"] == "enhanced" and r["read"]["mode"] == "schedule"
    assert len(r["made"]) == 3 and {m["state"] for m in r["made"]} == {"scheduled"}
    assert r["spent"]["ai_requests"] == 3 and r["spent"]["cost_usd"] == pytest.approx(3 * STEP_MICROS / 1e6)
    assert [e["event"] for e in r["log"]][:2] == ["queued", "read"]
    for m in r["made"]:
        post = Post.get(org["id"], m["post_id"])
        assert post.status == "scheduled" and post.created_by == "autopilot" and post.approval is None
    # each step took one unit of each quota, once
    assert _used(org, "posts_per_day") == 3 and _used(org, "ai_text_requests") == 3
    assert ledger.used(org["id"], ledger.cost_key()) == 3 * STEP_MICROS


def test_basic_makes_posts_that_wait_for_approval(ports, frozen):
    org = make_org("starter")
    _enable(ports, org, posts_per_day=2)
    r = _run(ports, org)
    assert r["level"] == "basic" and r["read"]["mode"] == "submit"
    assert [m["state"] for m in r["made"]] == ["pending_approval"] * 2
    from lily.approvals import workflow

    queue = workflow.pending(org["id"], PageParams()).items
    assert sorted(q.subject_id for q in queue) == sorted(m["post_id"] for m in r["made"])
    assert {q.origin for q in queue} == {"autopilot"}
    # nothing scheduled: posts_per_day is taken when an approver approves
    assert _used(org, "posts_per_day") == 0 and _used(org, "ai_text_requests") == 2
    assert {Post.get(org["id"], m["post_id"]).approval for m in r["made"]} == {"pending"}


def test_the_org_policy_makes_enhanced_posts_wait_too(ports, frozen):
    org = make_org("pro")
    policy.put(org["id"], PolicyIn(autopilot=True), org["owner"])
    _enable(ports, org, posts_per_day=1)
    r = _run(ports, org)
    assert r["read"]["mode"] == "submit" and r["made"][0]["state"] == "pending_approval"


def test_stops_exactly_at_the_plans_posts_per_day(ports, frozen):
    org = make_org("pro")  # 25 posts per day
    entitlements.consume(org["id"], "posts_per_day", 23)
    _enable(ports, org, posts_per_day=5)
    before = counter_value("plan_limit_hits_total", feature="posts_per_day", plan="pro")
    r = _run(ports, org)
    assert r["status"] == "stopped" and len(r["made"]) == 2
    assert r["stopped"]["reason"] == "posts_per_day" and r["stopped"]["upgrade_to"] == "enterprise"
    assert r["stopped"]["limit"] == 25
    assert _used(org, "posts_per_day") == 25 and _used(org, "ai_text_requests") == 2  # nothing past the limit
    assert counter_value("plan_limit_hits_total", feature="posts_per_day", plan="pro") == before + 1
    from lily.autopilot import notices

    notice = notices.list_notices(org["id"], PageParams()).items[0]
    assert notice.reason == "posts_per_day" and notice.upgrade_to == "enterprise" and notice.run_id == r["run_id"]


def test_stops_exactly_at_the_ai_requests_quota(ports, frozen):
    org = make_org("pro")  # 200 AI text requests per day
    entitlements.consume(org["id"], "ai_text_requests", 199)
    _enable(ports, org, posts_per_day=4)
    r = _run(ports, org)
    assert len(r["made"]) == 1 and r["stopped"]["reason"] == "ai_text_requests"
    assert r["stopped"]["upgrade_to"] == "enterprise"
    assert _used(org, "ai_text_requests") == 200 and _used(org, "posts_per_day") == 1  # the stopped step gave back


def test_stops_exactly_at_the_monthly_budget(ports, writer, frozen):
    org = make_org("pro")
    reserve = ledger.text_reservation_micros()
    # room for exactly three steps: two settled at their real cost, and the third's reservation
    _enable(ports, org, posts_per_day=8, monthly_budget_usd=(2 * STEP_MICROS + reserve) / 1e6)
    before = counter_value("plan_limit_hits_total", feature="autopilot_budget", plan="pro")
    r = _run(ports, org)
    assert len(r["made"]) == 3 and r["stopped"]["reason"] == "budget" and len(writer.calls) == 3
    assert ledger.used(org["id"], ledger.cost_key()) == 3 * STEP_MICROS
    assert counter_value("plan_limit_hits_total", feature="autopilot_budget", plan="pro") == before + 1
    assert _used(org, "posts_per_day") == 3 and _used(org, "ai_text_requests") == 3  # the 4th step gave back


def test_stops_at_the_settings_posts_per_day_across_runs(ports, frozen):
    org = make_org("pro")
    _enable(ports, org, posts_per_day=2)
    assert len(_run(ports, org)["made"]) == 2
    again = _run(ports, org)
    assert again["made"] == [] and again["stopped"]["reason"] == "posts_per_day_setting"


@pytest.mark.parametrize("limit", ["budget", "posts_per_day_setting"])
def test_two_concurrent_runs_never_overshoot(ports, limit, frozen):
    org = make_org("pro")
    slow = FakeWriter(pause_s=0.05)
    p = ports._replace(writer=slow)
    if limit == "budget":
        _enable(p, org, posts_per_day=8, monthly_budget_usd=(2 * STEP_MICROS + ledger.text_reservation_micros()) / 1e6)
    else:
        _enable(p, org, posts_per_day=3, monthly_budget_usd=100.0)
    done = _two_runs_at_once(p, org)
    made = sum(len(d.made) for d in done)
    assert made == 3, [(d.status, len(d.made), d.stopped) for d in done]
    assert len(slow.calls) == 3
    assert ledger.used(org["id"], ledger.cost_key()) == 3 * STEP_MICROS
    assert ledger.used(org["id"], ledger.posts_key("2026-12-08")) == 3
    assert _used(org, "posts_per_day") == 3 and _used(org, "ai_text_requests") == 3
    assert any(d.stopped and d.stopped["reason"] == limit for d in done)


def test_a_free_org_is_refused_with_the_plan_that_lifts_it(ports, frozen):
    org = make_org("free")
    with pytest.raises(LilyError) as e:
        config.put(ports, org["id"], SettingsIn(enabled=True), org["owner"])
    assert e.value.code.value == "PLAN_001" and e.value.details["upgrade_to"] == "starter"
    before = counter_value("plan_limit_hits_total", feature="autopilot", plan="free")
    r = jobs.start(ports, org["id"], "manual")
    assert r.status == "refused" and r.stopped["upgrade_to"] == "starter"
    assert counter_value("plan_limit_hits_total", feature="autopilot", plan="free") == before + 1


def test_full_runs_a_campaign_from_the_latest_report(ports, writer, frozen):
    org = make_org("enterprise")
    brief = Brief(report_id="rpt_1", theme="Remote work tools", topics=["async standups", "time zones"],
                  insight_ids=[])
    p = ports._replace(research=FakeResearch(brief))
    _enable(p, org, posts_per_day=2, campaign_days=3, topics=[])
    r = _run(p, org)
    assert r["level"] == "full" and r["read"]["report_id"] == "rpt_1" and r["read"]["campaign_id"]
    campaign = AutopilotCampaign.get(org["id"], r["read"]["campaign_id"])
    assert campaign.theme == "Remote work tools" and [d["day"] for d in campaign.plan] == [
        "2026-12-08", "2026-12-09", "2026-12-10"]
    assert [t for t, _ in writer.calls] == campaign.plan[0]["topics"]
    assert all(t.startswith("Remote work tools") for t, _ in writer.calls)
    # the next day's run follows the same campaign
    with clock.freeze(TUESDAY_6AM + 86400):
        nxt = _run(p, org)
    assert nxt["read"]["campaign_id"] == campaign.campaign_id
    assert [m["topic"] for m in nxt["made"]] == campaign.plan[1]["topics"]


def _two_runs_at_once(ports, org) -> list:
    """Start two manual runs and execute them in two threads released together; their final records."""
    runs = [jobs.start(ports, org["id"], "manual").run_id for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def go(run_id: str) -> None:
        try:  # the clock is frozen for the whole process (the fixture)
            barrier.wait()
            run.execute(ports, org["id"], run_id)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=go, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    return [jobs.get(org["id"], r) for r in runs]


def _history(org, at: datetime, engagements: int, impressions: int = 1000, connection: int = 0,
             platform: str = "x") -> None:
    tid = ids.new_id("tgt")
    AnalyticsPost(org["id"], published_key(at, tid), target_id=tid, post_id=ids.new_id("post"),
                  connection_id=org["connections"][connection], platform=platform, platform_post_id="1",
                  published_at=at, impressions=impressions, likes=engagements, comments=0, shares=0, clicks=0,
                  collected_at=at).save()


def test_each_platform_posts_at_its_own_best_time_learned_from_its_history(ports, frozen):
    """Analytics learns best times per platform (``BestTimesProvider``, 20 settled posts at least): X engages
    best at 14:00 UTC (15:00 in Paris), LinkedIn at 09:00 UTC (10:00 in Paris); each gets its own slot."""
    org = make_org("pro", zone="Europe/Paris", platforms=("x", "linkedin"))
    tuesday = datetime(2026, 12, 8, tzinfo=UTC)
    for weeks in range(1, 12):
        for hour, x, li in ((14, 90, 10), (9, 10, 90)):
            at = tuesday.replace(hour=hour) - timedelta(weeks=weeks)
            _history(org, at, engagements=x, connection=0, platform="x")
            _history(org, at, engagements=li, connection=1, platform="linkedin")
    _enable(ports, org, posts_per_day=2)
    r = _run(ports, org)
    assert r["read"]["history"] == ["linkedin", "x"]
    # (weekday, hour) in Paris; only Tuesdays in the history, so the weekdays tie and the hour decides
    assert r["read"]["best_slots"]["x"][0][1] == 15 and r["read"]["best_slots"]["linkedin"][0][1] == 10
    at = {m["platform"]: m["at"] for m in r["made"]}
    assert at == {"x": "2026-12-08T14:00:00Z", "linkedin": "2026-12-08T09:00:00Z"}


def test_without_history_a_platform_posts_at_the_default_hours(ports, frozen):
    org = make_org("pro", zone="Europe/Paris")
    for weeks in range(1, 4):  # too short a history (fewer than 20 settled posts): no guess
        _history(org, datetime(2026, 12, 8, 14, tzinfo=UTC) - timedelta(weeks=weeks), engagements=90)
    _enable(ports, org, posts_per_day=1)
    r = _run(ports, org)
    assert r["read"]["history"] == [] and r["read"]["best_slots"] == {"x": []}
    assert r["made"][0]["at"] == "2026-12-08T08:00:00Z"  # 09:00 in Paris, the first default hour


def test_quiet_hours_and_days_are_respected(ports, frozen):
    org = make_org("pro")
    _enable(ports, org, posts_per_day=8, quiet_hours={"start": 10, "end": 18})
    r = _run(ports, org)
    hours = sorted(clock.parse_iso(m["at"]).hour for m in r["made"])
    assert hours == [8, 9, 19, 20]
    other = make_org("pro")
    _enable(ports, other, days=["mon", "wed"])
    assert _run(ports, other)["made"] == []


def test_the_daily_schedule_runs_each_org_at_six_in_its_time_zone(ports, frozen):
    org = make_org("pro", zone="America/New_York")
    _enable(ports, org)
    assert config.get(ports, org["id"]).next_run == datetime(2026, 12, 8, 11, tzinfo=UTC)  # 06:00 in New York
    with clock.freeze(datetime(2026, 12, 8, 10, 59, tzinfo=UTC).timestamp()):
        assert schedule.tick(ports)["queued"] == 0
    with clock.freeze(datetime(2026, 12, 8, 11, 0, tzinfo=UTC).timestamp()):
        first = schedule.tick(ports)
        assert first["queued"] >= 1
        assert schedule.tick(ports)["queued"] == 0  # claimed: never twice a day
    assert config.get(ports, org["id"]).next_run == datetime(2026, 12, 9, 11, tzinfo=UTC)
    runs = jobs.list_runs(org["id"], PageParams()).items
    assert [(r.trigger, r.status) for r in runs] == [("schedule", "queued")]


def test_the_weekly_report_is_stored_once_and_emailed(ports, frozen):
    org = make_org("pro")
    _enable(ports, org, posts_per_day=2)
    _run(ports, org)
    _history(org, datetime(2026, 12, 9, 14, tzinfo=UTC), engagements=40, impressions=800)
    _history(org, datetime(2026, 12, 10, 9, tzinfo=UTC), engagements=10, impressions=200)
    sunday = datetime(2026, 12, 13, 8, tzinfo=UTC).timestamp()
    with clock.freeze(sunday):
        wports = composition.autopilot_weekly_ports()
        assert weekly.tick(wports)["stored"] >= 1
        assert weekly.store_and_send(wports, org["id"], clock.now()) is False  # once per week
    report = weekly.get(org["id"], "2026-12-07")
    assert report.published == 2 and report.engagements == 50 and report.engagement_rate == pytest.approx(0.05)
    assert report.autopilot["made"] == 2 and report.autopilot["next_week"]["posts_planned"] == 14
    assert AutopilotReport.get(org["id"], "2026-12-07").data["published"] == 2
    mails = email.outbox(org["email"])
    assert mails and "Your Lily week" in mails[0].subject and "Published: 2" in mails[0].text


IMAGE_MICROS = 40_000  # one image, priced from the settings' table


def _generated_medium(org, name: str) -> str:
    from lily.publishing import media

    media_id, _ = media.store(composition.publishing_ports().storage_quota, org["id"], b"\x89PNG generated",
                              "image/png", name=name, alt_text=None, created_by=None, generated=True)
    return media_id


def test_images_are_attached_when_their_jobs_deliver_and_a_failed_one_never_blocks_its_post(ports, images,
                                                                                            frozen):
    org = make_org("pro")
    _enable(ports, org, posts_per_day=2, images=True)
    r = _run(ports, org)
    # each post got an image job, reserved first: one image_generations unit and the image's price each
    assert r["status"] == "done" and [m["state"] for m in r["made"]] == ["awaiting_image"] * 2
    assert len(images.started) == 2 and r["spent"]["images"] == 2
    assert _used(org, "image_generations") == 2
    assert ledger.used(org["id"], ledger.cost_key()) == 2 * STEP_MICROS + 2 * IMAGE_MICROS
    posts = [m["post_id"] for m in r["made"]]
    assert {Post.get(org["id"], p).status for p in posts} == {"draft"}  # waiting for their images
    # a look while the jobs run leaves the posts drafts (and queues the next look)
    assert run.check_images(ports, org["id"], r["run_id"], 1) == "waiting"
    assert {Post.get(org["id"], p).status for p in posts} == {"draft"}
    # When the first job delivers and the second is blocked (no provider call paid)
    first, second = (m["image"]["job_id"] for m in r["made"])
    medium = _generated_medium(org, first)
    images.states[first] = ImageState("done", media_id=medium, charged=True)
    images.states[second] = ImageState("failed", reason="image blocked: the prompt was blocked", charged=False)
    assert run.check_images(ports, org["id"], r["run_id"], 2) == "released"
    # Then the first post is scheduled at its slot with the image, the second without it, the log says why
    done = jobs.get(org["id"], r["run_id"]).model_dump(mode="json")
    assert [(m["state"], m["image"]["state"], m["at"]) for m in done["made"]] == [
        ("scheduled", "attached", r["made"][0]["at"]), ("scheduled", "failed", r["made"][1]["at"])]
    with_image, without = (Post.get(org["id"], p) for p in posts)
    assert with_image.status == without.status == "scheduled"
    assert list(with_image.media_ids) == [medium] and not without.media_ids
    why = [e for e in done["log"] if e["event"] == "image_not_used"]
    assert [e["job_id"] for e in why] == [second] and "blocked" in why[0]["why"]
    # the unpaid image's price came back to the budget (its unit came back through the image pipeline)
    assert ledger.used(org["id"], ledger.cost_key()) == 2 * STEP_MICROS + IMAGE_MICROS
    assert done["spent"]["images"] == 1 and _used(org, "posts_per_day") == 2
    # a duplicate look changes nothing
    assert run.check_images(ports, org["id"], r["run_id"], 3) == "released"
    assert _used(org, "posts_per_day") == 2


def test_an_image_still_running_after_the_last_look_lets_its_post_go_without_it(ports, images, frozen):
    org = make_org("pro")
    _enable(ports, org, posts_per_day=1, images=True)
    r = _run(ports, org)
    looks = run.autopilot_settings().image_checks
    assert run.check_images(ports, org["id"], r["run_id"], looks) == "released"
    made = jobs.get(org["id"], r["run_id"]).made[0]
    assert made["state"] == "scheduled" and made["image"]["state"] == "late"
    assert Post.get(org["id"], made["post_id"]).status == "scheduled"


def test_a_refused_image_never_blocks_its_post(ports, frozen):
    from tests.integration.autopilot.conftest import FakeImages

    org = make_org("pro")
    refusing = FakeImages(refuse=LilyError(ErrorCode.CONTENT_004, "The prompt_as_sent was blocked by moderation"))
    p = ports._replace(images=refusing)
    _enable(p, org, posts_per_day=1, images=True)
    r = _run(p, org)
    assert r["made"][0]["state"] == "scheduled" and "image" not in r["made"][0]
    assert [e["code"] for e in r["log"] if e["event"] == "image_failed"] == ["CONTENT_004"]
    # what was reserved for the image went back
    assert _used(org, "image_generations") == 0 and r["spent"]["images"] == 0
    assert ledger.used(org["id"], ledger.cost_key()) == STEP_MICROS


def test_at_the_images_limit_the_run_stops_making_images_and_keeps_making_text_posts(ports, images, frozen):
    org = make_org("pro")  # 500 images per month
    entitlements.consume(org["id"], "image_generations", 499)
    _enable(ports, org, posts_per_day=3, images=True)
    before = counter_value("plan_limit_hits_total", feature="image_generations", plan="pro")
    r = _run(ports, org)
    assert r["status"] == "done" and len(r["made"]) == 3 and len(images.started) == 1
    assert [m["state"] for m in r["made"]] == ["awaiting_image", "scheduled", "scheduled"]
    assert _used(org, "image_generations") == 500 and _used(org, "posts_per_day") == 3
    assert counter_value("plan_limit_hits_total", feature="image_generations", plan="pro") == before + 1
    stops = [e for e in r["log"] if e["event"] == "images_stopped"]
    assert len(stops) == 1 and stops[0]["reason"] == "image_generations" and stops[0]["upgrade_to"] == "enterprise"
    from lily.autopilot import notices

    notice = notices.list_notices(org["id"], PageParams()).items[0]
    assert notice.reason == "image_generations" and notice.upgrade_to == "enterprise" and notice.details["images"]


def test_an_image_that_would_pass_the_budget_is_not_made_and_the_text_posts_go_on(ports, images, frozen):
    org = make_org("pro")
    reserve = ledger.text_reservation_micros()
    # room for one image and then text steps only: 2 texts reserved and settled around one image
    _enable(ports, org, posts_per_day=2, images=True,
            monthly_budget_usd=(STEP_MICROS + IMAGE_MICROS + reserve) / 1e6)
    r = _run(ports, org)
    assert len(r["made"]) == 2 and len(images.started) == 1
    assert [e["reason"] for e in r["log"] if e["event"] == "images_stopped"] == ["budget"]
    assert ledger.used(org["id"], ledger.cost_key()) == 2 * STEP_MICROS + IMAGE_MICROS


@pytest.mark.parametrize("limit", ["image_generations", "budget"])
def test_two_concurrent_runs_with_images_never_overshoot_the_images_quota_or_the_budget(ports, limit, frozen):
    from tests.integration.autopilot.conftest import FakeImages

    org = make_org("pro")  # 500 images per month
    slow, imgs = FakeWriter(pause_s=0.05), FakeImages()
    p = ports._replace(writer=slow, images=imgs)
    if limit == "image_generations":
        entitlements.consume(org["id"], "image_generations", 498)  # room for two images
        cap = 100.0
    else:  # room for three texts and one or two images, depending on how the two runs interleave
        cap = (3 * STEP_MICROS + IMAGE_MICROS + 2 * ledger.text_reservation_micros()) / 1e6
    _enable(p, org, posts_per_day=3, images=True, monthly_budget_usd=cap)
    done = _two_runs_at_once(p, org)
    made = sum(len(d.made) for d in done)
    started = len(imgs.started)
    spent = ledger.used(org["id"], ledger.cost_key())
    # every unit and every micro-dollar taken belongs to a text or an image that was made
    assert spent == len(slow.calls) * STEP_MICROS + started * IMAGE_MICROS
    assert _used(org, "image_generations") == 498 * (limit == "image_generations") + started
    assert spent <= round(cap * 1e6) and _used(org, "image_generations") <= 500
    assert sum(d.spent["images"] for d in done) == started
    if limit == "image_generations":
        assert made == 3 and started == 2 and _used(org, "image_generations") == 500
    else:  # the budget stopped the images (and perhaps the texts) of at least one run
        assert 1 <= started <= 2 and made >= 2
        assert any(e["event"] in ("images_stopped", "stopped") and e.get("reason") == "budget"
                   for d in done for e in d.log)

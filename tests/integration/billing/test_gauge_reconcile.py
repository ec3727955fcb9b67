"""The nightly gauge reconciliation: gauges that drifted from the real counts (a crash between a write and its
quota call, a manual repair) are reset, the drift is a metric, and a quota change that lands meanwhile wins."""

from __future__ import annotations

from datetime import UTC, datetime

from lily import composition
from lily.billing import gauge_reconcile
from lily.billing.entitlements import consume, set_gauge, usage
from lily.billing.models import QuotaCounter
from lily.core import ids
from lily.core.observability import counter_value, observations
from lily.identity.models import Membership
from lily.social.models import SocialConnection
from tests.helpers import load_event
from tests.support.billing import set_plan


def _used(org_id: str, quota: str) -> int:
    return {u.quota: u.used for u in usage(org_id)}[quota]


def _members(org_id: str, n: int) -> None:
    for _ in range(n):
        Membership(org_id, ids.new_id("usr"), role="editor", joined_at=datetime.now(UTC)).save()


def _connections(org_id: str, n: int) -> None:
    now = datetime.now(UTC)
    for _ in range(n):
        SocialConnection(org_id, ids.new_id("conn"), platform="x", account_id=ids.token(8), account_kind="user",
                         account_name="Bakery", scopes=["tweet.write"], status="active", access_envelope="sealed",
                         token_version=1, grant_id=ids.new_id("grant"), created_by="usr_x", created_at=now,
                         updated_at=now).save()


def test_drifted_gauges_are_reset_from_the_real_counts_and_the_drift_is_reported(lily_env):
    # Given three organizations: one whose seat gauge counts a member that was never written (crash after the
    # consume), one whose profile gauge lost a connection (crash before the consume), one exact
    drifted_seats, drifted_profiles, exact = ids.new_id("org"), ids.new_id("org"), ids.new_id("org")
    for org in (drifted_seats, drifted_profiles, exact):
        set_plan(org, "pro")
    _members(drifted_seats, 2)
    consume(drifted_seats, "team_seats", 3)
    _connections(drifted_profiles, 2)
    consume(drifted_profiles, "social_profiles", 1)
    _members(exact, 1)
    consume(exact, "team_seats", 1)
    _connections(exact, 1)
    consume(exact, "social_profiles", 1)
    # and a gauge left behind by an organization whose members are all gone
    gone = ids.new_id("org")
    set_gauge(gone, "team_seats", 4)
    corrections = counter_value("quota_gauge_corrections_total", feature="team_seats")
    # When the nightly job runs
    report = {g.quota: g for g in gauge_reconcile.run(composition.gauge_reconcile_ports()).gauges}
    # Then every gauge equals what it counts, and the drift was measured
    assert (_used(drifted_seats, "team_seats"), _used(drifted_profiles, "social_profiles")) == (2, 2)
    assert (_used(exact, "team_seats"), _used(exact, "social_profiles"), _used(gone, "team_seats")) == (1, 1, 0)
    assert report["team_seats"].drift == 1 + 4 and report["team_seats"].corrected == 2
    assert report["social_profiles"].drift == 1 and report["social_profiles"].corrected == 1
    assert 5 in observations("quota_gauge_drift", feature="team_seats")
    assert counter_value("quota_gauge_corrections_total", feature="team_seats") == corrections + 2
    # And a second night finds nothing to do
    again = {g.quota: g for g in gauge_reconcile.run(composition.gauge_reconcile_ports()).gauges}
    assert again["team_seats"].drift == 0 and again["social_profiles"].drift == 0


def test_a_consume_between_the_count_and_the_correction_wins(lily_env, monkeypatch):
    org = ids.new_id("org")
    set_plan(org, "pro")
    _members(org, 1)
    consume(org, "team_seats", 3)  # drifted: 3 stored, 1 real
    real = {org: 1}
    # When a member joins (consume) after the job counted and read the gauge, before it corrects
    stored = gauge_reconcile.stored_gauges("team_seats")
    consume(org, "team_seats", 1)
    monkeypatch.setattr(gauge_reconcile, "stored_gauges", lambda quota: stored)  # the job's earlier read
    report = gauge_reconcile.reconcile_gauge("team_seats", real)
    # Then the correction does not overwrite the newer value; it is counted as raced and left for next night
    assert report.raced == 1 and report.corrected == 0
    assert QuotaCounter.get(f"{org}#team_seats", "gauge").used == 4


def test_the_scheduled_function_runs_the_reconciliation(lily_env):
    from lily.core.functions import discover, load_handler_module
    from lily.local.workers import invoke

    spec = next(s for s in discover() if s.name == "quota_reconcile")
    org = ids.new_id("org")
    set_gauge(org, "social_profiles", 2)
    result = invoke(spec, load_handler_module(spec).handler, load_event("quota_reconcile"))
    assert {g["quota"] for g in result["gauges"]} == {"social_profiles", "team_seats"}
    assert _used(org, "social_profiles") == 0

"""Paid research calls counted and runs capped (issue 25 security 5), and a run that times out or dies failed on
its last delivery (as image jobs are): the worker with fake ports, and the HTTP routes."""

from __future__ import annotations

import pytest

from lily.core import clock, ids
from lily.core.config import reset_settings
from lily.research import jobs, run
from lily.research.messages import RunMessage
from lily.research.models import ResearchConfig, ResearchJob
from lily.research.vectors.embedded import EmbeddedVectorIndex
from lily.research.vectors.ports import IndexInfo
from tests.integration.research.test_research_worker import DIM, Quota, ScriptedAI, TopicEmbedder, ports


class Gate:
    def require(self, org_id):
        return None


@pytest.fixture
def setup(lily_env, tmp_path):
    org_id = ids.new_id("org")
    now = clock.now()
    config = ResearchConfig(org_id, ids.new_id("rcf"), name="n", industry="cafes", created_at=now, updated_at=now)
    config.save()
    index = EmbeddedVectorIndex(tmp_path / "ix", IndexInfo("fake-embedding", DIM))
    index.open()
    return org_id, config, index


def queued(config) -> RunMessage:
    job = jobs.enqueue(Gate(), config, "manual")
    return RunMessage(org_id=job.org_id, job_id=job.job_id)


def test_the_synthesis_counts_one_ai_request_and_a_provider_failure_gives_it_back(setup):
    org_id, config, index = setup
    quota = Quota()
    done = ports(ScriptedAI(fail=False), TopicEmbedder())._replace(quota=quota)
    assert run.process(queued(config), done, index) == "done"
    assert quota.used == 1
    failing = ports(ScriptedAI(fail=True), TopicEmbedder())._replace(quota=quota)
    assert run.process(queued(config), failing, index) == "failed"
    assert quota.used == 1  # the failed synthesis was not paid for


def test_runs_in_flight_are_capped_per_org_and_an_ended_run_gives_its_slot_back(setup, monkeypatch):
    org_id, config, index = setup
    monkeypatch.setenv("LILY_MAX_RUNS_IN_FLIGHT", "2")
    reset_settings()
    first, _second = queued(config), queued(config)
    with pytest.raises(Exception) as refused:
        queued(config)
    assert getattr(refused.value, "code", None).value == "VALIDATION_003"
    assert run.process(first, ports(ScriptedAI(fail=False), TopicEmbedder()), index) == "done"
    queued(config)  # the ended run's slot is free again


def test_a_leaked_slot_is_corrected_from_the_live_jobs(setup, monkeypatch):
    org_id, config, index = setup
    monkeypatch.setenv("LILY_MAX_RUNS_IN_FLIGHT", "1")
    monkeypatch.setenv("LILY_RUN_STALE_S", "600")
    reset_settings()
    queued(config)  # its worker dies: the job stays queued and never gives its slot back
    clock.advance(601)
    queued(config)  # the stale job no longer counts: the counter is corrected and the run accepted


class Exploding:
    def published(self, org_id, since, limit):
        raise TimeoutError("the feed read outlived its deadline")


@pytest.mark.parametrize("last", [False, True])
def test_an_unexpected_error_fails_the_run_only_on_its_last_delivery(setup, last):
    org_id, config, index = setup
    message = queued(config)
    broken = ports(ScriptedAI(fail=False), TopicEmbedder())._replace(posts=Exploding())
    with pytest.raises(TimeoutError):
        run.process(message, broken, index, last_delivery=last)
    job = ResearchJob.get(org_id, message.job_id)
    if last:
        assert job.status == "failed" and job.error["code"] == "WORKFLOW_001" and job.finished_at is not None
    else:
        assert job.status == "running"  # SQS delivers it again


def test_a_run_past_its_time_budget_fails_between_stages(setup, monkeypatch):
    org_id, config, index = setup
    monkeypatch.setenv("LILY_RUN_BUDGET_S", "0.000001")
    reset_settings()
    message = queued(config)
    assert run.process(message, ports(ScriptedAI(fail=False), TopicEmbedder()), index) == "failed"
    job = ResearchJob.get(org_id, message.job_id)
    assert job.error["code"] == "WORKFLOW_001" and job.error["details"]["stage"] == "embedding"


from tests.integration.research.test_research_flow import (  # noqa: E402 - fixtures of the HTTP flow
    embedding_calls,
    org,  # noqa: F401
    research_env,  # noqa: F401
    sandboxes,  # noqa: F401
)
from tests.support.billing import set_plan  # noqa: E402


def test_a_memory_search_counts_one_ai_request_and_is_refused_when_they_are_used_up(http, org, research_env):  # noqa: F811
    from lily.billing.entitlements import PlanQuota

    set_plan(org["org_id"], "pro")

    def used() -> int:
        rows = http.get(f"/api/orgs/{org['org_id']}/usage", headers=org["headers"]).json()
        return next(u["used"] for u in rows if u["quota"] == "ai_text_requests")

    before = used()
    r = http.post(f"{org['base']}/search", headers=org["headers"], json={"query": "remote onboarding", "k": 3})
    assert r.status_code == 200, r.text
    assert used() == before + 1
    quota = PlanQuota("ai_text_requests")
    quota.consume(org["org_id"], quota.remaining(org["org_id"]))
    calls = len(embedding_calls(research_env))
    r = http.post(f"{org['base']}/search", headers=org["headers"], json={"query": "remote onboarding", "k": 3})
    assert r.status_code == 429 and r.json()["error"]["code"] == "PLAN_002", r.text
    assert len(embedding_calls(research_env)) == calls  # nothing paid for

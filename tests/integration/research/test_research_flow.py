"""Research in local mode, over HTTP, through the queue and the real clients: the OpenAI-compatible sandbox
(embeddings from the local sentence model, structured synthesis) and the feeds sandbox (RSS and Atom)."""

from __future__ import annotations

import httpx
import pytest

from lily import composition
from lily.ai.models import AIUsage
from lily.core import clock
from lily.core.config import load, reset_settings
from lily.core.functions import discover, load_handler_module
from lily.local.context import LocalContext
from lily.local.sandboxes.feeds import ENTRIES
from lily.local.sandboxes.openai import MINILM_FLOOR
from lily.research import schedule
from lily.research.configs import next_run
from lily.research.forget import forget_org
from lily.research.models import ResearchJob
from lily.research.schemas import Cadence
from lily.research.vectors.factory import vector_index
from tests.helpers import drain, load_event
from tests.support.billing import set_plan
from tests.support.sandboxes import reset_between, running_sandboxes


@pytest.fixture(scope="module")
def sandboxes():
    with running_sandboxes(["openai", "feeds"]) as started:
        yield started


@pytest.fixture
def research_env(sandboxes, monkeypatch, tmp_path):
    monkeypatch.setenv("LILY_LOCAL_DATA_DIR", str(tmp_path))
    reset_settings()
    with reset_between(sandboxes):
        yield sandboxes
    reset_settings()


@pytest.fixture
def org(research_env, http):
    from tests.support.identity import create_org, register_user

    user = register_user(http)
    org_id = create_org(http, user["headers"])
    return {"headers": user["headers"], "org_id": org_id, "base": f"/api/orgs/{org_id}/research"}


def feeds_of(sandboxes) -> list[str]:
    base = sandboxes["feeds"].base_url
    return [f"{base}/feeds/hr-tech.rss", f"{base}/feeds/workplace.atom"]


def config_body(sandboxes, **changes) -> dict:
    return {"name": "HR watch", "industry": "HR software", "topics": ["remote onboarding", "AI in hiring"],
            "competitors": ["@acmehr"], "feeds": feeds_of(sandboxes), **changes}


def embedding_calls(sandboxes) -> list[dict]:
    return [r for r in sandboxes["openai"].state.requests if r["path"] == "/v1/embeddings"]


def run_and_drain(http, local_suite, org, config_id) -> dict:
    r = http.post(f"{org['base']}/run", headers=org["headers"], json={"config_id": config_id})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    drain(local_suite)
    return http.get(f"{org['base']}/jobs/{r.json()['job_id']}", headers=org["headers"]).json()


def test_config_run_report_insight_and_a_post_grounded_on_it(http, local_suite, org, research_env):
    sandboxes = research_env
    set_plan(org["org_id"], "pro")
    # Given a research config with the two sample feeds (default cadence: Sunday 02:00 UTC)
    created = clock.now()
    with clock.freeze(created):
        r = http.post(f"{org['base']}/configs", headers=org["headers"], json=config_body(sandboxes))
    assert r.status_code == 201, r.text
    config = r.json()
    assert config["cadence"] == {"day": "sunday", "hour": 2, "minute": 0}
    assert clock.parse_iso(config["next_run_at"]) == next_run(Cadence(), created)  # scheduled
    # When a run is started on demand and the worker takes it from the queue
    job = run_and_drain(http, local_suite, org, config["config_id"])
    # Then the job is done with its run log
    assert job["status"] == "done" and job["progress"] == 100, job
    counts = job["counts"]
    assert counts["feeds"] == 2 and counts["feeds_failed"] == 0 and counts["feed_entries"] == 12
    assert counts["new"] == 12 and counts["duplicates"] == 0 and counts["themes"] == 3 and counts["insights"] == 3
    assert job["tokens"] > 0 and job["duration_ms"] >= 0 and 0 < job["confidence"] <= 1
    # And the embeddings went out in batches of at most 64, with the deployment's dimension
    calls = embedding_calls(sandboxes)
    assert calls and all(len(c["body"]["input"]) <= 64 and c["body"]["dimensions"] == 1024 for c in calls)
    assert {u.operation for u in AIUsage.query(org["org_id"])} >= {"embedding", "text"}
    # And the report holds one insight per theme, each with evidence links over the local model's calibrated floor
    report = http.get(f"{org['base']}/reports/{job['report_id']}", headers=org["headers"]).json()
    assert len(report["insights"]) == 3 and report["summary"]
    for insight in report["insights"]:
        assert insight["evidence"] and all(e["score"] >= MINILM_FLOOR for e in insight["evidence"])
        assert all(e["url"].startswith(sandboxes["feeds"].base_url + "/articles/") for e in insight["evidence"])
        assert insight["low_confidence"] == (insight["confidence"] < 0.7)
    assert http.get(f"{org['base']}/reports/latest", headers=org["headers"]).json()["report_id"] == job["report_id"]
    insight = report["insights"][0]
    got = http.get(f"{org['base']}/insights/{insight['insight_id']}", headers=org["headers"])
    assert got.status_code == 200 and got.json()["title"] == insight["title"]
    # When a post is generated from the insight
    r = http.post(f"/api/orgs/{org['org_id']}/content/generate", headers=org["headers"],
                  json={"topic": "what the research found", "platforms": ["linkedin"],
                        "research_insight_ids": [insight["insight_id"]]})
    assert r.status_code == 201, r.text
    assert r.json()["drafts"]
    # Then the prompt carried the insight and its evidence links
    prompt = [q for q in sandboxes["openai"].state.requests
              if q["path"] == "/v1/chat/completions"][-1]["body"]["messages"][1]["content"]
    assert insight["title"] in prompt and insight["evidence"][0]["url"] in prompt
    # And an insight the org does not have is a 404, before any provider call
    r = http.post(f"/api/orgs/{org['org_id']}/content/generate", headers=org["headers"],
                  json={"topic": "x topic", "platforms": ["x"], "research_insight_ids": ["ins_" + "0" * 26]})
    assert r.status_code == 404 and r.json()["error"]["code"] == "VALIDATION_004"

    # When the config runs again over the same feeds
    before = len(embedding_calls(sandboxes))
    again = run_and_drain(http, local_suite, org, config["config_id"])
    # Then nothing seen before is embedded again (content-hash de-duplication), and memory holds 12 vectors
    assert again["status"] == "done" and again["counts"]["new"] == 0 and again["counts"]["duplicates"] == 12
    assert again["counts"]["themes"] == 3
    assert len(embedding_calls(sandboxes)) == before
    assert vector_index(composition.memory_ports().embedder).count(org["org_id"]) == 12
    jobs = http.get(f"{org['base']}/jobs", headers=org["headers"]).json()["items"]
    assert [j["job_id"] for j in jobs] == [again["job_id"], job["job_id"]]  # newest first

    # And the memory answers a semantic search (a paraphrase sharing few words with its best match)
    r = http.post(f"{org['base']}/search", headers=org["headers"],
                  json={"query": "new employees who work from home need a mentor", "k": 3, "min_score": 0.3})
    assert r.status_code == 200, r.text
    onboarding = {title for theme, title, _ in ENTRIES if theme == "onboarding"}
    assert r.json()["items"][0]["title"] in onboarding and r.json()["dimension"] == 1024

    # When the org is deleted, its research and vectors go with it
    index = vector_index(composition.memory_ports().embedder)
    forget_org(index, org["org_id"])
    assert index.count(org["org_id"]) == 0
    assert http.get(f"{org['base']}/configs", headers=org["headers"]).json()["items"] == []


def test_plans_without_research_are_refused_at_every_entry_point(http, local_suite, org, research_env):
    # Free plan: creating a config and running one are refused, naming the plan that lifts it
    r = http.post(f"{org['base']}/configs", headers=org["headers"], json=config_body(research_env))
    assert r.status_code == 403 and r.json()["error"]["code"] == "PLAN_001"
    assert r.json()["error"]["details"]["upgrade_to"] == "pro"
    set_plan(org["org_id"], "pro")
    config = http.post(f"{org['base']}/configs", headers=org["headers"], json=config_body(research_env)).json()
    set_plan(org["org_id"], "starter")
    r = http.post(f"{org['base']}/run", headers=org["headers"], json={"config_id": config["config_id"]})
    assert r.status_code == 403 and r.json()["error"]["details"]["upgrade_to"] == "pro"
    # The schedule records a refused job for a due config
    with clock.freeze(clock.parse_iso(config["next_run_at"]).timestamp() + 1):
        assert schedule.tick(composition.research_gate()) == {"due": 1, "queued": 0, "refused": 1, "failed": 0}
        assert schedule.tick(composition.research_gate())["due"] == 0  # claimed: moved to the next week
    jobs = http.get(f"{org['base']}/jobs", headers=org["headers"]).json()["items"]
    assert [j["status"] for j in jobs] == ["refused"] and jobs[0]["error"]["details"]["upgrade_to"] == "pro"
    # The worker checks again: a job queued on pro runs refused after a downgrade
    set_plan(org["org_id"], "pro")
    r = http.post(f"{org['base']}/run", headers=org["headers"], json={"config_id": config["config_id"]})
    set_plan(org["org_id"], "free")
    drain(local_suite)
    job = http.get(f"{org['base']}/jobs/{r.json()['job_id']}", headers=org["headers"]).json()
    assert job["status"] == "refused" and job["error"]["code"] == "PLAN_001"
    assert not embedding_calls(research_env)


def test_the_schedule_enqueues_due_configs_once(http, org, research_env):
    set_plan(org["org_id"], "pro")
    body = config_body(research_env, cadence={"day": "monday", "hour": 9, "minute": 30})
    config = http.post(f"{org['base']}/configs", headers=org["headers"], json=body).json()
    due = clock.parse_iso(config["next_run_at"])
    assert (due.weekday(), due.hour, due.minute) == (0, 9, 30)
    spec = next(s for s in discover() if s.name == "research_schedule")
    handler = load_handler_module(spec).handler
    with clock.freeze(due.timestamp() - 60):
        assert handler(load_event("research_schedule"), LocalContext(spec.name, 256, 60))["due"] == 0
    with clock.freeze(due.timestamp() + 5):
        assert handler(load_event("research_schedule"), LocalContext(spec.name, 256, 60))["queued"] == 1
        assert handler(load_event("research_schedule"), LocalContext(spec.name, 256, 60))["queued"] == 0
    jobs = list(ResearchJob.query(org["org_id"]))
    assert [(j.trigger, j.status) for j in jobs] == [("schedule", "queued")]  # the worker's run: the test above
    after = http.get(f"{org['base']}/configs/{config['config_id']}", headers=org["headers"]).json()
    assert clock.parse_iso(after["next_run_at"]).timestamp() - due.timestamp() == 7 * 86400
    # A disabled config is not scheduled
    put = {**body, "enabled": False, "expected_version": after["version"]}
    r = http.put(f"{org['base']}/configs/{config['config_id']}", headers=org["headers"], json=put)
    assert r.status_code == 200 and r.json()["next_run_at"] is None
    stale = http.put(f"{org['base']}/configs/{config['config_id']}", headers=org["headers"], json=put)
    assert stale.status_code == 409


def test_feeds_through_the_guard_against_the_feeds_sandbox(sandboxes):
    from lily.research.feeds import FeedRefused, read_feed
    from lily.research.settings import ResearchSettings

    base = sandboxes["feeds"].base_url
    local = load(ResearchSettings)  # the sandbox's env allows exactly its own host:port
    assert local.feed_allowed_private == [base.removeprefix("http://")]
    assert len(read_feed(f"{base}/feeds/hr-tech.rss", local)) == 6
    assert len(read_feed(f"{base}/redirect?to={base}/feeds/workplace.atom", local)) == 6  # redirect re-checked
    httpx.post(f"{base}/_sandbox/feeds/huge.rss", json={"body": "<rss>" + "x" * 1_100_000 + "</rss>"})
    refused = {
        f"{base}/feeds/huge.rss": "size cap",
        f"{base}/redirect?to=http://127.0.0.1:9/feeds/secret": "non-public",  # another loopback port
        "http://169.254.169.254/latest/meta-data/": "non-public",  # the instance metadata service
        "http://localhost:1/feed": "non-public",
        f"{base}/feeds/missing.rss": "answered 404",
    }
    for url, reason in refused.items():
        with pytest.raises(FeedRefused, match=reason):
            read_feed(url, local)
    cloud = ResearchSettings(feed_allowed_private=[])
    with pytest.raises(FeedRefused, match="non-public"):
        read_feed(f"{base}/feeds/hr-tech.rss", cloud)


def test_configs_and_jobs_page_with_a_capped_limit(http, org, research_env):
    set_plan(org["org_id"], "pro")
    made = [http.post(f"{org['base']}/configs", headers=org["headers"],
                      json=config_body(research_env, name=f"c{i}")).json()["config_id"] for i in range(3)]
    first = http.get(f"{org['base']}/configs", headers=org["headers"], params={"limit": 2}).json()
    second = http.get(f"{org['base']}/configs", headers=org["headers"],
                      params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["config_id"] for c in first["items"] + second["items"]] == sorted(made, reverse=True)
    assert second["next_cursor"] is None
    assert http.get(f"{org['base']}/configs", headers=org["headers"], params={"limit": 101}).status_code == 422
    assert http.get(f"{org['base']}/jobs", headers=org["headers"], params={"cursor": "nope"}).status_code == 422
    r = http.delete(f"{org['base']}/configs/{made[0]}", headers=org["headers"])
    assert r.status_code == 204
    assert http.get(f"{org['base']}/configs/{made[0]}", headers=org["headers"]).status_code == 404

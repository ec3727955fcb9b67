"""The research worker with fake ports: own posts and their engagement as a source, and a provider failure."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
import pytest

from lily.ai.ports import Embeddings, TextResult, Usage
from lily.core import clock, ids
from lily.core.errors import ErrorCode, LilyError
from lily.research import run
from lily.research.messages import RunMessage
from lily.research.models import ResearchConfig, ResearchItem, ResearchJob
from lily.research.ports import PublishedPost, ResearchPorts
from lily.research.vectors.embedded import EmbeddedVectorIndex
from lily.research.vectors.ports import IndexInfo

DIM = 32
TOPICS = {"coffee": 0, "tea": 1}


class TopicEmbedder:
    """Texts about the same topic land close together (a topic axis plus a little per-text noise)."""

    model, dimension = "fake-embedding", DIM

    def __init__(self):
        self.calls = 0

    def embed(self, texts, ctx):
        self.calls += 1
        vectors = []
        for text in texts:
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).standard_normal(DIM) * 0.15
            v[next(i for word, i in TOPICS.items() if word in text.lower())] += 1.0
            vectors.append(v.tolist())
        return Embeddings(vectors=vectors, model=self.model, usage=Usage(input_tokens=7, total_tokens=7))


class ScriptedAI:
    def __init__(self, fail: bool):
        self.fail = fail
        self.prompts = []

    def generate(self, request, ctx):
        self.prompts.append(request.prompt)
        if self.fail:
            raise LilyError(ErrorCode.EXTERNAL_001, "The AI provider is unavailable", {"retry_after": 30})
        n = request.json_schema["properties"]["themes"]["minItems"]
        data = {"summary": "Two themes.", "suggested_topics": ["brew guides"],
                "themes": [{"title": f"T{i}", "summary": "S", "suggested_topics": ["x"]} for i in range(n)]}
        return TextResult(text="{}", data=data, provider="fake", model="fake-text", usage=Usage(total_tokens=50),
                          latency_ms=1.0)


class Posts:
    def published(self, org_id, since, limit):
        now = clock.now()
        texts = ["Our coffee tasting sold out", "Coffee subscriptions are back", "A coffee grinder guide",
                 "Green tea for mornings", "Tea ceremony workshop", "Iced tea recipes"]
        return [PublishedPost(post_id=f"post_{i}", connection_id="conn_1", platform="x", platform_post_id=str(i),
                              text=t, url=f"https://x.example/{i}", published_at=now - timedelta(days=i))
                for i, t in enumerate(texts)]


class Engagement:
    def engagements(self, org_id, posts):
        return [{"likes": 10 * int(post.platform_post_id), "comments": 1} for post in posts]


class Gate:
    def require(self, org_id):
        return None


class Quota:
    """The AI quota, counted: ``used`` units taken and not given back."""

    def __init__(self) -> None:
        self.used = 0

    def consume(self, org_id, amount=1):
        self.used += amount

    def release(self, org_id, amount=1):
        self.used -= amount


@pytest.fixture
def setup(lily_env, tmp_path):
    org_id = ids.new_id("org")
    now = clock.now()
    config = ResearchConfig(org_id, ids.new_id("rcf"), name="n", industry="cafes", created_at=now, updated_at=now)
    config.save()
    index = EmbeddedVectorIndex(tmp_path / "ix", IndexInfo("fake-embedding", DIM))
    index.open()

    def job():
        j = ResearchJob(org_id, ids.new_id("rjb"), config_id=config.config_id, trigger="manual", created_at=now)
        j.save()
        return RunMessage(org_id=org_id, job_id=j.job_id)

    return org_id, job, index


def ports(ai, embedder):
    return ResearchPorts(ai=ai, embedder=embedder, posts=Posts(), engagement=Engagement(), gate=Gate(),
                         quota=Quota())


def test_own_posts_with_engagement_become_themes_and_a_provider_failure_fails_the_job(setup):
    org_id, new_job, index = setup
    embedder = TopicEmbedder()
    # Given the provider is down: the job fails with the provider's error, after its items were remembered
    message = new_job()
    assert run.process(message, ports(ScriptedAI(fail=True), embedder), index) == "failed"
    job = ResearchJob.get(org_id, message.job_id)
    assert job.status == "failed" and job.error["code"] == "EXTERNAL_001" and job.finished_at is not None
    assert index.count(org_id) == 6
    stored = ResearchItem.get(org_id, next(iter(ResearchItem.query(org_id))).item_id)
    assert stored.source == "own_post" and stored.engagement["comments"] == 1
    # And a redelivered message for the finished job does nothing
    assert run.process(message, ports(ScriptedAI(fail=False), embedder), index) == "duplicate"
    # When the provider is back, a new run finds the coffee and tea themes from the org's own posts
    ai = ScriptedAI(fail=False)
    message = new_job()
    assert run.process(message, ports(ai, embedder), index) == "done"
    job = ResearchJob.get(org_id, message.job_id)
    assert job.counts["own_posts"] == 6 and job.counts["new"] == 0 and job.counts["themes"] == 2
    assert job.tokens == 50 and embedder.calls == 1  # nothing embedded the second time
    assert "engagement" in ai.prompts[0] and "likes" in ai.prompts[0]  # what worked goes to the synthesis

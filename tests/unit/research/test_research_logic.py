"""Pure parts of research: the cadence, content hashes, themes, the batched embedder and confidence."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from lily.ai.embeddings import BATCH, BatchedEmbedder
from lily.ai.ports import CallContext, Embeddings, Usage
from lily.ai.settings import AISettings
from lily.research.configs import next_run
from lily.research.schemas import Cadence, ConfigIn
from lily.research.sources import content_hash
from lily.research.synthesis import EvidenceItem, ThemeFindings, schema
from lily.research.themes import themes


def test_the_default_cadence_is_sunday_two_in_the_morning_utc():
    wednesday = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    assert next_run(Cadence(), wednesday) == datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def test_the_next_run_is_strictly_after_now():
    at_the_time = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    assert next_run(Cadence(), at_the_time) == datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    later_today = next_run(Cadence(day="sunday", hour=23, minute=45), at_the_time)
    assert later_today == datetime(2026, 11, 29, 23, 45, tzinfo=UTC)


def test_configs_refuse_duplicates_blank_entries_and_non_http_feeds():
    with pytest.raises(ValueError):
        ConfigIn(name="x", industry="HR", topics=["AI", "ai"])
    with pytest.raises(ValueError):
        ConfigIn(name="x", industry="HR", feeds=["ftp://example.com/feed"])
    with pytest.raises(ValueError):
        ConfigIn(name="x", industry="HR", cadence={"day": "sunday", "hour": 24})


def test_the_content_hash_ignores_case_and_spacing_but_not_words():
    assert content_hash("Title", "Some  text\n") == content_hash("title", "some text")
    assert content_hash("Title", "Some text") != content_hash("Title", "Other text")
    assert content_hash("a", "b").startswith("h_") and len(content_hash("a", "b")) == 42


def test_themes_find_the_clusters_without_a_fixed_threshold():
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((3, 64))
    points = np.vstack([c + 0.6 * rng.standard_normal((5, 64)) for c in centres])
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    found = themes(points.astype(np.float32))
    assert sorted(sorted(t.members) for t in found) == [list(range(0, 5)), list(range(5, 10)), list(range(10, 15))]
    assert all(abs(np.linalg.norm(t.centroid) - 1) < 1e-5 and t.cohesion > 0.5 for t in found)


def test_too_few_items_make_no_theme():
    assert themes(np.ones((1, 4), dtype=np.float32) / 2) == []


class CountingAI:
    def __init__(self):
        self.calls = []

    def embed(self, texts, ctx):
        self.calls.append(list(texts))
        return Embeddings(vectors=[[1.0, 0.0] for _ in texts], model="m",
                          usage=Usage(input_tokens=len(texts), total_tokens=len(texts)))


def test_the_embedder_sends_batches_of_at_most_64_and_sums_usage():
    ai = CountingAI()
    embedder = BatchedEmbedder(ai, AISettings(embedding_model="m", embedding_dimensions=2))
    assert (embedder.model, embedder.dimension) == ("m", 2)
    answer = embedder.embed([f"t{i}" for i in range(150)], CallContext(org_id="o", feature="f"))
    assert [len(c) for c in ai.calls] == [64, 64, 22] and BATCH == 64
    assert len(answer.vectors) == 150 and answer.usage.total_tokens == 150
    assert [t for c in ai.calls for t in c] == [f"t{i}" for i in range(150)]  # order kept


def test_confidence_grows_with_evidence_sources_and_similarity():
    def item(n, ref, score):
        return EvidenceItem(item_id=f"h_{n}", title="t", text="x", url=None, source="feed", source_ref=ref,
                            score=score)

    weak = ThemeFindings([item(1, "a", 0.72)])
    strong = ThemeFindings([item(n, "ab"[n % 2], 0.9) for n in range(4)])
    assert weak.confidence < 0.7 <= strong.confidence <= 1.0
    assert ThemeFindings([]).confidence == 0.0


def test_the_report_schema_asks_for_exactly_one_entry_per_theme():
    s = schema(3)
    assert s["properties"]["themes"]["minItems"] == s["properties"]["themes"]["maxItems"] == 3
    assert s["additionalProperties"] is False

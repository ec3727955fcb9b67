"""The calibrations that need a provider key (issue 25): ``make calibrate-floors`` (research's retrieval floor per
OpenAI embedding model) and the output rate ``make check-models`` measures for the 202 rule. Against the
OpenAI-compatible sandbox through the real openai client (its embeddings are the local MiniLM model, so the floor it
finds is MiniLM's), and offline, where each says it is skipped and why."""

from __future__ import annotations

import json

import pytest

from lily.admin.output_rate import measure
from lily.ai.settings import ai_settings
from lily.core.config import reset_settings
from lily.local.sandboxes.kit import local_secret
from lily.local.sandboxes.openai import MINILM_FLOOR
from tests.bench import calibrate_floors


def keys() -> dict[str, str]:
    secret = local_secret("ai-providers")
    return {"openai": secret["openai_api_key"], "xai": secret["xai_api_key"]}


def test_calibrate_floors_embeds_the_pairs_with_each_configured_model_and_writes_only_when_asked(
        sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("LILY_EMBEDDING_FLOORS", '{"text-embedding-3-small": 0.45}')
    reset_settings()
    lines: list[str] = []
    target = tmp_path / "floors.json"
    try:
        assert calibrate_floors.main(["--write", str(target)], lines.append, keys()) == 0, lines
    finally:
        reset_settings()
    calls = [r["body"] for r in sandbox.state.requests if r["path"] == "/v1/embeddings"]
    # the deployment's model at its dimension, and the other model that has a floor at its native one
    assert {(c["model"], c.get("dimensions")) for c in calls} == {("text-embedding-3-large", 1024),
                                                                   ("text-embedding-3-small", None)}
    assert sum(len(c["input"]) for c in calls) == 2 * 2 * 200  # 200 pairs, both sides, two models
    value = json.loads(next(line for line in lines if line.startswith("LILY_EMBEDDING_FLOORS=")).split("=", 1)[1])
    # the sandbox embeds with MiniLM: the floor found is the one local mode uses
    assert set(value) == {"text-embedding-3-large", "text-embedding-3-small"}
    assert all(abs(v - MINILM_FLOOR) < 0.02 for v in value.values()), value
    assert any("best floor" in line and "recall 0.96" in line for line in lines), lines
    assert any("configured 0.450" in line for line in lines), lines  # text-embedding-3-small's placeholder
    assert json.loads(target.read_text()) == value  # written because asked (never otherwise: see below)


def test_calibrate_floors_offline_or_without_a_key_is_skipped_saying_why(monkeypatch, tmp_path):
    lines: list[str] = []
    target = tmp_path / "floors.json"
    assert calibrate_floors.main(["--write", str(target)], lines.append, {"openai": ""}) == 0
    assert "no OpenAI API key" in lines[0] and "uncalibrated placeholders" in lines[0]
    monkeypatch.setenv("LILY_AI_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    ai_settings.cache_clear()
    try:
        assert calibrate_floors.main(["--write", str(target)], lines.append, {"openai": "k"}) == 0
    finally:
        ai_settings.cache_clear()
    assert "cannot be reached; skipped" in lines[-1]
    assert not target.exists()


def test_calibrate_floors_reports_an_error_answer(sandbox):
    lines: list[str] = []
    assert calibrate_floors.main([], lines.append, {"openai": "sk-not-a-local-key"}) == 1
    assert "answered 401" in lines[-1]


def test_output_rate_is_measured_from_the_providers_answers(sandbox):
    lines: list[str] = []
    figures = measure(ai_settings(), keys(), 150.0, rounds=2, out=lines.append)
    calls = [r["body"] for r in sandbox.state.requests if r["path"] == "/v1/chat/completions"]
    assert len(calls) == 4 and sorted(c["max_completion_tokens"] for c in calls) == [64, 64, 900, 900]
    assert all(c["model"] == ai_settings().openai_text_model for c in calls)
    assert figures is not None and figures["long_tokens"] > figures["short_tokens"] > 0
    assert figures["end_to_end_tokens_per_s"] == pytest.approx(figures["long_tokens"] / figures["long_s"], rel=0.01)
    assert "configured LILY_CONTENT_OUTPUT_TOKENS_PER_S 150" in lines[0] and "tokens/s end to end" in lines[0]


def test_output_rate_offline_or_without_a_key_says_not_measured():
    lines: list[str] = []
    assert measure(ai_settings(), {"openai": ""}, 150.0, out=lines.append) is None
    assert lines[-1].endswith("not measured offline (no openai API key)")
    offline = ai_settings().model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    assert measure(offline, {"openai": "k"}, 150.0, out=lines.append) is None
    assert "not measured offline" in lines[-1] and "unreachable" in lines[-1]

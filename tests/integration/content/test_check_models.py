"""``make check-models`` against the sandbox's ``GET /v1/models`` (issue 25 item 6)."""

from __future__ import annotations

from lily.ai.check_models import check
from lily.ai.settings import ai_settings
from lily.local.sandboxes.kit import local_secret


def keys() -> dict[str, str]:
    secret = local_secret("ai-providers")
    return {"openai": secret["openai_api_key"], "xai": secret["xai_api_key"]}


def test_every_configured_model_is_listed_by_the_provider(lily_env, sandbox):
    lines: list[str] = []
    assert check(ai_settings(), keys(), lines.append) == 0, lines
    assert any(line.startswith("openai:") and "models listed" in line for line in lines)
    assert any("ok      grok-imagine-image-quality (checked " in line for line in lines)


def test_a_model_the_provider_does_not_list_fails_the_check(lily_env, sandbox):
    lines: list[str] = []
    settings = ai_settings().model_copy(update={"xai_text_model": "grok-retired-1"})
    assert check(settings, keys(), lines.append) == 1
    assert any("MISSING grok-retired-1" in line for line in lines)


def test_offline_or_without_keys_the_check_is_skipped_with_a_message(lily_env):
    lines: list[str] = []
    settings = ai_settings().model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    assert check(settings, {"openai": "k", "xai": ""}, lines.append) == 0
    assert any(line.startswith("openai: offline") for line in lines)
    assert "xai: no API key; skipped" in lines

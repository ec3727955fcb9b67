"""Settings fail fast, naming the variable."""

import pytest

from lily.core.config import ConfigError, CoreSettings, load


def test_defaults_load(monkeypatch):
    monkeypatch.delenv("LILY_STAGE", raising=False)
    s = load(CoreSettings)
    assert s.table_name("users") == s.resource_prefix + "users"


def test_malformed_variable_is_named(monkeypatch):
    monkeypatch.setenv("LILY_FUNCTION_COUNT", "many")
    with pytest.raises(ConfigError, match="LILY_FUNCTION_COUNT"):
        load(CoreSettings)


def test_aliased_variable_is_named(monkeypatch):
    monkeypatch.setenv("LILY_STAGE", "Not A Stage!")
    with pytest.raises(ConfigError, match="LILY_STAGE"):
        load(CoreSettings)


def test_list_variable_is_json(monkeypatch):
    monkeypatch.setenv("LILY_CORS_ORIGINS", '["https://app.example.com"]')
    assert load(CoreSettings).cors_origins == ["https://app.example.com"]

"""lily.core.config reads the environment the way pydantic-settings did for the same classes."""

import pytest
from pydantic import BaseModel, Field

from lily.core.config import BaseSettings, ConfigError, CoreSettings, load, settings_config


class Rule(BaseModel):
    limit: int = Field(ge=1)


class Example(BaseSettings):
    model_config = settings_config("LILY_EXAMPLE_")

    name: str = "default"
    ratio: float = 0.5
    enabled: bool = False
    rules: dict[str, list[Rule]] = Field(default_factory=dict)
    tags: list[str] | None = None
    region: str = Field("us-east-1", validation_alias="AWS_REGION")


def test_fields_come_from_prefixed_variables_case_insensitively(monkeypatch):
    monkeypatch.setenv("lily_example_name", "from-env")
    monkeypatch.setenv("LILY_EXAMPLE_RATIO", "0.25")
    monkeypatch.setenv("LILY_EXAMPLE_ENABLED", "true")
    monkeypatch.setenv("LILY_NAME", "another prefix: ignored")
    s = load(Example)
    assert (s.name, s.ratio, s.enabled, s.rules, s.tags) == ("from-env", 0.25, True, {}, None)


def test_an_aliased_field_reads_its_alias_without_prefix(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("LILY_EXAMPLE_REGION", "ignored")
    assert load(Example).region == "eu-west-1"
    assert load(CoreSettings).region == "eu-west-1"


def test_container_and_model_fields_are_json(monkeypatch):
    monkeypatch.setenv("LILY_EXAMPLE_RULES", '{"x": [{"limit": 3}]}')
    monkeypatch.setenv("LILY_EXAMPLE_TAGS", '["a", "b"]')
    s = load(Example)
    assert s.rules == {"x": [Rule(limit=3)]} and s.tags == ["a", "b"]


@pytest.mark.parametrize(("variable", "value"), [("LILY_EXAMPLE_RULES", "{not json"),
                                                 ("LILY_EXAMPLE_RULES", '{"x": [{"limit": 0}]}'),
                                                 ("LILY_EXAMPLE_RATIO", "half")])
def test_a_bad_value_names_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load(Example)

"""Every model name a default setting carries has its source and the date it was checked (issue 25 item 6)."""

from __future__ import annotations

from datetime import date

from lily.ai.ports import CHECKED_MODELS
from lily.ai.settings import SAMPLING, AISettings
from lily.images.settings import DEFAULT_MODELS


def test_every_default_model_name_carries_its_source_and_date_checked():
    ai = AISettings()
    names = {m for models in ai.configured_models().values() for m in models}
    names |= {target.model for target in DEFAULT_MODELS.values()}
    assert names <= set(CHECKED_MODELS), names - set(CHECKED_MODELS)
    for name in names:
        fact = CHECKED_MODELS[name]
        assert fact.source.startswith("https://") and date.fromisoformat(fact.checked) <= date(2027, 1, 1), name


def test_every_default_text_and_vision_model_is_in_the_sampling_table():
    ai = AISettings()
    for model in (ai.openai_text_model, ai.xai_text_model, ai.openai_vision_model, ai.xai_vision_model):
        assert model in SAMPLING, model
    assert ai.accepts("gpt-5-mini") == frozenset() and ai.accepts("unknown-model") == frozenset()
    assert "temperature" in ai.accepts("gpt-4.1-mini")

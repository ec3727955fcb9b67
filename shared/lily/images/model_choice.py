"""Choosing the image model of a request: the content policy first, then the plan.

- A model of the banned family (anywhere in the request: model, custom options) is refused with the policy error
  (CONTENT_004), whatever the plan.
- ``auto`` resolves to the org's default model when its plan allows it, else to the best model the plan allows.
- An explicit model outside the plan, or a quality above the plan's ceiling, is PLAN_001 (403) naming the
  cheapest plan that allows it (``upgrade_to``).
"""

from __future__ import annotations

from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count
from lily.images import policy
from lily.images.contract import PRODUCT_MODELS, PromptContract
from lily.images.ports import PlanView


def route(contract: PromptContract, plan: PlanView, default_model: str | None = None) -> str:
    """The product model that serves ``contract`` on ``plan`` (raises the policy or plan error)."""
    policy.refuse_banned(contract.model)
    for key, value in contract.custom_options.items():
        policy.refuse_banned(key, where="custom_options")
        policy.refuse_banned(value if isinstance(value, str) else None, where=f"custom_options.{key}")
    if contract.quality not in plan.qualities:
        _refuse(plan, f"image_quality:{contract.quality}", plan.quality_plans.get(contract.quality),
                f"{contract.quality} image quality")
    if contract.model != "auto":
        if contract.model not in plan.models:
            _refuse(plan, f"image_model:{contract.model}", plan.model_plans.get(contract.model),
                    f"the image model {contract.model}")
        return contract.model
    if default_model and default_model in plan.models:
        return default_model
    allowed = [m for m in PRODUCT_MODELS if m in plan.models]
    if not allowed:
        raise LilyError(ErrorCode.PLAN_001, "No image model is included in your plan",
                        {"feature": "image_model", "plan": plan.plan_id,
                         "upgrade_to": next(iter(v for v in plan.model_plans.values() if v), None)})
    return allowed[-1]


def _refuse(plan: PlanView, feature: str, upgrade_to: str | None, what: str) -> None:
    count("plan_limit_hits_total", feature=feature, plan=plan.plan_id)
    raise LilyError(ErrorCode.PLAN_001, f"{what[0].upper()}{what[1:]} is not included in the {plan.plan_id} plan",
                    {"feature": feature, "plan": plan.plan_id, "upgrade_to": upgrade_to})

"""Billing's side of the images capability: a plan's image entitlements as :class:`lily.images.ports.PlanView`
(the models and qualities it allows, and for each one the cheapest plan that does), wired in ``lily.composition``."""

from __future__ import annotations

from lily.billing.entitlements import plan_of
from lily.billing.plans import IMAGE_MODELS, IMAGE_QUALITIES, cheapest_plan_with, get_plan
from lily.images.ports import PlanView


def image_plan_view(plan_id: str) -> PlanView:
    """The plan catalog's image entitlements of ``plan_id`` as :class:`lily.images.ports.PlanView`."""
    def cheapest(feature: str) -> str | None:
        found = cheapest_plan_with(feature=feature)
        return found.plan_id if found else None

    plan = get_plan(plan_id)
    return PlanView(plan_id=plan.plan_id, models=plan.image_models, qualities=plan.image_qualities,
                    model_plans={m: cheapest(f"image_model:{m}") for m in IMAGE_MODELS},
                    quality_plans={q: cheapest(f"image_quality:{q}") for q in IMAGE_QUALITIES})


class ImagePlans:
    """:class:`lily.images.ports.PlanPort` on billing's plan of the organization."""

    def view(self, org_id: str) -> PlanView:
        return image_plan_view(plan_of(org_id).plan_id)

"""lily.composition wires every cross-capability port to an implementation that has the port's methods,
and an override lasts exactly as long as its block."""

from __future__ import annotations

import inspect

import pytest

from lily import composition
from lily.identity.ports import FeatureGate, SeatQuota
from lily.publishing.ports import PlatformGateway, QuotaPort
from lily.social.ports import ProfileQuota

PORTS = {
    "profile_quota": ProfileQuota,
    "seat_quota": SeatQuota,
    "api_key_gate": FeatureGate,
    "posts_quota": QuotaPort,
    "media_storage_quota": QuotaPort,
    "platform_gateway": PlatformGateway,
}


def _methods(protocol: type) -> set[str]:
    return {n for n, f in vars(protocol).items() if inspect.isfunction(f) and not n.startswith("_")}


@pytest.mark.parametrize("wiring", sorted(PORTS))
def test_each_port_is_wired_to_an_implementation_with_its_methods(wiring):
    implementation = getattr(composition, wiring)()
    missing = {m for m in _methods(PORTS[wiring]) if not callable(getattr(implementation, m, None))}
    assert not missing, f"{wiring} lacks {missing}"


def test_plan_change_listeners_take_org_and_both_plans():
    listeners = composition.plan_change_listeners()
    assert listeners
    for listener in listeners:
        assert list(inspect.signature(listener).parameters) == ["org_id", "old_plan", "new_plan"]


def test_an_override_lasts_for_its_block_and_unknown_ports_are_refused():
    replacement = object()
    with composition.overriding(posts_quota=replacement):
        assert composition.posts_quota() is replacement
    assert composition.posts_quota() is not replacement
    with pytest.raises(KeyError):
        composition.override("posts", replacement)


def test_plans_sell_exactly_the_image_models_and_qualities_the_images_capability_renders():
    """Billing names a feature per image model and quality; images renders them. Neither may import the other,
    so this test is where the two vocabularies are held equal (a model added to one side only fails here)."""
    from lily.billing.plans import IMAGE_MODELS, IMAGE_QUALITIES
    from lily.images.contract import PRODUCT_MODELS, QUALITIES

    assert IMAGE_MODELS == PRODUCT_MODELS  # the same order too: auto picks the last model the plan allows
    assert IMAGE_QUALITIES == QUALITIES

"""lily.composition builds every capability's ports bundle with implementations that have the ports' methods;
a bundle is frozen, built once per process, and built again after the settings are reset."""

from __future__ import annotations

import inspect

import pytest

from lily import composition
from lily.billing.ports import BillingPorts
from lily.core.config import reset_settings
from lily.identity.ports import FeatureGate, IdentityPorts, SeatQuota
from lily.publishing.ports import PlatformGateway, PublishingPorts, QuotaPort
from lily.social.ports import ProfileQuota, SocialPorts

PORTS = {  # (bundle factory, field) -> the Protocol the field must implement
    ("social_ports", "profiles"): ProfileQuota,
    ("identity_ports", "seats"): SeatQuota,
    ("identity_ports", "api_keys"): FeatureGate,
    ("publishing_ports", "posts_quota"): QuotaPort,
    ("publishing_ports", "storage_quota"): QuotaPort,
    ("publishing_ports", "gateway"): PlatformGateway,
}
BUNDLES = {"social_ports": SocialPorts, "identity_ports": IdentityPorts, "publishing_ports": PublishingPorts,
           "billing_ports": BillingPorts}


def _methods(protocol: type) -> set[str]:
    return {n for n, f in vars(protocol).items() if inspect.isfunction(f) and not n.startswith("_")}


@pytest.mark.parametrize(("bundle", "field"), sorted(PORTS))
def test_each_port_is_wired_to_an_implementation_with_its_methods(bundle, field):
    implementation = getattr(getattr(composition, bundle)(), field)
    missing = {m for m in _methods(PORTS[(bundle, field)]) if not callable(getattr(implementation, m, None))}
    assert not missing, f"{bundle}.{field} lacks {missing}"


@pytest.mark.parametrize("bundle", sorted(BUNDLES))
def test_each_bundle_is_the_consumers_immutable_record_built_once_per_process(bundle):
    ports = getattr(composition, bundle)()
    assert isinstance(ports, BUNDLES[bundle])
    with pytest.raises(AttributeError):
        setattr(ports, ports._fields[0], None)
    assert getattr(composition, bundle)() is ports
    reset_settings()
    assert getattr(composition, bundle)() is not ports


def test_plan_change_listeners_take_org_and_both_plans():
    listeners = composition.billing_ports().plan_change_listeners
    assert listeners
    for listener in listeners:
        assert list(inspect.signature(listener).parameters) == ["org_id", "old_plan", "new_plan"]


def test_the_trial_claim_takes_the_org():
    assert list(inspect.signature(composition.billing_ports().trial_claim).parameters) == ["org_id"]


def test_plans_sell_exactly_the_image_models_and_qualities_the_images_capability_renders():
    """Billing names a feature per image model and quality; images renders them. Neither may import the other,
    so this test is where the two vocabularies are held equal (a model added to one side only fails here)."""
    from lily.billing.plans import IMAGE_MODELS, IMAGE_QUALITIES
    from lily.images.contract import PRODUCT_MODELS, QUALITIES

    assert IMAGE_MODELS == PRODUCT_MODELS  # the same order too: auto picks the last model the plan allows
    assert IMAGE_QUALITIES == QUALITIES

"""The one place capabilities are wired together.

The idiom: a consumer declares what it needs from another capability as a small Protocol in its own
``ports.py``; the provider implements it without knowing the consumer; this module says which
implementation serves each port. A service takes its ports as keyword arguments where callers vary them,
and otherwise asks this module, so nothing is registered at import and no package is scanned.

=============================================  ===================================================
consumer port                                  implementation
=============================================  ===================================================
``billing.ports.PlanChangeListener`` (a list)  ``social.plan_limits.pause_over_limit``
``social.ports.ProfileQuota``                  ``billing.entitlements.PlanQuota("social_profiles")``
``identity.ports.SeatQuota``                   ``billing.entitlements.PlanQuota("team_seats")``
``identity.ports.FeatureGate`` (API keys)      ``billing.entitlements.PlanFeature("api_keys")``
``publishing.ports.QuotaPort``                 ``billing.entitlements.PlanQuota("posts_per_day")``
``publishing.ports.QuotaPort`` (storage)       ``billing.entitlements.PlanQuota("media_storage_bytes")``
``publishing.ports.PlatformGateway``           ``publishing.bridge.SocialGateway``
``content.ports.ContentPorts`` (AI, quota,      ``ai.openai_client.OpenAIAdapter``,
posts, insights)                                ``PlanQuota("ai_text_requests")``, :class:`PublishingPosts`,
                                                ``research.insights.StoredInsights``
``images.ports.ImagePorts`` (AI, quota, plans,  ``ai.images.OpenAIImageAdapter``,
media)                                          ``PlanQuota("image_generations")``, ``billing.image_plans.ImagePlans``,
                                                :class:`PublishingMedia`
``research.ports.ResearchPorts`` (AI, embedder, ``OpenAIAdapter``, ``ai.embeddings.deployment_embedder()``,
posts, engagement, gate)                        ``publishing.published.LibraryPublishedPosts``,
                                                ``social.engagement.PlatformEngagement``,
                                                ``PlanFeature("autopilot_research")``
``research.ports.ResearchGate`` (alone, for     ``PlanFeature("autopilot_research")``
configs, jobs and the schedule)
``org_deletion_listeners`` (a list)             ``research.forget.forget_org``
=============================================  ===================================================

Providers are imported inside the factories: importing this module loads no capability, and a function
loads only the providers of the ports it actually uses.

A process that must swap an implementation for all of its code (the reliability harness's scripted
platforms, a test's recording listener) does it here and only here::

    with composition.overriding(platform_gateway=fake, posts_quota=unlimited):
        ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any, TypeVar

from lily.core.config import on_reset

if TYPE_CHECKING:
    from lily.billing.ports import PlanChangeListener, TrialClaim
    from lily.content.ports import ContentPorts
    from lily.identity.ports import FeatureGate, SeatQuota
    from lily.images.ports import ImagePorts
    from lily.publishing.ports import PlatformGateway, QuotaPort
    from lily.research.ports import ResearchGate, ResearchPorts
    from lily.social.ports import ProfileQuota

T = TypeVar("T")

_overrides: dict[str, Any] = {}  # empty unless a process swapped an implementation (see override)
_declared: list[str] = []  # every wiring's name, in declaration order


def _wiring(factory: Callable[[], T]) -> Callable[[], T]:
    """Declare a wiring: the factory's answer, unless a process override is in place."""
    name = factory.__name__
    _declared.append(name)

    @wraps(factory)
    def resolve() -> T:
        return _overrides[name] if name in _overrides else factory()

    return resolve


@_wiring
def plan_change_listeners() -> tuple[PlanChangeListener, ...]:
    from lily.identity.apikeys import revoke_when_plan_drops_keys
    from lily.social.plan_limits import pause_over_limit

    return (pause_over_limit, revoke_when_plan_drops_keys)


@_wiring
def trial_claim() -> TrialClaim:
    from lily.identity.orgs import claim_owner_trial

    return claim_owner_trial


@_wiring
def profile_quota() -> ProfileQuota:
    from lily.billing.entitlements import PlanQuota
    from lily.social.ports import PROFILES_QUOTA

    return PlanQuota(PROFILES_QUOTA)


@_wiring
def seat_quota() -> SeatQuota:
    from lily.billing.entitlements import PlanQuota
    from lily.identity.ports import SEATS_QUOTA

    return PlanQuota(SEATS_QUOTA)


@_wiring
def api_key_gate() -> FeatureGate:
    from lily.billing.entitlements import PlanFeature
    from lily.identity.ports import API_KEYS_FEATURE

    return PlanFeature(API_KEYS_FEATURE)


@_wiring
def posts_quota() -> QuotaPort:
    from lily.billing.entitlements import PlanQuota
    from lily.publishing.ports import POSTS_QUOTA

    return PlanQuota(POSTS_QUOTA)


@_wiring
def media_storage_quota() -> QuotaPort:
    from lily.billing.entitlements import PlanQuota
    from lily.publishing.ports import MEDIA_STORAGE_QUOTA

    return PlanQuota(MEDIA_STORAGE_QUOTA)


@_wiring
def platform_gateway() -> PlatformGateway:
    from lily.publishing.bridge import SocialGateway

    return SocialGateway()


class PublishingPosts:
    """:class:`lily.content.ports.PostsPort` on publishing's post use cases."""

    def create_post(self, org_id: str, targets: list[tuple[str, str]], created_by: str | None) -> str:
        from lily.publishing.drafts import create_post
        from lily.publishing.schemas import PostCreate, TargetIn

        body = PostCreate(text=targets[0][1], targets=[TargetIn(connection_id=c, text=t) for c, t in targets])
        return create_post(org_id, body, created_by).post_id

    def post_text(self, org_id: str, post_id: str) -> str:
        from lily.publishing.posts import get_post

        return get_post(org_id, post_id).text


@lru_cache(maxsize=1)
def _content_ports() -> ContentPorts:
    from lily.ai.openai_client import OpenAIAdapter
    from lily.billing.entitlements import PlanQuota
    from lily.content.ports import AI_QUOTA, ContentPorts
    from lily.research.insights import StoredInsights

    return ContentPorts(ai=OpenAIAdapter(), quota=PlanQuota(AI_QUOTA), posts=PublishingPosts(),
                        insights=StoredInsights())


@_wiring
def content_ports() -> ContentPorts:
    # One adapter per process: the openai client keeps its connection pool (reset with the settings).
    return _content_ports()


on_reset(_content_ports.cache_clear)


class PublishingMedia:
    """:class:`lily.images.ports.MediaLibrary` on publishing's media (stored like an upload, same storage quota)."""

    def store(self, org_id: str, data: bytes, content_type: str, *, name: str, alt_text: str | None,
              created_by: str | None) -> tuple[str, str]:
        from lily.publishing.media import store

        return store(org_id, data, content_type, name=name, alt_text=alt_text, created_by=created_by)


@lru_cache(maxsize=1)
def _image_ports() -> ImagePorts:
    from lily.ai.images import OpenAIImageAdapter
    from lily.billing.entitlements import PlanQuota
    from lily.billing.image_plans import ImagePlans
    from lily.images.ports import IMAGES_QUOTA, ImagePorts

    return ImagePorts(ai=OpenAIImageAdapter(), quota=PlanQuota(IMAGES_QUOTA), plans=ImagePlans(),
                      media=PublishingMedia())


@_wiring
def image_ports() -> ImagePorts:
    # One adapter per process (the openai client's connection pool), reset with the settings.
    return _image_ports()


on_reset(_image_ports.cache_clear)


@_wiring
def research_gate() -> ResearchGate:
    # The plan check alone: configs, jobs and the schedule need no AI adapter, embedder or readers.
    from lily.billing.entitlements import PlanFeature
    from lily.research.ports import RESEARCH_FEATURE

    return PlanFeature(RESEARCH_FEATURE)


@lru_cache(maxsize=1)
def _research_ports() -> ResearchPorts:
    from lily.ai.embeddings import deployment_embedder
    from lily.publishing.published import LibraryPublishedPosts
    from lily.research.ports import ResearchPorts
    from lily.social.engagement import PlatformEngagement

    embedder = deployment_embedder()
    return ResearchPorts(ai=embedder.ai,
                         embedder=embedder, posts=LibraryPublishedPosts(), engagement=PlatformEngagement(),
                         gate=research_gate())


@_wiring
def research_ports() -> ResearchPorts:
    # One adapter per process (connection pool), shared by the synthesis and the embedder.
    return _research_ports()


on_reset(_research_ports.cache_clear)


@_wiring
def org_deletion_listeners() -> tuple[Callable[[str], None], ...]:
    """Called with the org id when an organization is deleted: each removes what its capability keeps."""
    from lily.research.forget import forget_org

    return (forget_org,)


WIRINGS = frozenset(_declared)


def override(port: str, implementation: Any | None) -> None:
    """Serve ``port`` with ``implementation`` for the whole process from now on; None restores the wiring."""
    if port not in WIRINGS:
        raise KeyError(f"{port!r} is not a wiring of lily.composition; known: {sorted(WIRINGS)}")
    if implementation is None:
        _overrides.pop(port, None)
    else:
        _overrides[port] = implementation


@contextmanager
def overriding(**implementations: Any) -> Iterator[None]:
    """:func:`override` for the duration of a block (tests); the previous wiring comes back afterwards."""
    previous = {name: _overrides.get(name) for name in implementations}
    for name, implementation in implementations.items():
        override(name, implementation)
    try:
        yield
    finally:
        for name, implementation in previous.items():
            override(name, implementation)

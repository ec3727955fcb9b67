"""The composition root: the one place that says which implementation serves each capability's ports.

The idiom: a consumer declares what it needs from another capability as small Protocols and a frozen bundle of
them in its own ``ports.py``; the provider implements them without knowing the consumer; this module builds the
bundles. Only ``functions/`` import it (and local mode and tests, which are not deployed): HTTP handlers inject
a bundle with ``Depends(composition.publishing_ports)``, workers build theirs at init and pass it to the use
case. A use case receives its ports as a parameter and never asks for them, and ``make lint`` forbids any
capability to import this module (``lily.composition`` is a layer above the capabilities).

============================================  ======================================================================
bundle (declared in the consumer's ports.py)  implementations
============================================  ======================================================================
:func:`publishing_ports` (gateway, posts      :func:`platform_gateway` (``social.gateway.SocialGateway``; the
quota, storage quota)                         publisher's one port), ``PlanQuota("posts_per_day")``,
                                              ``PlanQuota("media_storage_bytes")``
:func:`scheduling_ports` (publishing ports,   :func:`publishing_ports`, ``identity.orgs.OrgTimeZones``,
zones, advanced scheduling gate)              ``PlanFeature("advanced_scheduling")``
:func:`identity_ports` (seats, API keys)      ``PlanQuota("team_seats")``, ``PlanFeature("api_keys")``
:func:`social_ports` (connected profiles)     ``PlanQuota("social_profiles")``
:func:`billing_ports` (trial claim, plan      ``identity.orgs.claim_owner_trial`` (imported at the first checkout);
change listeners)                             ``social.plan_limits.pause_over_limit``,
                                              ``identity.apikeys.revoke_when_plan_drops_keys``
:func:`content_ports` (AI, quota, posts,      ``ai.openai_client.OpenAIAdapter``, ``PlanQuota("ai_text_requests")``,
insights)                                     ``publishing.providers.PublishingPosts``,
                                              ``research.insights.StoredInsights``
:func:`image_ports` (AI, quota, plans,        ``ai.images.OpenAIImageAdapter``, ``PlanQuota("image_generations")``,
media)                                        ``billing.image_plans.ImagePlans``,
                                              ``publishing.providers.PublishingMedia``
:func:`research_ports` (AI, embedder, posts,  ``ai.embeddings.deployment_embedder()`` (and its AI adapter),
engagement, gate)                             ``publishing.published.LibraryPublishedPosts``,
                                              ``social.engagement.PlatformEngagement``,
                                              ``PlanFeature("autopilot_research")``
:func:`memory_ports` (embedder, gate)         ``deployment_embedder()``, ``PlanFeature("autopilot_research")``
:func:`research_gate` (configs, jobs,         ``PlanFeature("autopilot_research")``
schedule)
:func:`analytics_ports` (published targets,   ``publishing.analytics_targets.PublishedTargetsOfConnection``,
connections, metrics, plan)                   ``social.analytics_metrics.ActiveConnections``, ``PlatformMetrics``,
                                              ``billing.analytics_plan.PlanAnalytics``
============================================  ======================================================================

Providers are imported inside the factories: importing this module loads no capability, and a function loads
only the providers of the bundles it builds. Each bundle is built once per process (adapters keep their
connection pools) and again after the settings are reset (tests). To run code with other implementations, pass
another bundle: a test builds one (``dataclasses.replace(composition.publishing_ports(), gateway=fake)``) or
overrides the FastAPI dependency (``app.dependency_overrides[composition.publishing_ports]``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from lily.core.config import on_reset

if TYPE_CHECKING:
    from lily.analytics.ports import AnalyticsPorts
    from lily.billing.ports import BillingPorts
    from lily.content.ports import ContentPorts
    from lily.identity.ports import IdentityPorts
    from lily.images.ports import ImagePorts
    from lily.publishing.ports import PlatformGateway, PublishingPorts, SchedulingPorts
    from lily.research.ports import MemoryPorts, ResearchGate, ResearchPorts
    from lily.social.ports import SocialPorts

T = TypeVar("T")


def _per_process(factory: Callable[[], T]) -> Callable[[], T]:
    """Build once per process; built again after :func:`lily.core.config.reset_settings`."""
    cached = lru_cache(maxsize=1)(factory)
    on_reset(cached.cache_clear)
    return cached


@_per_process
def platform_gateway() -> PlatformGateway:
    # The publisher's one port: it publishes through the platforms and consumes no plan quota (billing not loaded).
    from lily.social.gateway import SocialGateway

    return SocialGateway()


@_per_process
def publishing_ports() -> PublishingPorts:
    from lily.billing.entitlements import PlanQuota
    from lily.publishing.ports import MEDIA_STORAGE_QUOTA, POSTS_QUOTA, PublishingPorts

    return PublishingPorts(gateway=platform_gateway(), posts_quota=PlanQuota(POSTS_QUOTA),
                           storage_quota=PlanQuota(MEDIA_STORAGE_QUOTA))


@_per_process
def scheduling_ports() -> SchedulingPorts:
    from lily.billing.entitlements import PlanFeature
    from lily.identity.orgs import OrgTimeZones
    from lily.publishing.ports import ADVANCED_SCHEDULING_FEATURE, SchedulingPorts

    return SchedulingPorts(posts=publishing_ports(), zones=OrgTimeZones(),
                           advanced=PlanFeature(ADVANCED_SCHEDULING_FEATURE))


@_per_process
def identity_ports() -> IdentityPorts:
    from lily.billing.entitlements import PlanFeature, PlanQuota
    from lily.identity.ports import API_KEYS_FEATURE, SEATS_QUOTA, IdentityPorts

    return IdentityPorts(seats=PlanQuota(SEATS_QUOTA), api_keys=PlanFeature(API_KEYS_FEATURE))


@_per_process
def social_ports() -> SocialPorts:
    from lily.billing.entitlements import PlanQuota
    from lily.social.ports import PROFILES_QUOTA, SocialPorts

    return SocialPorts(profiles=PlanQuota(PROFILES_QUOTA))


def _claim_owner_trial(org_id: str) -> bool:
    # Only a checkout claims a trial: the billing worker and the reaper, which build the same bundle for its plan
    # change listeners, never load identity's organizations module (users, invitations, e-mail) for it.
    from lily.identity.orgs import claim_owner_trial

    return claim_owner_trial(org_id)


@_per_process
def billing_ports() -> BillingPorts:
    from lily.billing.ports import BillingPorts
    from lily.identity.apikeys import revoke_when_plan_drops_keys
    from lily.social.plan_limits import pause_over_limit

    return BillingPorts(trial_claim=_claim_owner_trial,
                        plan_change_listeners=(pause_over_limit, revoke_when_plan_drops_keys))


@_per_process
def content_ports() -> ContentPorts:
    from lily.ai.openai_client import OpenAIAdapter
    from lily.billing.entitlements import PlanQuota
    from lily.content.ports import AI_QUOTA, ContentPorts
    from lily.publishing.providers import PublishingPosts
    from lily.research.insights import StoredInsights

    return ContentPorts(ai=OpenAIAdapter(), quota=PlanQuota(AI_QUOTA), posts=PublishingPosts(publishing_ports),
                        insights=StoredInsights())


@_per_process
def image_ports() -> ImagePorts:
    from lily.ai.images import OpenAIImageAdapter
    from lily.billing.entitlements import PlanQuota
    from lily.billing.image_plans import ImagePlans
    from lily.images.ports import IMAGES_QUOTA, ImagePorts
    from lily.publishing.ports import MEDIA_STORAGE_QUOTA
    from lily.publishing.providers import PublishingMedia

    # Not publishing_ports(): storing an image needs the storage quota only, not the social gateway.
    return ImagePorts(ai=OpenAIImageAdapter(), quota=PlanQuota(IMAGES_QUOTA), plans=ImagePlans(),
                      media=PublishingMedia(PlanQuota(MEDIA_STORAGE_QUOTA)))


@_per_process
def research_gate() -> ResearchGate:
    # The plan check alone: configs, jobs and the schedule need no AI adapter, embedder or readers.
    from lily.billing.entitlements import PlanFeature
    from lily.research.ports import RESEARCH_FEATURE

    return PlanFeature(RESEARCH_FEATURE)


@_per_process
def memory_ports() -> MemoryPorts:
    # Search: the embedder and the gate; no published posts, no social engagement, no synthesis.
    from lily.ai.embeddings import deployment_embedder
    from lily.billing.entitlements import PlanQuota
    from lily.research.ports import AI_QUOTA, MemoryPorts

    return MemoryPorts(embedder=deployment_embedder(), gate=research_gate(), quota=PlanQuota(AI_QUOTA))


@_per_process
def research_ports() -> ResearchPorts:
    from lily.ai.embeddings import deployment_embedder
    from lily.billing.entitlements import PlanQuota
    from lily.publishing.published import LibraryPublishedPosts
    from lily.research.ports import AI_QUOTA, ResearchPorts
    from lily.social.engagement import PlatformEngagement

    embedder = deployment_embedder()  # its AI adapter (one connection pool) also writes the synthesis
    return ResearchPorts(ai=embedder.ai, embedder=embedder, posts=LibraryPublishedPosts(),
                         engagement=PlatformEngagement(), gate=research_gate(), quota=PlanQuota(AI_QUOTA))


@_per_process
def analytics_ports() -> AnalyticsPorts:
    from lily.analytics.ports import AnalyticsPorts
    from lily.billing.analytics_plan import PlanAnalytics
    from lily.publishing.analytics_targets import PublishedTargetsOfConnection
    from lily.social.analytics_metrics import ActiveConnections, PlatformMetrics

    return AnalyticsPorts(targets=PublishedTargetsOfConnection(), connections=ActiveConnections(),
                          metrics=PlatformMetrics(), plan=PlanAnalytics())

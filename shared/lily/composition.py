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
:func:`scheduling_ports` (publishing ports,   :func:`publishing_ports`, ``identity.zones.OrgTimeZones``,
zones, advanced scheduling gate)              ``PlanFeature("advanced_scheduling")``
:func:`identity_ports` (seats, API keys)      ``PlanQuota("team_seats")``, ``PlanFeature("api_keys")``
:func:`social_ports` (connected profiles)     ``PlanQuota("social_profiles")``
:func:`billing_ports` (trial claim, plan      ``identity.orgs.claim_owner_trial`` (imported at the first checkout);
change listeners)                             ``social.plan_limits.pause_over_limit``,
                                              ``identity.apikeys.revoke_when_plan_drops_keys``
:func:`content_ports` (AI, quota, posts,      ``ai.openai_client.OpenAIAdapter``, ``PlanQuota("ai_text_requests")``,
insights, performance)                        ``publishing.providers.PublishingPosts``,
                                              ``research.insights.StoredInsights``,
                                              ``analytics.providers.BestPerformers``
:func:`image_ports` (AI, quota, plans,        ``ai.images.OpenAIImageAdapter``, ``PlanQuota("image_generations")``,
media)                                        ``billing.image_plans.ImagePlans``,
                                              ``publishing.providers.PublishingMedia``
:func:`research_ports` (AI, embedder, posts,  ``ai.embeddings.deployment_embedder()`` (and its AI adapter),
engagement, gate)                             ``publishing.published.LibraryPublishedPosts``,
                                              ``analytics.providers.StoredEngagement`` (collected counts),
                                              ``PlanFeature("autopilot_research")``
:func:`memory_ports` (embedder, gate)         ``deployment_embedder()``, ``PlanFeature("autopilot_research")``
:func:`research_gate` (configs, jobs,         ``PlanFeature("autopilot_research")``
schedule)
:func:`gauge_reconcile_ports` (the things     ``social.gauges.ConnectedProfiles``, ``identity.gauges.OrgSeats``
each gauge quota counts)
:func:`privacy_ports` (every table, owners,  :func:`data_models`, ``identity.data_subjects.IdentitySubjects``,
platform grants, subscription, vectors,       ``social.erasure.PlatformGrants``,
seats, mail)                                  ``billing.erasure.StripeSubscriptions``,
                                              ``research.erasure.ResearchMemory``, ``PlanQuota("team_seats")``,
                                              ``identity.email.send``
:func:`webhook_ports` (outbound webhooks      ``PlanFeature("outbound_webhooks")``
gate)
:func:`analytics_ports` (published targets,   ``publishing.analytics_targets.PublishedTargetsOfConnection``,
connections, metrics, plan, zones, content    ``social.analytics_metrics.ActiveConnections``, ``PlatformMetrics``,
origins, generated media)                     ``billing.analytics_plan.PlanAnalytics``, ``identity.zones.OrgTimeZones``,
                                              ``content.analytics_origins.DraftOrigins``,
                                              ``publishing.analytics_targets.GeneratedMediaOfOrg``
:func:`approval_ports` (posts, drafts,       ``publishing.approval_posts.PostApprovals``,
audit, notifier)                              ``content.approval_drafts.DraftApprovals``,
                                              ``identity.approval_support.OrgAudit``, ``MemberMail``
:func:`approval_gate` (publishing's           ``approvals.gate.PolicyGate``
``ApprovalGate``)
:func:`autopilot_basics` (plan levels,      ``billing.autopilot_plan.PlanAutopilot``, ``identity.zones.OrgTimeZones``
zones)
:func:`autopilot_ports` (a run: basics,       ``PlanQuota`` ×3, ``research.autopilot_brief.LatestBrief``,
quotas, research, best times, writer,         :func:`best_times` (per platform),
images, posts, approvals)                     ``content.autopilot_writer.AutopilotWriter``,
                                              ``images.autopilot_images.AutopilotImages`` (on :func:`image_ports`),
                                              ``publishing.autopilot_posts.AutopilotPosts``, :func:`approval_gate`
:func:`autopilot_weekly_ports` (week's        :class:`AnalyticsWeek` (here, on analytics' report module),
numbers, mail)                                ``identity.approval_support.MemberMail``
:func:`best_times` (for autopilot)            ``analytics.providers.BestTimesProvider``
:func:`text_variation` (evergreen ``vary``)   ``content.variation.Rewordings`` (on :func:`content_ports`)
:func:`click_ports` (plan, short-link clicks) ``billing.analytics_plan.PlanAnalytics``,
                                              ``publishing.analytics_clicks.OrgLinkClicks``
============================================  ======================================================================

Providers are imported inside the factories: importing this module loads no capability, and a function loads
only the providers of the bundles it builds. Each bundle is built once per process (adapters keep their
connection pools) and again after the settings are reset (tests). To run code with other implementations, pass
another bundle: a test builds one (``composition.publishing_ports()._replace(gateway=fake)``) or
overrides the FastAPI dependency (``app.dependency_overrides[composition.publishing_ports]``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from lily.core.config import on_reset

if TYPE_CHECKING:
    from datetime import datetime

    from lily.analytics.ports import AnalyticsPorts, ClickPorts
    from lily.analytics.providers import BestTimesProvider
    from lily.approvals.ports import ApprovalPorts
    from lily.autopilot.ports import AutopilotBasics, AutopilotPorts, Target, WeeklyPorts, WeekPost
    from lily.billing.ports import BillingPorts, GaugeReconcilePorts
    from lily.content.ports import ContentPorts
    from lily.core.db import LilyModel
    from lily.identity.ports import IdentityPorts
    from lily.images.ports import ImagePorts
    from lily.privacy.ports import DataSubjects, PrivacyPorts
    from lily.publishing.ports import (
        ApprovalGate,
        PlatformGateway,
        PublishingPorts,
        SchedulingPorts,
        TextVariation,
    )
    from lily.research.ports import MemoryPorts, ResearchGate, ResearchPorts
    from lily.social.ports import InboxPorts, SocialPorts
    from lily.webhooks.ports import WebhookPorts

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
    from lily.identity.zones import OrgTimeZones
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
    from lily.analytics.providers import BestPerformers
    from lily.billing.entitlements import PlanQuota
    from lily.content.ports import AI_QUOTA, ContentPorts
    from lily.publishing.providers import PublishingPosts
    from lily.research.insights import StoredInsights

    return ContentPorts(ai=OpenAIAdapter(), quota=PlanQuota(AI_QUOTA), posts=PublishingPosts(publishing_ports),
                        insights=StoredInsights(), performance=BestPerformers())


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
    from lily.analytics.providers import StoredEngagement
    from lily.billing.entitlements import PlanQuota
    from lily.publishing.published import LibraryPublishedPosts
    from lily.research.ports import AI_QUOTA, ResearchPorts

    embedder = deployment_embedder()  # its AI adapter (one connection pool) also writes the synthesis
    # Own posts' engagement: the counts analytics already collected (no second round of platform calls).
    return ResearchPorts(ai=embedder.ai, embedder=embedder, posts=LibraryPublishedPosts(),
                         engagement=StoredEngagement(), gate=research_gate(), quota=PlanQuota(AI_QUOTA))


@_per_process
def best_times() -> BestTimesProvider:
    """Analytics' best (weekday, hour) slots of an org on a platform, in its time zone: ``best_times(org_id,
    platform)`` (``lily.analytics.providers.BestTimesProvider``; ``[]`` when the history is too short)."""
    from lily.analytics.providers import BestTimesProvider
    from lily.identity.zones import OrgTimeZones

    return BestTimesProvider(OrgTimeZones())


@_per_process
def text_variation() -> TextVariation:
    """Evergreen pools set to ``vary``: an item's text reworded through content's rewrite
    (``content.variation.Rewordings``); content's bundle (the AI client) is built on the first rewording."""
    from lily.content.variation import Rewordings

    return Rewordings(content_ports)


@_per_process
def analytics_ports() -> AnalyticsPorts:
    from lily.analytics.ports import AnalyticsPorts
    from lily.billing.analytics_plan import PlanAnalytics
    from lily.content.analytics_origins import DraftOrigins
    from lily.identity.zones import OrgTimeZones
    from lily.publishing.analytics_targets import GeneratedMediaOfOrg, PublishedTargetsOfConnection
    from lily.social.analytics_metrics import ActiveConnections, PlatformMetrics

    return AnalyticsPorts(targets=PublishedTargetsOfConnection(), connections=ActiveConnections(),
                          metrics=PlatformMetrics(), plan=PlanAnalytics(), zones=OrgTimeZones(),
                          origins=DraftOrigins(), media=GeneratedMediaOfOrg())


@_per_process
def click_ports() -> ClickPorts:
    """Analytics' short-link clicks tables: the plan's level, and publishing's click days and links."""
    from lily.analytics.ports import ClickPorts
    from lily.billing.analytics_plan import PlanAnalytics
    from lily.publishing.analytics_clicks import OrgLinkClicks

    return ClickPorts(plan=PlanAnalytics(), clicks=OrgLinkClicks())


@_per_process
def webhook_ports() -> WebhookPorts:
    # Outbound webhooks: the plan's feature gate only (subscriptions, fan-out, redelivery and replay).
    from lily.billing.entitlements import PlanFeature
    from lily.webhooks.ports import WEBHOOKS_FEATURE, WebhookPorts

    return WebhookPorts(gate=PlanFeature(WEBHOOKS_FEATURE))


@_per_process
def approval_ports() -> ApprovalPorts:
    from lily.approvals.ports import ApprovalPorts
    from lily.content.approval_drafts import DraftApprovals
    from lily.identity.approval_support import OrgAudit
    from lily.identity.member_mail import MemberMail
    from lily.publishing.approval_posts import PostApprovals

    return ApprovalPorts(posts=PostApprovals(publishing_ports), drafts=DraftApprovals(), audit=OrgAudit(),
                         notify=MemberMail())


@_per_process
def approval_gate() -> ApprovalGate:
    # Publishing's view of the approval policy; the request queue's ports are built when a post is submitted.
    from lily.approvals.gate import PolicyGate

    return PolicyGate(approval_ports)


class _FirstCallBestTimes:
    """:func:`best_times` built at its first call: the autopilot worker's cold start does not load analytics."""

    def best_times(self, org_id: str, platform: str, limit: int = 3) -> list[tuple[int, int]]:
        return best_times().best_times(org_id, platform, limit)


class AnalyticsWeek:
    """Autopilot's ``WeeklyNumbers`` on analytics' stored latest totals per published target (its report rows)."""

    def published(self, org_id: str, start: datetime, end: datetime) -> list[WeekPost]:
        from lily.analytics import report
        from lily.analytics.schemas import PeriodOut
        from lily.autopilot.ports import WeekPost

        p = PeriodOut(start=start, end=end, clamped=False, level="own")
        return [WeekPost(post_id=r.post_id, platform=r.platform, published_at=r.published_at,
                         impressions=int(r.impressions) if r.impressions is not None else None,
                         engagements=report.engagements(r)) for r in report.rows(org_id, p)]


def _active_targets(org_id: str) -> list[Target]:
    from lily.autopilot.ports import Target
    from lily.social.analytics_metrics import ActiveConnections

    return [Target(connection_id=c.connection_id, platform=c.platform) for c in ActiveConnections().active(org_id)]


@_per_process
def autopilot_basics() -> AutopilotBasics:
    # Settings, starting runs and the schedule: the plan's level and the org's zone, no pipeline loaded.
    from lily.autopilot.ports import AutopilotBasics
    from lily.billing.autopilot_plan import PlanAutopilot
    from lily.identity.zones import OrgTimeZones

    return AutopilotBasics(plans=PlanAutopilot(), zones=OrgTimeZones())


@_per_process
def autopilot_ports() -> AutopilotPorts:
    from lily.autopilot.ports import AI_QUOTA, IMAGES_QUOTA, POSTS_QUOTA, AutopilotPorts
    from lily.billing.entitlements import PlanQuota
    from lily.content.autopilot_writer import AutopilotWriter
    from lily.images.autopilot_images import AutopilotImages
    from lily.publishing.autopilot_posts import AutopilotPosts
    from lily.research.autopilot_brief import LatestBrief

    basics = autopilot_basics()
    return AutopilotPorts(plans=basics.plans, posts_quota=PlanQuota(POSTS_QUOTA), ai_quota=PlanQuota(AI_QUOTA),
                          images_quota=PlanQuota(IMAGES_QUOTA), research=LatestBrief(),
                          best_times=_FirstCallBestTimes(),
                          writer=AutopilotWriter(content_ports), images=AutopilotImages(image_ports),
                          posts=AutopilotPosts(publishing_ports, approval_gate, _active_targets),
                          approvals=approval_gate(), zones=basics.zones)


@_per_process
def autopilot_weekly_ports() -> WeeklyPorts:
    from lily.autopilot.ports import WeeklyPorts
    from lily.identity.member_mail import MemberMail

    return WeeklyPorts(weekly=AnalyticsWeek(), mail=MemberMail())


@_per_process
def inbox_ports() -> InboxPorts:
    from lily.content.reply_suggestion import BrandReplies
    from lily.identity.members import OrgMembers
    from lily.social.ports import InboxPorts

    # content's bundle is built on the first suggestion: listing and triage never load the AI client
    return InboxPorts(members=OrgMembers(), suggester=BrandReplies(content_ports))


@_per_process
def gauge_reconcile_ports() -> GaugeReconcilePorts:
    # The nightly gauge reconciliation: each gauge quota and the capability that owns what it counts.
    from lily.billing.ports import GaugeReconcilePorts
    from lily.identity.gauges import OrgSeats
    from lily.identity.ports import SEATS_QUOTA
    from lily.social.gauges import ConnectedProfiles
    from lily.social.ports import PROFILES_QUOTA

    return GaugeReconcilePorts(sources={PROFILES_QUOTA: ConnectedProfiles(), SEATS_QUOTA: OrgSeats()})


def data_models() -> tuple[type[LilyModel], ...]:
    """Every table of the deployment, by model: the scope of the export and erasure jobs (their data rules,
    ``lily.core.retention``). The ``privacy_worker``'s wiring grants exactly these; ``tests/unit/
    test_retention_registry.py`` fails when a table some function names is missing here."""
    from lily.ai.models import AIUsage
    from lily.analytics.models import AnalyticsFollowers, AnalyticsPost, AnalyticsSnapshot
    from lily.approvals.models import ApprovalPolicy, ApprovalRequest
    from lily.autopilot.models import (
        AutopilotCampaign,
        AutopilotConfig,
        AutopilotLedger,
        AutopilotNotice,
        AutopilotReport,
        AutopilotRun,
    )
    from lily.billing.models import Customer, QuotaCounter, Subscription, WebhookEvent
    from lily.content.models import BrandProfile, ContentDraft, ContentJob
    from lily.core.models import BreakerState
    from lily.health.models import Heartbeat
    from lily.identity.models import (
        ApiKey,
        AuditEvent,
        AuthToken,
        Counter,
        Membership,
        Org,
        Revocation,
        User,
        UserEmail,
    )
    from lily.images.models import ImageJob, ImageSettings, ImageStyle
    from lily.privacy.models import PrivacyJob
    from lily.publishing.models import (
        Attempt,
        AutoFeed,
        AutopostClaim,
        BulkImport,
        EvergreenPool,
        IdempotencyRecord,
        ImportRow,
        LinkClickDay,
        LinkSettings,
        Media,
        MediaUse,
        PacingState,
        Post,
        Queue,
        QueueEntry,
        RecurringRule,
        ShortLink,
        Target,
    )
    from lily.research.models import ResearchConfig, ResearchInsight, ResearchItem, ResearchJob, ResearchReport
    from lily.social.models import (
        AccountSelection,
        EngagementEvent,
        InboxItem,
        MentionCursor,
        OAuthState,
        SocialConnection,
        SocialNotice,
        WebhookDelivery,
    )
    from lily.webhooks.models import WebhookDelivery as OutboundDelivery
    from lily.webhooks.models import WebhookSubscription

    return (AIUsage, AnalyticsFollowers, AnalyticsPost, AnalyticsSnapshot, ApprovalPolicy, ApprovalRequest,
            AutopilotCampaign, AutopilotConfig, AutopilotLedger, AutopilotNotice, AutopilotReport, AutopilotRun,
            Customer, QuotaCounter, Subscription, WebhookEvent, BrandProfile, ContentDraft, ContentJob, BreakerState,
            Heartbeat, ApiKey, AuditEvent, AuthToken, Counter, Membership, Org, Revocation, User, UserEmail, ImageJob,
            ImageSettings, ImageStyle, PrivacyJob, Attempt, AutoFeed, AutopostClaim, BulkImport, EvergreenPool,
            IdempotencyRecord, ImportRow, LinkClickDay, LinkSettings, Media, MediaUse, PacingState, Post, Queue,
            QueueEntry, RecurringRule, ShortLink, Target, ResearchConfig, ResearchInsight, ResearchItem, ResearchJob,
            ResearchReport, AccountSelection, EngagementEvent, InboxItem, MentionCursor, OAuthState, SocialConnection,
            SocialNotice, WebhookDelivery, OutboundDelivery, WebhookSubscription)

@_per_process
def privacy_ports() -> PrivacyPorts:
    # Export and erasure: every table (data_models), and what is not a table row through its owner.
    from lily.billing.entitlements import PlanQuota
    from lily.billing.erasure import StripeSubscriptions
    from lily.identity import email
    from lily.identity.ports import SEATS_QUOTA
    from lily.privacy.ports import PrivacyPorts
    from lily.research.erasure import ResearchMemory
    from lily.social.erasure import PlatformGrants

    return PrivacyPorts(models=data_models(), subjects=data_subjects(), tokens=PlatformGrants(),
                        subscriptions=StripeSubscriptions(), vectors=ResearchMemory(lambda: memory_ports().embedder),
                        seats=PlanQuota(SEATS_QUOTA), mail=email.send)


@_per_process
def data_subjects() -> DataSubjects:
    # The privacy routes' check that a person owning an organization with other members is not erased.
    from lily.identity.data_subjects import IdentitySubjects

    return IdentitySubjects()

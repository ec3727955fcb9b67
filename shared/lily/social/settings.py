"""Social settings (env ``LILY_SOCIAL_*``) and the platform app secrets (Secrets Manager ``social-apps``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, get_settings, load, on_reset, settings_config
from lily.core.resources import read_secret


class SocialSettings(BaseSettings):
    """Where each platform lives and who Lily is there. Defaults are the real production hosts."""

    model_config = settings_config("LILY_SOCIAL_")

    redirect_base: str | None = Field(None, description="Base URL of the OAuth callback (default: public_base_url)")
    state_ttl_s: int = Field(600, ge=60, le=3600, description="Lifetime of an OAuth state (and account selection)")
    http_timeout_s: float = Field(10.0, gt=0, description="Timeout of one platform HTTP call")
    refresh_margin_s: int = Field(900, ge=0, description="Refresh an access token this long before it expires")

    x_client_id: str = Field("lily-x-client", description="X OAuth 2.0 client id")
    x_auth_url: str = Field("https://x.com/i/oauth2/authorize", description="X authorize page")
    x_api_base: str = Field("https://api.x.com", description="X API host (token, users, tweets, media)")
    x_scopes: str = "tweet.read tweet.write users.read media.write offline.access"

    meta_app_id: str = Field("lily-meta-app", description="Meta app id")
    meta_dialog_base: str = Field("https://www.facebook.com", description="Facebook Login dialog host")
    meta_graph_base: str = Field("https://graph.facebook.com", description="Graph API host")
    meta_graph_version: str = Field("v25.0", pattern=r"^v\d+\.\d+$", description="Graph API version")
    meta_scopes: str = (
        "pages_show_list,pages_manage_posts,pages_read_engagement,pages_read_user_engagement,"
        "instagram_basic,instagram_content_publish,instagram_manage_insights"
    )

    linkedin_client_id: str = Field("lily-linkedin-client", description="LinkedIn client id")
    linkedin_auth_base: str = Field("https://www.linkedin.com", description="LinkedIn OAuth host")
    linkedin_api_base: str = Field("https://api.linkedin.com", description="LinkedIn API host")
    linkedin_version: str = Field("202601", pattern=r"^\d{6}$", description="LinkedIn-Version header (YYYYMM)")
    linkedin_scopes: str = (
        "openid profile email w_member_social w_organization_social r_organization_social rw_organization_admin"
    )
    linkedin_min_interval_s: float = Field(1.0, ge=0, description="Client-side pacing: one LinkedIn request per this")
    instagram_hashtag_limit: int = Field(
        30, ge=1, le=30, description="Instagram hashtags per caption (API says 30; product cap 5)"
    )

    webhook_max_age_s: int = Field(
        172800, ge=60, le=604800,
        description="Oldest platform event an inbound webhook may still deliver (Meta retries for up to 36 h)")
    webhook_future_skew_s: int = Field(300, ge=0, le=3600, description="How far ahead of Lily's clock an event "
                                       "may be dated (the platforms' clocks drift)")

    mentions_poll_platforms: list[str] = Field(
        default_factory=lambda: ["x"], description="Platforms whose mentions are polled every 15 minutes instead of "
        "(or besides) webhooks: X's Account Activity webhooks need an Enterprise plan (JSON list)")
    mentions_poll_pause_s: float = Field(1.0, ge=0, le=60, description="Pause between two accounts' mention reads "
                                         "in one poll run (pacing; X allows 180 mention reads per 15 min per user)")
    mentions_poll_min_age_s: int = Field(840, ge=0, description="An account polled less than this long ago is "
                                         "skipped (a late or doubled run does not read it twice)")

    def callback_url(self, platform: str) -> str:
        base = (self.redirect_base or get_settings().public_base_url).rstrip("/")
        return f"{base}/api/social/callback/{platform}"


@lru_cache(maxsize=1)
def social_settings() -> SocialSettings:
    return load(SocialSettings)


on_reset(social_settings.cache_clear)


@lru_cache(maxsize=1)
def app_secrets() -> dict[str, str]:
    """``{x_client_secret, meta_app_secret, linkedin_client_secret, x_consumer_secret, meta_verify_token}``."""
    return read_secret("social-apps")


on_reset(app_secrets.cache_clear)


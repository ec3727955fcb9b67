"""Calls to action per platform and goal: the brand's preferred ones, else Lily's defaults (data)."""

from __future__ import annotations

from lily.content.schemas import BrandIn

DEFAULT_CTAS: dict[str, dict[str, str]] = {
    "x": {"awareness": "Follow for more.", "engagement": "What do you think?", "traffic": "Read more at the link.",
          "leads": "DM us to learn more.", "sales": "Shop now at the link.", "community": "Join the conversation."},
    "facebook": {"awareness": "Follow our page for more.", "engagement": "Tell us in the comments.",
                 "traffic": "Read the full story at the link.", "leads": "Message us to get started.",
                 "sales": "Order today at the link.", "community": "Share this with someone who needs it."},
    "instagram": {"awareness": "Follow for more.", "engagement": "Tell us in the comments.",
                  "traffic": "Link in bio.", "leads": "DM us to learn more.", "sales": "Shop via the link in bio.",
                  "community": "Tag a friend who should see this."},
    "linkedin": {"awareness": "Follow us for more insights.", "engagement": "What has your experience been?",
                 "traffic": "Read the full article at the link.", "leads": "Send us a message to talk it through.",
                 "sales": "Book a demo at the link.", "community": "Share your thoughts in the comments."},
}


def cta_for(platform: str, goal: str, brand: BrandIn) -> str:
    preferred = (brand.ctas.get(platform) or {}).get(goal)  # type: ignore[call-overload]
    return preferred or DEFAULT_CTAS[platform][goal]

"""Stripe webhook intake: signature on the raw body, replay protection, enqueue; answers fast. The per-IP rate limit
applies, as on every route class (a delivery refused with 429 is retried by Stripe)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Request

from lily.billing import webhook_intake
from lily.billing.schemas import WebhookAck
from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.identity.ratelimit import rate_limit_middleware

settings = get_settings()
app = create_app("Lily Stripe webhook", "Receives Stripe events", middleware=[rate_limit_middleware])


@app.post("/webhooks/stripe", response_model=WebhookAck, tags=["webhooks"], responses=errors(400))
async def stripe_webhook(request: Request) -> WebhookAck:
    raw = await request.body()  # the exact bytes Stripe signed
    return webhook_intake.accept_webhook(raw, request.headers.get("stripe-signature"))


handler = http_handler(app)

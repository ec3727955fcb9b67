"""Stripe webhook intake: signature on the raw body, replay protection, enqueue; answers fast."""

from fastapi import Request

from lily.billing import service
from lily.billing.service import WebhookAck
from lily.core.config import get_settings
from lily.core.http import create_app, http_handler

settings = get_settings()
app = create_app("Lily Stripe webhook", "Receives Stripe events")


@app.post("/webhooks/stripe", response_model=WebhookAck, tags=["webhooks"])
async def stripe_webhook(request: Request) -> WebhookAck:
    raw = await request.body()  # the exact bytes Stripe signed
    return service.accept_webhook(raw, request.headers.get("stripe-signature"))


handler = http_handler(app)

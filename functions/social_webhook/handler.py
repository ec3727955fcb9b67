"""Inbound platform webhooks (Meta, X, LinkedIn): the platforms' subscription checks, and event deliveries verified
on the raw body, de-duplicated and queued for the ``social_inbound`` worker; the answer comes at once.

Public routes: no user credentials, each platform's signature authenticates its deliveries
(:mod:`lily.social.webhook_signatures`); the per-IP rate limit applies."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Query, Request
from fastapi.responses import PlainTextResponse

from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.identity.access import public_route
from lily.identity.ratelimit import rate_limit_middleware
from lily.social import webhook_intake
from lily.social.schemas import InboundAck, LinkedInChallengeAnswer, XCrcAnswer

settings = get_settings()
app = create_app("Lily platform webhooks", "Receives comments, mentions and replies from Meta, X and LinkedIn",
                 middleware=[rate_limit_middleware])
TAGS = ["webhooks"]
PUBLIC = [Depends(public_route)]


@app.get("/webhooks/meta", response_class=PlainTextResponse, tags=TAGS, dependencies=PUBLIC,
         responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **errors(403)})
def meta_verify(mode: str | None = Query(None, alias="hub.mode", max_length=32),
                verify_token: str | None = Query(None, alias="hub.verify_token", max_length=256),
                challenge: str | None = Query(None, alias="hub.challenge", max_length=256)) -> str:
    """Meta's subscription check: answers ``hub.challenge`` when ``hub.verify_token`` is Lily's, else 403."""
    return webhook_intake.meta_challenge(mode, verify_token, challenge)


@app.post("/webhooks/meta", response_model=InboundAck, tags=TAGS, dependencies=PUBLIC,
          responses=errors(400, 503))
async def meta_events(request: Request) -> InboundAck:
    """Page and Instagram changes, signed ``X-Hub-Signature-256`` over the raw body."""
    return webhook_intake.accept("meta", await request.body(), request.headers)


@app.get("/webhooks/x", response_model=XCrcAnswer, tags=TAGS, dependencies=PUBLIC)
def x_crc(crc_token: str = Query(min_length=1, max_length=512)) -> XCrcAnswer:
    """X's challenge-response check (CRC): ``sha256=`` + base64 HMAC-SHA256 of ``crc_token``."""
    return XCrcAnswer(response_token=webhook_intake.x_crc(crc_token))


@app.post("/webhooks/x", response_model=InboundAck, tags=TAGS, dependencies=PUBLIC, responses=errors(400, 503))
async def x_events(request: Request) -> InboundAck:
    """Account activity, signed ``x-twitter-webhooks-signature`` over the raw body."""
    return webhook_intake.accept("x", await request.body(), request.headers)


@app.get("/webhooks/linkedin", response_model=LinkedInChallengeAnswer, tags=TAGS, dependencies=PUBLIC)
def linkedin_validate(challenge_code: str = Query(alias="challengeCode", min_length=1, max_length=128)
                      ) -> LinkedInChallengeAnswer:
    """LinkedIn's webhook validation: the hex HMAC-SHA256 of ``challengeCode`` with the client secret."""
    return LinkedInChallengeAnswer(challengeCode=challenge_code,
                                   challengeResponse=webhook_intake.linkedin_challenge(challenge_code))


@app.post("/webhooks/linkedin", response_model=InboundAck, tags=TAGS, dependencies=PUBLIC,
          responses=errors(400, 503))
async def linkedin_events(request: Request) -> InboundAck:
    """Organization social actions, signed ``X-LI-Signature`` over ``"hmacsha256=" + raw body``."""
    return webhook_intake.accept("linkedin", await request.body(), request.headers)


handler = http_handler(app)

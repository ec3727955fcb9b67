"""Publishing HTTP function (lily.publishing): posts, the content library, scheduling and media uploads."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Header, Query, Request, Response

from lily.composition import publishing_ports
from lily.core.config import get_settings
from lily.core.fields import IDEMPOTENCY_KEY_PATTERN
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware
from lily.publishing import editing, idempotency, media, posts, scheduling
from lily.publishing.ports import PublishingPorts
from lily.publishing.schemas import (
    CancelOut,
    MediaOut,
    PostCreate,
    PostOut,
    PostPage,
    PostUpdate,
    ScheduleIn,
    UploadIn,
    UploadOut,
)

settings = get_settings()
app = create_app("Lily publishing", "Posts, scheduling and media", middleware=[rate_limit_middleware])
viewer = org_access(OrgRole.viewer, scope="posts:read")
editor = org_access(OrgRole.editor, scope="posts:write")
BASE = "/api/orgs/{org_id}/posts"
IDEMPOTENCY_KEY = Header(
    None, alias="Idempotency-Key", min_length=1, max_length=255, pattern=IDEMPOTENCY_KEY_PATTERN,
    description="A retry with the same key and request answers the first answer again (Idempotent-Replayed: "
                "true); the same key with another request answers 409. Keys are per organization and kept a day.")


HTTP_API_TIMEOUT_S = 30.0  # API Gateway HTTP APIs give up on an integration after 30 seconds


def invocation_lease(request: Request) -> float:
    """How long this request may still run: the Lambda's remaining time (Mangum passes its context in the
    scope), never more than API Gateway waits. An Idempotency-Key claim in progress expires then."""
    context = request.scope.get("aws.context")
    remaining = context.get_remaining_time_in_millis() / 1000 if context is not None else HTTP_API_TIMEOUT_S
    return min(remaining, HTTP_API_TIMEOUT_S)


def _replay(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


@app.post(BASE, response_model=PostOut, status_code=201, tags=["posts"], responses=errors(409))
def create_post(org_id: str, body: PostCreate, response: Response, access: OrgAccess = Depends(editor),
                idempotency_key: str | None = IDEMPOTENCY_KEY, lease_s: float = Depends(invocation_lease),
                ports: PublishingPorts = Depends(publishing_ports)):
    answer, replayed = idempotency.run(org_id, "create_post", idempotency_key, body.model_dump(mode="json"),
                                       lambda: editing.create_post(ports, org_id, body, access.principal.subject),
                                       lease_s=lease_s)
    _replay(response, replayed)
    return answer


@app.get(BASE, response_model=PostPage, tags=["posts"])
def list_posts(org_id: str, access: OrgAccess = Depends(viewer),
               status: str | None = Query(None, pattern="^(draft|scheduled|publishing|published|partial|failed)$"),
               platform: str | None = Query(None, pattern="^(x|facebook|instagram|linkedin)$"),
               date_from: str | None = Query(None, alias="from"), date_to: str | None = Query(None, alias="to"),
               limit: int = Query(20, ge=1, le=100), cursor: str | None = Query(None, max_length=512)) -> PostPage:
    return posts.list_posts(org_id, status=status, platform=platform,
                              date_from=posts.parse_date(date_from, "from"),
                              date_to=posts.parse_date(date_to, "to"), limit=limit, cursor=cursor)


@app.get(BASE + "/{post_id}", response_model=PostOut, tags=["posts"])
def get_post(org_id: str, post_id: str, access: OrgAccess = Depends(viewer)) -> PostOut:
    return posts.get_post(org_id, post_id)


@app.patch(BASE + "/{post_id}", response_model=PostOut, tags=["posts"], responses=errors(409))
def update_post(org_id: str, post_id: str, body: PostUpdate, access: OrgAccess = Depends(editor),
                ports: PublishingPorts = Depends(publishing_ports)) -> PostOut:
    return editing.update_post(ports, org_id, post_id, body)


@app.delete(BASE + "/{post_id}", status_code=204, tags=["posts"], responses=errors(409))
def delete_post(org_id: str, post_id: str, access: OrgAccess = Depends(editor),
                ports: PublishingPorts = Depends(publishing_ports)) -> Response:
    editing.delete_post(ports, org_id, post_id)
    return Response(status_code=204)


@app.post(BASE + "/{post_id}/schedule", response_model=PostOut, tags=["posts"], responses=errors(409))
def schedule(org_id: str, post_id: str, body: ScheduleIn, response: Response, access: OrgAccess = Depends(editor),
             idempotency_key: str | None = IDEMPOTENCY_KEY, lease_s: float = Depends(invocation_lease),
             ports: PublishingPorts = Depends(publishing_ports)):
    payload = {"post_id": post_id, **body.model_dump(mode="json")}
    answer, replayed = idempotency.run(org_id, "schedule", idempotency_key, payload,
                                       lambda: scheduling.schedule(ports, org_id, post_id, body),
                                       lease_s=lease_s)
    _replay(response, replayed)
    return answer


@app.post(BASE + "/{post_id}/cancel", response_model=CancelOut, tags=["posts"], responses=errors(409))
def cancel(org_id: str, post_id: str, access: OrgAccess = Depends(editor),
           ports: PublishingPorts = Depends(publishing_ports)) -> CancelOut:
    return scheduling.cancel(ports, org_id, post_id)


@app.post("/api/orgs/{org_id}/media/uploads", response_model=UploadOut, status_code=201, tags=["media"],
          responses=errors(413))
def create_upload(org_id: str, body: UploadIn, access: OrgAccess = Depends(editor),
                  ports: PublishingPorts = Depends(publishing_ports)) -> UploadOut:
    return media.create_upload(ports.storage_quota, org_id, body, access.principal.subject)


@app.get("/api/orgs/{org_id}/media/{media_id}", response_model=MediaOut, tags=["media"])
def get_media(org_id: str, media_id: str, access: OrgAccess = Depends(viewer)) -> MediaOut:
    return media.get_media(org_id, media_id)


@app.delete("/api/orgs/{org_id}/media/{media_id}", status_code=204, tags=["media"])
def delete_media(org_id: str, media_id: str, access: OrgAccess = Depends(editor),
                 ports: PublishingPorts = Depends(publishing_ports)) -> Response:
    """Delete a medium and give its bytes back to the plan's media storage."""
    media.delete_media(ports.storage_quota, org_id, media_id)
    return Response(status_code=204)


handler = http_handler(app)

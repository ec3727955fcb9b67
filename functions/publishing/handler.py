"""Publishing HTTP function (lily.publishing): posts, the content library, scheduling, posting queues, the calendar
and media uploads."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Header, Query, Request, Response

from lily.composition import approval_gate, best_times, publishing_ports, scheduling_ports
from lily.core.config import get_settings
from lily.core.fields import IDEMPOTENCY_KEY_PATTERN
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware
from lily.publishing import (
    approval,
    calendar,
    editing,
    idempotency,
    media,
    posts,
    queues,
    scheduling,
    suggested_slots,
)
from lily.publishing.ports import ApprovalGate, BestTimes, PublishingPorts, SchedulingPorts
from lily.publishing.schemas import (
    CalendarOut,
    CancelOut,
    EnqueueIn,
    EnqueueOut,
    MediaOut,
    MediaPatch,
    PostCreate,
    PostOut,
    PostPage,
    PostUpdate,
    QueueIn,
    QueueList,
    QueueOut,
    QueueUpdate,
    ReorderIn,
    ScheduleIn,
    SuggestedSlots,
    UploadIn,
    UploadOut,
)

settings = get_settings()
app = create_app("Lily publishing", "Posts, scheduling and media", middleware=[rate_limit_middleware])
viewer = org_access(OrgRole.viewer, scope="posts:read")
editor = org_access(OrgRole.editor, scope="posts:write")
queue_reader = org_access(OrgRole.viewer, scope="queues:read")
queue_editor = org_access(OrgRole.editor, scope="queues:write")
QUEUES = "/api/orgs/{org_id}/queues"
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
                ports: PublishingPorts = Depends(publishing_ports), gate: ApprovalGate = Depends(approval_gate)):
    needs = "required" if gate.required(org_id, access.role.value, "user") else None  # its author needs approval
    answer, replayed = idempotency.run(org_id, "create_post", idempotency_key, body.model_dump(mode="json"),
                                       lambda: editing.create_post(ports, org_id, body, access.principal.subject,
                                                                   approval=needs),
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
             ports: PublishingPorts = Depends(publishing_ports), gate: ApprovalGate = Depends(approval_gate)):
    """Schedule the post; when the org's approval policy makes its author wait, it is submitted instead
    (``approval: pending``, still a draft) and scheduled when an approver approves it."""
    payload = {"post_id": post_id, **body.model_dump(mode="json")}
    answer, replayed = idempotency.run(org_id, "schedule", idempotency_key, payload,
                                       lambda: approval.schedule_or_submit(ports, gate, org_id, post_id, body,
                                                                           access.role.value,
                                                                           access.principal.subject),
                                       lease_s=lease_s)
    _replay(response, replayed)
    return answer


@app.post(BASE + "/{post_id}/cancel", response_model=CancelOut, tags=["posts"], responses=errors(409))
def cancel(org_id: str, post_id: str, access: OrgAccess = Depends(editor),
           ports: PublishingPorts = Depends(publishing_ports)) -> CancelOut:
    return scheduling.cancel(ports, org_id, post_id)


@app.post(BASE + "/{post_id}/queue", response_model=EnqueueOut, status_code=201, tags=["queues"],
          responses=errors(409, 429))
def enqueue_post(org_id: str, post_id: str, body: EnqueueIn, access: OrgAccess = Depends(queue_editor),
                 ports: SchedulingPorts = Depends(scheduling_ports)) -> EnqueueOut:
    """Put a draft in the queue's next free slot and schedule it there (403 below the pro plan; 409 when the
    queue has no free slot; 429 over the posts/day quota)."""
    return queues.enqueue(ports, org_id, post_id, body.queue_id)


@app.post(QUEUES, response_model=QueueOut, status_code=201, tags=["queues"])
def create_queue(org_id: str, body: QueueIn, access: OrgAccess = Depends(queue_editor),
                 ports: SchedulingPorts = Depends(scheduling_ports)) -> QueueOut:
    """A queue of weekly slots (in the org's time zone) for one connection or a group of them."""
    return queues.create(ports, org_id, body)


@app.get(QUEUES, response_model=QueueList, tags=["queues"])
def list_queues(org_id: str, access: OrgAccess = Depends(queue_reader),
                ports: SchedulingPorts = Depends(scheduling_ports),
                page: PageParams = Depends(page_params)) -> QueueList:
    return queues.list_queues(ports, org_id, page)


@app.get(QUEUES + "/{queue_id}", response_model=QueueOut, tags=["queues"])
def get_queue(org_id: str, queue_id: str, access: OrgAccess = Depends(queue_reader),
              ports: SchedulingPorts = Depends(scheduling_ports)) -> QueueOut:
    return queues.get(ports, org_id, queue_id)


@app.patch(QUEUES + "/{queue_id}", response_model=QueueOut, tags=["queues"], responses=errors(409))
def update_queue(org_id: str, queue_id: str, body: QueueUpdate, access: OrgAccess = Depends(queue_editor),
                 ports: SchedulingPorts = Depends(scheduling_ports)) -> QueueOut:
    return queues.update(ports, org_id, queue_id, body)


@app.post(QUEUES + "/{queue_id}/reorder", response_model=QueueOut, tags=["queues"], responses=errors(409))
def reorder_queue(org_id: str, queue_id: str, body: ReorderIn, access: OrgAccess = Depends(queue_editor),
                  ports: SchedulingPorts = Depends(scheduling_ports)) -> QueueOut:
    """Give the waiting posts a new order: the queue's slots stay, the posts move between them."""
    return queues.reorder(ports, org_id, queue_id, body)


@app.post(QUEUES + "/{queue_id}/shuffle", response_model=QueueOut, tags=["queues"], responses=errors(409))
def shuffle_queue(org_id: str, queue_id: str, access: OrgAccess = Depends(queue_editor),
                  ports: SchedulingPorts = Depends(scheduling_ports)) -> QueueOut:
    return queues.shuffle(ports, org_id, queue_id)


@app.post(QUEUES + "/{queue_id}/pause", response_model=QueueOut, tags=["queues"], responses=errors(409))
def pause_queue(org_id: str, queue_id: str, access: OrgAccess = Depends(queue_editor),
                ports: SchedulingPorts = Depends(scheduling_ports)) -> QueueOut:
    """Hold the queue: its waiting posts go back to draft, kept in order."""
    return queues.pause(ports, org_id, queue_id, True)


@app.post(QUEUES + "/{queue_id}/resume", response_model=QueueOut, tags=["queues"], responses=errors(409, 429))
def resume_queue(org_id: str, queue_id: str, access: OrgAccess = Depends(queue_editor),
                 ports: SchedulingPorts = Depends(scheduling_ports)) -> QueueOut:
    """Lay the held posts, in order, onto the next free slots and schedule them."""
    return queues.pause(ports, org_id, queue_id, False)


@app.get(QUEUES + "/{queue_id}/suggested-slots", response_model=SuggestedSlots, tags=["queues"],
         operation_id="suggest_queue_slots", responses=errors(403, 404))
def suggest_queue_slots(org_id: str, queue_id: str, access: OrgAccess = Depends(queue_reader),
                        ports: SchedulingPorts = Depends(scheduling_ports),
                        best: BestTimes = Depends(best_times)) -> SuggestedSlots:
    """Weekly slots from the org's best times on each platform of the queue (its own engagement, in its time
    zone); a platform with too little history says so and gets none. Nothing changes: add slots with PATCH."""
    return suggested_slots.suggest(ports, best, org_id, queue_id)


@app.delete(QUEUES + "/{queue_id}/posts/{post_id}", response_model=QueueOut, tags=["queues"],
            responses=errors(409))
def remove_from_queue(org_id: str, queue_id: str, post_id: str, access: OrgAccess = Depends(queue_editor),
                      ports: SchedulingPorts = Depends(scheduling_ports)) -> QueueOut:
    """The post goes back to draft; the later posts move up one slot when the queue says so."""
    return queues.remove(ports, org_id, queue_id, post_id)


@app.get("/api/orgs/{org_id}/calendar", response_model=CalendarOut, tags=["calendar"])
def get_calendar(org_id: str, access: OrgAccess = Depends(viewer),
                 view: str = Query("week", pattern="^(day|week|month)$"),
                 date_from: str | None = Query(None, alias="from", description="YYYY-MM-DD in the org's zone"),
                 date_to: str | None = Query(None, alias="to", description="YYYY-MM-DD, inclusive"),
                 platform: str | None = Query(None, pattern="^(x|facebook|instagram|linkedin)$"),
                 connection_id: str | None = Query(None, max_length=128),
                 status: str | None = Query(None, pattern="^(scheduled|publishing|published|partial|failed)$"),
                 ports: SchedulingPorts = Depends(scheduling_ports)) -> CalendarOut:
    """Scheduled and published posts per day in the org's time zone (every plan)."""
    return calendar.view(ports, org_id, view=view, date_from=date_from, date_to=date_to, platform=platform,
                         connection_id=connection_id, status=status)


@app.post("/api/orgs/{org_id}/calendar/posts/{post_id}/reschedule", response_model=PostOut, tags=["calendar"],
          responses=errors(409, 429))
def reschedule_post(org_id: str, post_id: str, body: ScheduleIn, access: OrgAccess = Depends(editor),
                    ports: SchedulingPorts = Depends(scheduling_ports),
                    gate: ApprovalGate = Depends(approval_gate)) -> PostOut:
    """Move a post; refused (409) when another post on its connections holds that time or pacing allows no more.
    The org's approval policy applies as on the schedule route: an author who must wait submits the post for
    approval at the new time (``approval: pending``) instead of scheduling it."""
    return calendar.reschedule(ports, gate, org_id, post_id, body, access.role.value, access.principal.subject)


@app.post("/api/orgs/{org_id}/media/uploads", response_model=UploadOut, status_code=201, tags=["media"],
          responses=errors(413))
def create_upload(org_id: str, body: UploadIn, access: OrgAccess = Depends(editor),
                  ports: PublishingPorts = Depends(publishing_ports)) -> UploadOut:
    return media.create_upload(ports.storage_quota, org_id, body, access.principal.subject)


@app.get("/api/orgs/{org_id}/media/{media_id}", response_model=MediaOut, tags=["media"])
def get_media(org_id: str, media_id: str, access: OrgAccess = Depends(viewer)) -> MediaOut:
    return media.get_media(org_id, media_id)


@app.patch("/api/orgs/{org_id}/media/{media_id}", response_model=MediaOut, tags=["media"])
def update_media(org_id: str, media_id: str, body: MediaPatch, access: OrgAccess = Depends(editor)) -> MediaOut:
    """Edit a medium's alt text."""
    return media.set_alt_text(org_id, media_id, body.alt_text)


@app.delete("/api/orgs/{org_id}/media/{media_id}", status_code=204, tags=["media"], responses=errors(409))
def delete_media(org_id: str, media_id: str, access: OrgAccess = Depends(editor),
                 ports: PublishingPorts = Depends(publishing_ports)) -> Response:
    """Delete a medium and give its bytes back to the plan's media storage (409 with ``details.post_ids`` while a
    scheduled post still names it; a published post's media may be deleted)."""
    media.delete_media(ports.storage_quota, org_id, media_id)
    return Response(status_code=204)


handler = http_handler(app)

"""Privacy HTTP function: the data registry, export jobs and erasure (docs/privacy.md).

Every route is for a signed-in person (no API key may export or erase: ``SESSIONS_ONLY``); an organization's export
and erasure are its owner's alone.
"""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends

from lily.composition import data_subjects
from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.identity.access import SESSIONS_ONLY, OrgAccess, OrgRole, current_user, org_access
from lily.identity.principals import Principal
from lily.identity.ratelimit import rate_limit_middleware
from lily.privacy import jobs
from lily.privacy.ports import DataSubjects
from lily.privacy.schemas import PrivacyJobOut, RetentionOut

settings = get_settings()
app = create_app("Lily privacy", "Data rights: the retention registry, exports and erasure",
                 middleware=[rate_limit_middleware])
owner = org_access(OrgRole.owner, scope=SESSIONS_ONLY)
TAGS = ["privacy"]


@app.get("/api/data/retention", response_model=RetentionOut, operation_id="privacy_retention", tags=TAGS)
def retention(principal: Principal = Depends(current_user)) -> RetentionOut:
    # Every table's model is loaded here, on this rarely called route only (the others need none of them).
    from lily.composition import data_models
    from lily.privacy.registry import registry

    return registry(data_models())


@app.post("/api/me/export", status_code=202, response_model=PrivacyJobOut, operation_id="privacy_export_me",
          tags=TAGS, responses=errors(409))
def export_me(principal: Principal = Depends(current_user)) -> PrivacyJobOut:
    return jobs.request_export("user", principal.subject, principal.subject, principal.email)


@app.get("/api/me/export/{job_id}", response_model=PrivacyJobOut, operation_id="privacy_get_export_me",
         tags=TAGS, responses=errors(404))
def get_export_me(job_id: str, principal: Principal = Depends(current_user)) -> PrivacyJobOut:
    return jobs.view(jobs.get("user", principal.subject, job_id))


@app.post("/api/orgs/{org_id}/export", status_code=202, response_model=PrivacyJobOut,
          operation_id="privacy_export_org", tags=TAGS, responses=errors(409))
def export_org(org_id: str, access: OrgAccess = Depends(owner)) -> PrivacyJobOut:
    return jobs.request_export("org", access.org_id, access.principal.subject, access.principal.email)


@app.get("/api/orgs/{org_id}/export/{job_id}", response_model=PrivacyJobOut, operation_id="privacy_get_export_org",
         tags=TAGS, responses=errors(404))
def get_export_org(org_id: str, job_id: str, access: OrgAccess = Depends(owner)) -> PrivacyJobOut:
    return jobs.view(jobs.get("org", access.org_id, job_id))


@app.post("/api/me/erasure", status_code=202, response_model=PrivacyJobOut, operation_id="privacy_erase_me",
          tags=TAGS, responses=errors(409))
def erase_me(principal: Principal = Depends(current_user),
             subjects: DataSubjects = Depends(data_subjects)) -> PrivacyJobOut:
    return jobs.schedule_erasure(subjects, "user", principal.subject, principal.subject)


@app.get("/api/me/erasure", response_model=PrivacyJobOut, operation_id="privacy_get_erasure_me", tags=TAGS,
         responses=errors(404))
def get_erasure_me(principal: Principal = Depends(current_user)) -> PrivacyJobOut:
    return jobs.view(jobs.erasure_of("user", principal.subject))


@app.delete("/api/me/erasure", response_model=PrivacyJobOut, operation_id="privacy_cancel_erasure_me", tags=TAGS,
            responses=errors(404, 409))
def cancel_erasure_me(principal: Principal = Depends(current_user)) -> PrivacyJobOut:
    return jobs.cancel_erasure("user", principal.subject)


@app.post("/api/orgs/{org_id}/erasure", status_code=202, response_model=PrivacyJobOut,
          operation_id="privacy_erase_org", tags=TAGS, responses=errors(409))
def erase_org(org_id: str, access: OrgAccess = Depends(owner),
              subjects: DataSubjects = Depends(data_subjects)) -> PrivacyJobOut:
    return jobs.schedule_erasure(subjects, "org", access.org_id, access.principal.subject)


@app.get("/api/orgs/{org_id}/erasure", response_model=PrivacyJobOut, operation_id="privacy_get_erasure_org",
         tags=TAGS, responses=errors(404))
def get_erasure_org(org_id: str, access: OrgAccess = Depends(owner)) -> PrivacyJobOut:
    return jobs.view(jobs.erasure_of("org", access.org_id))


@app.delete("/api/orgs/{org_id}/erasure", response_model=PrivacyJobOut, operation_id="privacy_cancel_erasure_org",
            tags=TAGS, responses=errors(404, 409))
def cancel_erasure_org(org_id: str, access: OrgAccess = Depends(owner)) -> PrivacyJobOut:
    return jobs.cancel_erasure("org", access.org_id)


handler = http_handler(app)

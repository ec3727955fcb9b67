"""Images HTTP function: accept a generation job (202 + job id), read jobs, org image settings and the style vault."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Response

import lily.ai.openai_client  # noqa: F401 - openai (~2 s) loads at cold start / in the snapshot, not per request
from lily.composition import image_ports
from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware
from lily.images import jobs, org_settings, styles
from lily.images.contract import PromptContract
from lily.images.ports import ImagePorts
from lily.images.schemas import (
    ImageJobOut,
    ImageJobPage,
    ImageSettingsOut,
    ImageSettingsPut,
    StyleIn,
    StyleOut,
    StylePage,
    StylePut,
)
from lily.images.settings import images_settings

settings = get_settings()
images = images_settings()  # a bad model map (a banned or unknown model) fails the cold start, not a request

app = create_app("Lily images", "AI image generation, image settings and the style vault",
                 middleware=[rate_limit_middleware])
reader = org_access(OrgRole.viewer, scope="images:read")
writer = org_access(OrgRole.editor, scope="images:write")
admin = org_access(OrgRole.admin, scope="images:write")
BASE = "/api/orgs/{org_id}/images"


@app.post(BASE, response_model=ImageJobOut, status_code=202, operation_id="images_generate", tags=["images"],
          responses=errors(403, 404, 422, 429, 502))
def generate(org_id: str, body: PromptContract, access: OrgAccess = Depends(writer),
             ports: ImagePorts = Depends(image_ports)) -> ImageJobOut:
    return jobs.accept(ports, org_id, body, access.principal.subject)


@app.get(BASE + "/jobs", response_model=ImageJobPage, operation_id="images_list_jobs", tags=["images"],
         responses=errors(422))
def list_jobs(org_id: str, access: OrgAccess = Depends(reader),
              page: PageParams = Depends(page_params)) -> ImageJobPage:
    return jobs.list_jobs(org_id, page)


@app.get(BASE + "/jobs/{job_id}", response_model=ImageJobOut, operation_id="images_get_job", tags=["images"],
         responses=errors(404))
def get_job(org_id: str, job_id: str, access: OrgAccess = Depends(reader)) -> ImageJobOut:
    return jobs.get(org_id, job_id)


@app.get(BASE + "/settings", response_model=ImageSettingsOut, operation_id="images_get_settings",
         tags=["image settings"], responses=errors())
def read_settings(org_id: str, access: OrgAccess = Depends(reader)) -> ImageSettingsOut:
    return org_settings.get(org_id)


@app.put(BASE + "/settings", response_model=ImageSettingsOut, operation_id="images_put_settings",
         tags=["image settings"], responses=errors(409, 422))
def put_settings(org_id: str, body: ImageSettingsPut, access: OrgAccess = Depends(admin)) -> ImageSettingsOut:
    return org_settings.put(org_id, body, access.principal.subject)


@app.delete(BASE + "/settings", status_code=204, response_model=None, operation_id="images_delete_settings",
            tags=["image settings"], responses=errors(404))
def delete_settings(org_id: str, access: OrgAccess = Depends(admin)) -> Response:
    org_settings.delete(org_id)
    return Response(status_code=204)


@app.get(BASE + "/styles", response_model=StylePage, operation_id="images_list_styles", tags=["style vault"],
         responses=errors())
def list_styles(org_id: str, access: OrgAccess = Depends(reader),
                page: PageParams = Depends(page_params)) -> StylePage:
    return styles.list_styles(org_id, page)


@app.post(BASE + "/styles", response_model=StyleOut, status_code=201, operation_id="images_create_style",
          tags=["style vault"], responses=errors(409, 422, 502))
def create_style(org_id: str, body: StyleIn, access: OrgAccess = Depends(writer),
                 ports: ImagePorts = Depends(image_ports)) -> StyleOut:
    return styles.create(ports.ai, org_id, body, access.principal.subject)


@app.get(BASE + "/styles/{style_id}", response_model=StyleOut, operation_id="images_get_style",
         tags=["style vault"], responses=errors(404))
def get_style(org_id: str, style_id: str, access: OrgAccess = Depends(reader)) -> StyleOut:
    return styles.get(org_id, style_id)


@app.put(BASE + "/styles/{style_id}", response_model=StyleOut, operation_id="images_update_style",
         tags=["style vault"], responses=errors(404, 409, 422, 502))
def update_style(org_id: str, style_id: str, body: StylePut, access: OrgAccess = Depends(writer),
                 ports: ImagePorts = Depends(image_ports)) -> StyleOut:
    return styles.update(ports.ai, org_id, style_id, body, access.principal.subject)


@app.delete(BASE + "/styles/{style_id}", status_code=204, response_model=None, operation_id="images_delete_style",
            tags=["style vault"], responses=errors(404))
def delete_style(org_id: str, style_id: str, access: OrgAccess = Depends(writer)) -> Response:
    styles.delete(org_id, style_id)
    return Response(status_code=204)


handler = http_handler(app)

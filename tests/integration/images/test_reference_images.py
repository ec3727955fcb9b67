"""``reference_images`` names media of the caller's org only (issue 25 security 7): another org's media id is a 404
naming it, before anything is stored or charged."""

from __future__ import annotations

import io

from PIL import Image

from lily.composition import image_ports
from tests.integration.images.conftest import on_plan


def a_media_item(org_id: str) -> str:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(out, "PNG")
    media_id, _ = image_ports().media.store(org_id, out.getvalue(), "image/png", name="ref", alt_text=None,
                                            created_by=None)
    return media_id


def test_another_orgs_media_id_is_refused_and_the_orgs_own_is_accepted(http, owner, sandbox):
    from tests.support.identity import create_org, register_user

    on_plan(owner, "pro")
    other = register_user(http)
    theirs = a_media_item(create_org(http, other["headers"]))
    ours = a_media_item(owner["org_id"])
    url = f"/api/orgs/{owner['org_id']}/images"
    r = http.post(url, headers=owner["headers"], json={"prompt": "A lighthouse", "reference_images": [ours, theirs]})
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "VALIDATION_004" and r.json()["error"]["details"]["media_ids"] == [theirs]
    r = http.post(url, headers=owner["headers"], json={"prompt": "A lighthouse", "reference_images": [ours]})
    assert r.status_code == 202, r.text
    r = http.post(url, headers=owner["headers"], json={"prompt": "A lighthouse", "reference_images": ["x" * 2000]})
    assert r.status_code == 422, r.text

"""Brand profile CRUD: one versioned profile per organization (version 0 = none saved, defaults apply)."""

from __future__ import annotations

from lily.content.models import BrandProfile
from lily.content.schemas import BrandIn, BrandOut, BrandPut
from lily.core import clock
from lily.core.db import won
from lily.core.errors import conflict, not_found


def _get(org_id: str) -> BrandProfile | None:
    try:
        return BrandProfile.get(org_id, consistent_read=True)
    except BrandProfile.DoesNotExist:
        return None


def current(org_id: str) -> tuple[BrandIn, int]:
    """The profile every generation applies, and its version (0: defaults)."""
    item = _get(org_id)
    return (BrandIn(**item.data), int(item.version)) if item else (BrandIn(), 0)


def get(org_id: str) -> BrandOut:
    item = _get(org_id)
    if item is None:
        return BrandOut(org_id=org_id, version=0, **BrandIn().model_dump())
    return BrandOut(org_id=org_id, version=int(item.version), updated_at=item.updated_at,
                    updated_by=item.updated_by, **BrandIn(**item.data).model_dump())


def put(org_id: str, body: BrandPut, user_id: str | None) -> BrandOut:
    """Create or replace; with ``expected_version`` the write fails (409) if someone saved in between."""
    item = _get(org_id)
    version = int(item.version) if item else 0
    if body.expected_version is not None and body.expected_version != version:
        raise conflict("the brand profile changed; reload it", version=version, expected=body.expected_version)
    data = BrandIn(**body.model_dump(exclude={"expected_version"})).model_dump(mode="json")
    new = BrandProfile(org_id, version=version + 1, data=data, updated_by=user_id, updated_at=clock.now())
    condition = BrandProfile.org_id.does_not_exist() if item is None else BrandProfile.version == version
    if not won(lambda: new.save(condition=condition)):
        raise conflict("the brand profile changed; reload it", expected=version)
    return get(org_id)


def delete(org_id: str) -> None:
    item = _get(org_id)
    if item is None:
        raise not_found("Brand profile")
    item.delete()

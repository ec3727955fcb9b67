"""Org image settings CRUD: one versioned document per organization (version 0 = none saved, defaults apply)."""

from __future__ import annotations

from lily.core import clock
from lily.core.db import won
from lily.core.errors import conflict, not_found
from lily.images.models import ImageSettings
from lily.images.schemas import ImageSettingsIn, ImageSettingsOut, ImageSettingsPut


def _get(org_id: str) -> ImageSettings | None:
    try:
        return ImageSettings.get(org_id, consistent_read=True)
    except ImageSettings.DoesNotExist:
        return None


def current(org_id: str) -> ImageSettingsIn:
    item = _get(org_id)
    return ImageSettingsIn(**item.data) if item else ImageSettingsIn()


def get(org_id: str) -> ImageSettingsOut:
    item = _get(org_id)
    if item is None:
        return ImageSettingsOut(org_id=org_id, version=0, **ImageSettingsIn().model_dump())
    return ImageSettingsOut(org_id=org_id, version=int(item.version), updated_at=item.updated_at,
                            updated_by=item.updated_by, **ImageSettingsIn(**item.data).model_dump())


def put(org_id: str, body: ImageSettingsPut, user_id: str | None) -> ImageSettingsOut:
    """Create or replace; with ``expected_version`` the write fails (409) if someone saved in between."""
    item = _get(org_id)
    version = int(item.version) if item else 0
    if body.expected_version is not None and body.expected_version != version:
        raise conflict("the image settings changed; reload them", version=version, expected=body.expected_version)
    data = ImageSettingsIn(**body.model_dump(exclude={"expected_version"})).model_dump(mode="json")
    new = ImageSettings(org_id, version=version + 1, data=data, updated_by=user_id, updated_at=clock.now())
    condition = ImageSettings.org_id.does_not_exist() if item is None else ImageSettings.version == version
    if not won(lambda: new.save(condition=condition)):
        raise conflict("the image settings changed; reload them", expected=version)
    return get(org_id)


def delete(org_id: str) -> None:
    item = _get(org_id)
    if item is None:
        raise not_found("Image settings")
    item.delete()

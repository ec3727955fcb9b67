"""Org image settings CRUD: one versioned document per organization (:class:`lily.core.documents.OrgDocument`)."""

from __future__ import annotations

from lily.core.documents import OrgDocument
from lily.images.models import ImageSettings
from lily.images.schemas import ImageSettingsIn, ImageSettingsOut

settings_documents = OrgDocument(ImageSettings, ImageSettingsIn, ImageSettingsOut, "image settings")
current, get, put, delete = (settings_documents.current, settings_documents.get, settings_documents.put,
                             settings_documents.delete)

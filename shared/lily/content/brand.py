"""Brand profile CRUD: one versioned profile per organization (:class:`lily.core.documents.OrgDocument`)."""

from __future__ import annotations

from lily.content.models import BrandProfile
from lily.content.schemas import BrandIn, BrandOut
from lily.core.documents import OrgDocument

profiles = OrgDocument(BrandProfile, BrandIn, BrandOut, "brand profile")
current, get, put, delete = profiles.current, profiles.get, profiles.put, profiles.delete

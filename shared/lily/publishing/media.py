"""Media uploads: a presigned S3 POST whose policy enforces the type and the size limit of every
platform the media is meant for, and a record of the media (``publishing_media``); the media of a post as
the gateway sees them (:func:`media_items`, used by scheduling and the publish worker).

Limits (bytes) where the platforms state them (https://docs.x.com/x-api/media/upload-media, and for Instagram
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media):
X image 5 MB, GIF 15 MB, video 512 MB; Instagram image 8 MiB. Others are conservative defaults (not documented).

Storage is a plan quota (``media_storage_bytes``, through the ``QuotaPort`` port): an upload reserves its
declared size (the presigned policy never lets more in) before anything is recorded, atomically, so concurrent
uploads cannot pass the plan; over it the upload is refused (PLAN_002 with the limit, the usage and the plan
that lifts it). Deleting the medium releases its size.

Reservations expire: an upload's record carries ``pending_until`` (the presigned POST's lifetime and a minute).
When a reservation would go over the plan, the org's expired reservations are looked at first
(:func:`reclaim_expired_uploads`): an object that was uploaded is kept, one that never came is forgotten and its
declared size given back, then the reservation is tried again. :func:`check_room` is the same check without
keeping anything (the image worker asks it before paying for a generation).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from lily.core import clock, ids
from lily.core.aws import client
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, conflict, invalid, not_found
from lily.core.resources import bucket_name
from lily.publishing import media_uses
from lily.publishing.models import Media
from lily.publishing.ports import MediaItem, QuotaPort
from lily.publishing.settings import publishing_settings

if TYPE_CHECKING:
    from lily.publishing.schemas import MediaOut, UploadIn, UploadOut

MB = 1024 * 1024
PLATFORMS = ("x", "facebook", "instagram", "linkedin")
# platform -> media kind -> max bytes
LIMITS: dict[str, dict[str, int]] = {
    "x": {"image": 5 * MB, "gif": 15 * MB, "video": 512 * MB},
    "instagram": {"image": 8 * MB, "video": 300 * MB},
    "facebook": {"image": 10 * MB, "gif": 10 * MB, "video": 1024 * MB},
    "linkedin": {"image": 10 * MB, "gif": 10 * MB, "video": 200 * MB},
}
KIND_OF = {
    "image/jpeg": "image", "image/png": "image", "image/webp": "image",
    "image/gif": "gif", "video/mp4": "video", "video/quicktime": "video",
}
EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif", "video/mp4": "mp4",
       "video/quicktime": "mov"}


def max_size(content_type: str, platforms: list[str]) -> int:
    kind = KIND_OF.get(content_type)
    if kind is None:
        raise invalid("unsupported media type", content_type=content_type, supported=sorted(KIND_OF))
    unknown = [p for p in platforms if p not in LIMITS]
    if unknown:
        raise LilyError(ErrorCode.VALIDATION_001, "unknown platform", {"platforms": unknown})
    limits = []
    for p in platforms or PLATFORMS:
        if kind not in LIMITS[p]:
            # A value the platform refuses, not a payload too large (413): 422, as every invalid input.
            raise invalid(f"{p} does not accept {content_type}", platform=p, content_type=content_type)
        limits.append(LIMITS[p][kind])
    return min(limits)


UPLOAD_GRACE_S = 60  # past the presigned POST's expiry: an upload sent at the last second has landed by then


def reclaim_expired_uploads(storage: QuotaPort, org_id: str) -> int:
    """Give back the storage of the org's upload reservations whose presigned POST expired with nothing uploaded
    (the record is deleted); an uploaded one is kept. Returns the bytes given back."""
    now, freed = clock.now(), 0
    s3 = client("s3")
    for m in Media.query(org_id, filter_condition=Media.pending_until < now):
        expired_at = m.pending_until
        try:
            s3.head_object(Bucket=bucket_name("media"), Key=m.key)
            uploaded = True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            uploaded = False
        if uploaded:
            won(lambda m=m, at=expired_at: m.update(actions=[Media.pending_until.remove()],
                                                    condition=Media.pending_until == at))
        elif won(lambda m=m, at=expired_at: m.delete(condition=Media.pending_until == at)):
            storage.release(org_id, int(m.size))  # once: only the writer whose delete won gives it back
            freed += int(m.size)
    return freed


def _reserve(storage: QuotaPort, org_id: str, size: int) -> None:
    """Take ``size`` bytes of the plan's storage; over the plan, reclaim expired upload reservations and try once
    more (PLAN_002 when still over)."""
    try:
        storage.consume(org_id, size)
    except LilyError as exc:
        if exc.code != ErrorCode.PLAN_002 or not reclaim_expired_uploads(storage, org_id):
            raise
        storage.consume(org_id, size)


def check_room(storage: QuotaPort, org_id: str, size: int) -> None:
    """PLAN_002 unless the org's storage can take ``size`` more bytes now (nothing is kept)."""
    _reserve(storage, org_id, size)
    storage.release(org_id, size)


@contextmanager
def _reserved(storage: QuotaPort, org_id: str, size: int) -> Iterator[None]:
    """Hold ``size`` bytes of the plan's storage while the block records the medium; give them back if it fails."""
    _reserve(storage, org_id, size)
    try:
        yield
    except BaseException:  # nothing was recorded: the reservation goes back, the error goes on
        storage.release(org_id, size)
        raise


def _new_key(org_id: str, content_type: str) -> tuple[str, str]:
    media_id = ids.new_id("med")
    return media_id, f"orgs/{org_id}/media/{media_id}.{EXT[content_type]}"


def create_upload(storage: QuotaPort, org_id: str, body: UploadIn, created_by: str | None = None) -> UploadOut:
    """``storage`` is the plan's ``media_storage_bytes`` quota (:attr:`PublishingPorts.storage_quota`)."""
    # publishing's API models, imported by the routes that answer with them: the publisher, the imports worker and the
    # schedulers use this module's store and lookups only and need not build publishing's API
    from lily.publishing.schemas import UploadOut

    limit = max_size(body.content_type, body.platforms)
    if body.size > limit:
        raise LilyError(ErrorCode.VALIDATION_005, "media too large for its platforms",
                        {"size": body.size, "max_size": limit, "platforms": body.platforms or list(PLATFORMS)})
    s = publishing_settings()
    media_id, key = _new_key(org_id, body.content_type)
    with _reserved(storage, org_id, body.size):
        presigned = client("s3").generate_presigned_post(
            Bucket=bucket_name("media"), Key=key,
            Fields={"Content-Type": body.content_type},
            Conditions=[{"Content-Type": body.content_type}, ["content-length-range", 1, body.size]],
            ExpiresIn=s.upload_url_ttl_s,
        )
        now = clock.now()
        Media(org_id, media_id, key=key, content_type=body.content_type, size=body.size,
              filename=body.filename[:255], platforms=set(body.platforms) or None, created_by=created_by,
              created_at=now, pending_until=now + timedelta(seconds=s.upload_url_ttl_s + UPLOAD_GRACE_S)).save()
    return UploadOut(media_id=media_id, url=presigned["url"], fields=presigned["fields"], max_size=body.size,
                     expires_at=now + timedelta(seconds=s.upload_url_ttl_s))


def store(storage: QuotaPort, org_id: str, data: bytes, content_type: str, *, name: str, alt_text: str | None,
          created_by: str | None, generated: bool = False) -> tuple[str, str]:
    """Store bytes Lily made (a generated image) as a medium, exactly like an upload: the plan's storage is
    reserved first (PLAN_002 over it). Returns ``(media_id, key)``; the filename is ``name`` + the type's ext.
    ``generated`` marks an image Lily's image pipeline generated (analytics' "AI image"); uploads never carry it."""
    media_id, key = _new_key(org_id, content_type)
    with _reserved(storage, org_id, len(data)):
        client("s3").put_object(Bucket=bucket_name("media"), Key=key, Body=data, ContentType=content_type)
        Media(org_id, media_id, key=key, content_type=content_type, size=len(data),
              filename=f"{name}.{EXT[content_type]}"[:255], alt_text=alt_text, created_by=created_by,
              generated=True if generated else None, created_at=clock.now()).save()
    return media_id, key


def get_media(org_id: str, media_id: str) -> MediaOut:
    from lily.publishing.schemas import MediaOut

    try:
        m = Media.get(org_id, media_id)
    except Media.DoesNotExist:
        raise not_found("media", media_id=media_id) from None
    ttl = publishing_settings().media_url_ttl_s
    return MediaOut(media_id=m.media_id, content_type=m.content_type, size=int(m.size), filename=m.filename,
                    alt_text=m.alt_text, generated=bool(m.generated), created_at=m.created_at,
                    download_url=download_url(m.key),
                    download_expires_at=clock.now() + timedelta(seconds=ttl))


def set_alt_text(org_id: str, media_id: str, alt_text: str | None) -> MediaOut:
    """Change a medium's alt text (shown with its preview; passed to the platforms that take it)."""
    item = Media(org_id, media_id)
    text = (alt_text or "").strip() or None
    action = Media.alt_text.set(text) if text else Media.alt_text.remove()
    if not won(lambda: item.update(actions=[action], condition=Media.media_id.exists())):
        raise not_found("media", media_id=media_id)
    return get_media(org_id, media_id)


def delete_media(storage: QuotaPort, org_id: str, media_id: str) -> None:
    """Forget the medium, release its storage, delete its object (the bucket keeps the version 30 days)."""
    try:
        m = Media.get(org_id, media_id, consistent_read=True)
    except Media.DoesNotExist:
        raise not_found("media", media_id=media_id) from None
    needing = media_uses.posts_needing(org_id, media_id)
    if needing:
        raise conflict("scheduled posts still need this medium; cancel or edit them first", media_id=media_id,
                       post_ids=needing)
    if not won(lambda: m.delete(condition=Media.media_id.exists())):
        raise not_found("media", media_id=media_id)  # a concurrent delete released it
    storage.release(org_id, int(m.size))
    client("s3").delete_object(Bucket=bucket_name("media"), Key=m.key)


def download_url(key: str) -> str:
    """A presigned GET platforms can fetch (Instagram cURLs media URLs)."""
    return client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket_name("media"), "Key": key},
                                               ExpiresIn=publishing_settings().media_url_ttl_s)


def media_items(org_id: str, media_ids: list[str]) -> tuple[list[MediaItem], list[str]]:
    """The organization's media records of ``media_ids``, and the ids it has no record of (deleted since, or
    never there): a post is never published or scheduled without media it names."""
    out, missing = [], []
    for mid in media_ids:
        try:
            m = Media.get(org_id, mid)
        except Media.DoesNotExist:
            missing.append(mid)
            continue
        out.append(MediaItem(media_id=mid, content_type=m.content_type, size=int(m.size), key=m.key,
                             alt_text=m.alt_text))
    return out, missing

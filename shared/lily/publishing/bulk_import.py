"""Bulk import: a CSV or JSON file of posts, validated whole before anything is created, then made into posts
asynchronously (the ``imports`` queue, with its DLQ), with progress.

Columns (CSV header or JSON keys): ``connection_id`` (required), ``platform`` (optional, must be the
connection's), ``at`` (ISO 8601 in the future, read in the org's zone without an offset; ``queue`` with a
``queue_id`` for the queue's next free slot; empty: a draft), ``text``, ``media_urls`` (space separated https URLs,
fetched through the SSRF guard into the media store when the row is made), ``first_comment``.

- **Validated first.** Every row is checked (connection, time, queue, the platform's own rules through the
  gateway's one validator, with the media the URLs name) before any post is made; the answer lists each bad row
  with its problems. Bad rows are never created; the good ones are, unless ``all_or_nothing`` (then nothing is).
- **Idempotent.** The import's id is the SHA-256 of the file (format and text): the same file uploaded again
  answers the first import (``replayed: true``) and creates nothing new. Each row is claimed
  (:func:`lily.publishing.autopost.create_once`), so a redelivered queue message makes no row twice.
- **Partial success is explicit**: ``created``, ``failed`` (valid rows that failed when made: a medium that could
  not be fetched, the posts/day quota) and ``row_failures`` with each reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field

from lily.core import clock, queues, safe_http
from lily.core.db import won, won_transaction
from lily.core.errors import ErrorCode, LilyError, invalid, not_found
from lily.core.observability import count, logger
from lily.core.schema import Schema
from lily.publishing import media as media_store
from lily.publishing.autopost import Content, create_once
from lily.publishing.autopost_settings import autopost_settings
from lily.publishing.models import BulkImport, ImportRow, Queue
from lily.publishing.ports import MediaItem, SchedulingPorts
from lily.publishing.settings import publishing_settings

if TYPE_CHECKING:
    from lily.publishing.schemas import ImportIn, ImportOut

COLUMNS = ("connection_id", "platform", "at", "queue_id", "text", "media_urls", "first_comment")
TYPE_OF_EXT = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
               "gif": "image/gif", "mp4": "video/mp4", "mov": "video/quicktime"}
MAX_MEDIA = 4
STALE = timedelta(minutes=15)  # a processing import untouched this long has its rows sent again on re-upload


class ImportChunk(Schema):
    v: int = 1
    org_id: str = Field(min_length=1, max_length=128)
    import_id: str = Field(min_length=1, max_length=128)
    first: int = Field(ge=1)
    last: int = Field(ge=1)


def _row_key(n: int) -> str:
    return f"{n:05d}"


def _problem(field: str, code: str, message: str) -> dict:
    return {"field": field, "code": code, "message": message}


def _parse(body: ImportIn) -> list[dict]:
    s = autopost_settings()
    if len(body.content.encode()) > s.import_max_bytes:
        raise LilyError(ErrorCode.VALIDATION_005, "the file is too large", {"max_bytes": s.import_max_bytes})
    try:
        if body.format == "csv":
            reader = csv.DictReader(io.StringIO(body.content))
            if not reader.fieldnames or "connection_id" not in [f.strip() for f in reader.fieldnames]:
                raise invalid("the CSV needs a header row with at least connection_id", columns=list(COLUMNS))
            rows = [{(k or "").strip(): v for k, v in r.items()} for r in reader]
        else:
            rows = json.loads(body.content)
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise invalid("the JSON must be an array of objects", columns=list(COLUMNS))
    except (csv.Error, json.JSONDecodeError, UnicodeError) as exc:
        raise invalid("the file cannot be read", reason=str(exc)) from None
    if not rows:
        raise invalid("the file holds no row")
    if len(rows) > s.import_max_rows:
        raise invalid(f"at most {s.import_max_rows} rows per file", rows=len(rows))
    return rows


def _text(row: dict, name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip() if name != "text" else str(value)


def _media_urls(raw) -> list[str]:
    if isinstance(raw, list):
        return [str(u).strip() for u in raw if str(u).strip()]
    return [u for u in str(raw or "").replace(",", " ").split() if u]


def _validate(ports: SchedulingPorts, org_id: str, zone: ZoneInfo, row: dict, cache: dict) -> tuple[dict, list]:
    """The row normalised, and its problems (empty when it may be created)."""
    problems: list[dict] = []
    gateway = ports.posts.gateway
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        problems.append(_problem("row", "unknown_column", f"unknown columns {unknown}"))
    cid = _text(row, "connection_id")
    conn = None
    if not cid:
        problems.append(_problem("connection_id", "required", "connection_id is required"))
    else:
        if cid not in cache:
            cache[cid] = gateway.connection(org_id, cid)
        conn = cache[cid]
        if conn is None:
            problems.append(_problem("connection_id", "not_found", f"connection {cid} does not exist"))
    platform = _text(row, "platform").lower()
    if conn is not None and platform and platform != conn.platform:
        problems.append(_problem("platform", "mismatch", f"connection {cid} is on {conn.platform}, not {platform}"))
    when, at_iso, queue_id = _text(row, "at"), None, _text(row, "queue_id") or None
    now = clock.now()
    if when.lower() == "queue":
        if queue_id is None:
            problems.append(_problem("queue_id", "required", "at: queue needs a queue_id"))
        else:
            key = ("queue", queue_id)
            if key not in cache:
                try:
                    cache[key] = Queue.get(org_id, queue_id)
                except Queue.DoesNotExist:
                    cache[key] = None
            queue = cache[key]
            if queue is None:
                problems.append(_problem("queue_id", "not_found", f"queue {queue_id} does not exist"))
            elif cid and cid not in queue.connection_ids:
                problems.append(_problem("queue_id", "connection", f"queue {queue_id} does not serve {cid}"))
    elif when:
        try:
            at = datetime.fromisoformat(when.replace("Z", "+00:00"))
            at = (at if at.tzinfo else at.replace(tzinfo=zone)).astimezone(UTC)
            if at <= now:
                problems.append(_problem("at", "past", "at must be in the future"))
            elif at > now + timedelta(days=publishing_settings().max_schedule_days):
                problems.append(_problem("at", "too_far", "at is too far ahead"))
            at_iso = clock.iso(at)
        except (ValueError, OverflowError):
            problems.append(_problem("at", "format", "at must be ISO 8601, `queue` or empty"))
    urls = _media_urls(row.get("media_urls"))
    if len(urls) > MAX_MEDIA:
        problems.append(_problem("media_urls", "too_many", f"at most {MAX_MEDIA} media per row"))
    media = []
    for url in urls:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            problems.append(_problem("media_urls", "url", f"{url[:200]} is not a URL"))
            continue
        if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
            problems.append(_problem("media_urls", "url", f"{url[:200]} is not an https URL"))
            continue
        ext = parts.path.rsplit(".", 1)[-1].lower() if "." in parts.path else ""
        media.append(MediaItem(media_id="import", content_type=TYPE_OF_EXT.get(ext, "image/jpeg"), key="import"))
    text, first = _text(row, "text"), _text(row, "first_comment") or None
    if conn is not None:
        problems += [p.model_dump() for p in gateway.validate(conn.platform, text, media, first)]
    data = {"connection_id": cid, "at": at_iso, "queue_id": queue_id if when.lower() == "queue" else None,
            "text": text, "media_urls": urls, "first_comment": first}
    return data, problems


def _import_id(body: ImportIn) -> str:
    return "imp_" + hashlib.sha256(f"{body.format}\n{body.content}".encode()).hexdigest()[:40]


def _out(imp: BulkImport, replayed: bool = False) -> ImportOut:
    # the import API's models, imported by the routes that answer with them: the worker only makes posts
    from lily.publishing.schemas import ImportOut, ImportRowError

    failures = [ImportRowError(row=int(r.row), problems=[r.error or {}])
                for r in ImportRow.query(imp.import_id, filter_condition=ImportRow.state == "failed")] \
        if int(imp.failed or 0) else []
    return ImportOut(import_id=imp.import_id, status=imp.status, replayed=replayed, total=int(imp.total),
                     valid=int(imp.valid), invalid=int(imp.invalid), processed=int(imp.processed),
                     created=int(imp.created), failed=int(imp.failed),
                     errors=[ImportRowError(**e) for e in imp.errors or []], row_failures=failures)


def _send_chunks(org_id: str, import_id: str, rows: list[int]) -> None:
    size = autopost_settings().import_chunk_rows
    batch = [(ImportChunk(org_id=org_id, import_id=import_id, first=rows[i], last=rows[min(i + size, len(rows)) - 1])
              .model_dump(), 0) for i in range(0, len(rows), size)]
    refused = queues.send_batch(autopost_settings().import_queue, batch)
    for i in refused:
        queues.send(autopost_settings().import_queue, batch[i][0])


def upload(ports: SchedulingPorts, org_id: str, body: ImportIn, created_by: str | None) -> tuple[ImportOut, bool]:
    """Validate the file and start the import; ``(answer, replayed)``."""
    ports.advanced.require(org_id)
    import_id = _import_id(body)
    try:
        found = BulkImport.get(org_id, import_id, consistent_read=True)
    except BulkImport.DoesNotExist:
        found = None
    if found is not None:
        if found.status == "processing" and clock.now() - found.updated_at > STALE:
            pending = [int(r.row) for r in ImportRow.query(import_id, filter_condition=ImportRow.state == "pending")]
            if pending:
                logger.warning("import stalled: its pending rows are sent again", extra={"import_id": import_id})
                _send_chunks(org_id, import_id, pending)
        return _out(found, replayed=True), True
    rows = _parse(body)
    zone = ZoneInfo(ports.zones.zone(org_id))
    cache: dict = {}
    valid, errors = [], []
    for n, row in enumerate(rows, start=1):
        data, problems = _validate(ports, org_id, zone, row, cache)
        if problems:
            errors.append({"row": n, "problems": problems})
        else:
            valid.append((n, data))
    now = clock.now()
    rejected = bool(errors) and body.all_or_nothing
    status = "rejected" if rejected else ("processing" if valid else "done")
    imp = BulkImport(org_id, import_id, filename=body.filename, format=body.format, status=status, total=len(rows),
                     valid=len(valid), invalid=len(errors), processed=0, created=0, failed=0, errors=errors,
                     created_by=created_by, created_at=now, updated_at=now)
    if not rejected and valid:
        with ImportRow.batch_write() as batch:
            for n, data in valid:
                batch.save(ImportRow(import_id, _row_key(n), org_id=org_id, data=data, state="pending"))
    if not won(lambda: imp.save(condition=BulkImport.import_id.does_not_exist())):
        # the same file uploaded concurrently: answer the import that won
        return _out(BulkImport.get(org_id, import_id, consistent_read=True), replayed=True), True
    if not rejected and valid:
        _send_chunks(org_id, import_id, [n for n, _ in valid])
    count("publishing_imports_total", status=status)
    return _out(imp), False


def get(ports: SchedulingPorts, org_id: str, import_id: str) -> ImportOut:
    ports.advanced.require(org_id)
    try:
        return _out(BulkImport.get(org_id, import_id, consistent_read=True))
    except BulkImport.DoesNotExist:
        raise not_found("import", import_id=import_id) from None


# ---------------------------------------------------------------- the worker

def _fetch_media(ports: SchedulingPorts, org_id: str, platform: str, url: str, created_by: str | None) -> str:
    s = autopost_settings()
    policy = safe_http.FetchPolicy(allowed_private=tuple(s.feed_allowed_private), https_only=True,
                                   max_bytes=s.media_max_bytes, total_timeout_s=s.media_timeout_s, max_redirects=3,
                                   user_agent="LilyImport/1.0")
    try:
        answer = safe_http.fetch("GET", url, policy=policy)
    except ValueError:
        raise safe_http.Refused("not a URL") from None
    if answer.status_code != 200:
        raise safe_http.Refused(f"the medium answered {answer.status_code}")
    content_type = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in media_store.KIND_OF:
        raise safe_http.Refused(f"unsupported media type {content_type or 'none'}")
    limit = media_store.max_size(content_type, [platform])
    if len(answer.body) > limit:
        raise safe_http.Refused(f"the medium is larger than {platform} accepts ({limit} bytes)")
    name = urlsplit(url).path.rsplit("/", 1)[-1].rsplit(".", 1)[0][:100] or "imported"
    media_id, _ = media_store.store(ports.posts.storage_quota, org_id, answer.body, content_type, name=name,
                                    alt_text=None, created_by=created_by)
    return media_id


def _finish(imp_key: tuple[str, str], row: ImportRow, actions: list, created: bool) -> None:
    """The row's outcome and the import's counters, once (the row must still be pending)."""
    org_id, import_id = imp_key

    def tx(t) -> None:
        t.update(row, actions=actions, condition=ImportRow.state == "pending")
        t.update(BulkImport(org_id, import_id), actions=[
            BulkImport.processed.add(1), (BulkImport.created if created else BulkImport.failed).add(1),
            BulkImport.updated_at.set(clock.now())])

    if won_transaction(tx):
        imp = BulkImport.get(org_id, import_id, consistent_read=True)
        if int(imp.processed) >= int(imp.valid) and imp.status == "processing":
            imp.update(actions=[BulkImport.status.set("done")], condition=BulkImport.status == "processing")


def process(ports: SchedulingPorts, msg: ImportChunk) -> str:
    """Make the rows ``first``..``last`` of an import into posts."""
    try:
        imp = BulkImport.get(msg.org_id, msg.import_id, consistent_read=True)
    except BulkImport.DoesNotExist:
        return "gone"
    done = 0
    for row in ImportRow.query(msg.import_id, ImportRow.row.between(_row_key(msg.first), _row_key(msg.last)),
                               consistent_read=True):
        if row.state != "pending":
            continue
        data = dict(row.data)
        key = (msg.org_id, msg.import_id)
        conn = ports.posts.gateway.connection(msg.org_id, data["connection_id"])
        try:
            if conn is None:
                raise invalid("the connection was removed", connection_id=data["connection_id"])
            if data.get("media_urls") and data.get("media_ids") is None:
                data["media_ids"] = [_fetch_media(ports, msg.org_id, conn.platform, u, imp.created_by)
                                     for u in data["media_urls"]]
                row.update(actions=[ImportRow.data.set(data)])  # a redelivery reuses them
            made = create_once(
                ports, msg.org_id, [f"{msg.org_id}#imp#{msg.import_id}#{row.row}"],
                Content(text=data["text"], connection_ids=[data["connection_id"]],
                        media_ids=list(data.get("media_ids") or []), first_comment=data.get("first_comment")),
                source="import", at=clock.parse_iso(data["at"]) if data.get("at") else None,
                queue_id=data.get("queue_id"), timezone="UTC", created_by=imp.created_by)
        except safe_http.Refused as exc:
            _finish(key, row, [ImportRow.state.set("failed"), ImportRow.error.set(
                {"field": "media_urls", "code": "media_fetch", "message": exc.reason})], False)
            continue
        except LilyError as exc:
            _finish(key, row, [ImportRow.state.set("failed"), ImportRow.error.set(
                {"field": "row", "code": exc.code.value, "message": exc.message, "details": exc.details})], False)
            continue
        if made.error is not None:  # scheduling refused (the quota, a full queue): the post stays a draft
            _finish(key, row, [ImportRow.state.set("failed"), ImportRow.post_id.set(made.post_id),
                               ImportRow.outcome.set("draft"),
                               ImportRow.error.set({"field": "at", **made.error})], False)
            continue
        _finish(key, row, [ImportRow.state.set("created"), ImportRow.post_id.set(made.post_id),
                           ImportRow.outcome.set(made.outcome or "draft")], True)
        done += 1
    count("publishing_import_rows_created_total", done)
    return "processed"

"""The export job: every record of the subject, one JSON file per table, with a manifest, zipped to the media
bucket under ``exports/<user|org>/<id>/``, and a presigned link (``LILY_PRIVACY_EXPORT_LINK_TTL_S``, 24 h) e-mailed.

What is in it comes from the data registry alone: for each table whose rule exports (``Export``), the records its
``org`` (an organization's export) or ``user`` (a person's) locate finds, live ones only, without the attributes the
rule omits; the objects a table names (``DataRule.objects``: uploaded and generated media) are added under
``objects/``. A person's export holds what they are the subject of: their account, memberships, and the records they
made or that name them in each organization; nothing of the other members. The manifest lists every file with its
table, count and sha256, every table left out with the reason, and the schema version of the archive.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from datetime import timedelta
from typing import Any

from lily.core import clock
from lily.core.aws import client
from lily.core.db import LilyModel
from lily.core.observability import count, logger, observe
from lily.core.resources import bucket_name
from lily.core.retention import Export
from lily.privacy import records
from lily.privacy.models import PrivacyJob
from lily.privacy.ports import PrivacyPorts
from lily.privacy.schemas import SCHEMA_VERSION
from lily.privacy.settings import privacy_settings

ARCHIVE_PREFIX = "exports"


def archive_key(subject: str, job_id: str) -> str:
    kind, subject_id = subject.split("#", 1)
    return f"{ARCHIVE_PREFIX}/{kind}/{subject_id}/{job_id}.zip"


def _progress(job: PrivacyJob, **fields: Any) -> None:
    job.update(actions=[PrivacyJob.progress.set({**(job.progress or {}), **fields}),
                        PrivacyJob.updated_at.set(clock.now())])


def collect(model: type[LilyModel], kind: str, subject_id: str) -> list[dict[str, Any]] | str:
    """The subject's live records of one table as exported data, or why the table is left out."""
    rule = records.rule(model)
    locate = rule.org if kind == "org" else rule.user
    if not isinstance(rule.export, Export):
        return rule.export.reason
    if locate is None:
        return f"holds no records of {'an organization' if kind == 'org' else 'a person'}"
    omit = rule.export.omit_in_user_export if kind == "user" else ()
    rows, seen = [], set()
    for item in records.find(model, locate, subject_id):
        if not records.live(model, item):
            continue
        if rule.export.distinct:
            key = tuple(getattr(item, a, None) for a in rule.export.distinct)
            if key in seen:
                continue
            seen.add(key)
        rows.append(records.exported(model, item, rule.export, omit))
    return rows


def run(ports: PrivacyPorts, job: PrivacyJob) -> str:
    """Build, store and mail the archive of ``job``'s subject; returns the job's final state."""
    started = clock.now()
    kind, subject_id = job.subject.split("#", 1)
    job.update(actions=[PrivacyJob.state.set("running"), PrivacyJob.updated_at.set(started)])
    models = sorted(ports.models, key=lambda m: m.Meta.short_name)
    manifest: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "subject": {"kind": kind, "id": subject_id},
                                "job_id": job.job_id, "generated_at": clock.iso(started), "files": [],
                                "excluded": [], "objects": []}
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "export.zip")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for done, model in enumerate(models, start=1):
                table = model.Meta.short_name
                rows = collect(model, kind, subject_id)
                if isinstance(rows, str):
                    manifest["excluded"].append({"table": table, "reason": rows})
                else:
                    body = json.dumps(rows, indent=1, sort_keys=True, default=str).encode()
                    name = f"records/{table}.json"
                    archive.writestr(name, body)
                    manifest["files"].append({"file": name, "table": table, "records": len(rows),
                                              "sha256": hashlib.sha256(body).hexdigest()})
                    total += len(rows)
                    objects_attr = records.rule(model).objects
                    if objects_attr:
                        manifest["objects"] += _add_objects(archive, [r.get(objects_attr) for r in rows])
                _progress(job, step=f"table {table}", tables_done=done, tables_total=len(models), records=total)
            archive.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
        key = archive_key(job.subject, job.job_id)
        client("s3").upload_file(path, bucket_name("media"), key,
                                 ExtraArgs={"ContentType": "application/zip"})
    s = privacy_settings()
    url = client("s3").generate_presigned_url("get_object", Params={"Bucket": bucket_name("media"), "Key": key},
                                              ExpiresIn=s.export_link_ttl_s)
    if job.notify_email:
        ports.mail(job.notify_email, "Your Lily data export is ready",
                   f"Your export ({total} records) is ready. The link works for {s.export_link_ttl_s // 3600} hours:"
                   f"\n{url}\n", [url], "privacy_export")
    now = clock.now()
    job.update(actions=[PrivacyJob.state.set("done"), PrivacyJob.archive_key.set(key),
                        PrivacyJob.finished_at.set(now), PrivacyJob.updated_at.set(now),
                        PrivacyJob.progress.set({**(job.progress or {}), "step": "done", "records": total}),
                        PrivacyJob.expires_at.set(now + timedelta(days=s.export_keep_days))])
    observe("privacy_export_seconds", (now - started).total_seconds(), subject=kind)
    count("privacy_exports_total", subject=kind)
    logger.info("export done", extra={"job_id": job.job_id, "subject_kind": kind, "records": total})
    return "done"


def _add_objects(archive: zipfile.ZipFile, keys: list[Any]) -> list[dict[str, Any]]:
    added = []
    s3 = client("s3")
    for key in keys:
        if not key:
            continue
        try:
            body = s3.get_object(Bucket=bucket_name("media"), Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:  # an upload that never completed: listed, not added
            added.append({"key": key, "missing": True})
            continue
        archive.writestr(f"objects/{key}", body)
        added.append({"key": key, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()})
    return added

"""The privacy worker's one use case: run the job a message names (an export, or an erasure to run or resume)."""

from __future__ import annotations

from lily.core.observability import logger
from lily.privacy import erasure, export
from lily.privacy.messages import PrivacyMessage
from lily.privacy.models import PrivacyJob
from lily.privacy.ports import PrivacyPorts


def process(ports: PrivacyPorts, message: PrivacyMessage) -> str:
    try:
        job = PrivacyJob.get(message.subject, message.job_id, consistent_read=True)
    except PrivacyJob.DoesNotExist:
        logger.info("privacy job gone (finished, or its subject erased)", extra={"job_id": message.job_id})
        return "gone"
    if job.kind == "export":
        if job.state in ("done", "failed"):
            return job.state
        return export.run(ports, job)
    if job.state == "scheduled":  # a message that came before its time (never sent so; kept for safety)
        return "early"
    return erasure.run(ports, job)

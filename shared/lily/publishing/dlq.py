"""The publish DLQ: what is in it, and re-queuing its messages safely.

A message reaches the DLQ when its target failed after the last retry (the publisher parks it there)
or when it could not be processed ``max_receive_count`` times (poison, crash loop). Re-queuing a message:

- target ``failed``: conditionally back to ``queued`` under a new dispatch id with a fresh attempt budget
  and ``reconcile`` set (the platform is asked before posting again, so a post that did go out is never
  repeated); a new message is sent; the DLQ message is deleted;
- target ``published``, ``draft`` (cancelled), gone, or already queued/publishing: nothing to do, deleted;
- a body that is not a publish message: left in the DLQ for a human (``kept``).
"""

from __future__ import annotations

import json
from datetime import timedelta

from pydantic import ValidationError

from lily.core import clock, ids, queues
from lily.core.aws import client
from lily.core.db import won
from lily.core.observability import count, logger
from lily.publishing import messages
from lily.publishing.messages import PublishMessage
from lily.publishing.models import Target
from lily.publishing.schemas import RequeueOut
from lily.publishing.settings import publishing_settings
from lily.publishing.states import refresh_post_status, shard_of, watch_sk


def dlq_url() -> str:
    return queues.dlq_url(publishing_settings().queue)


def depth() -> int:
    attrs = client("sqs").get_queue_attributes(QueueUrl=dlq_url(), AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"].get("ApproximateNumberOfMessages", 0))


def _requeue_target(msg: PublishMessage) -> tuple[bool, str]:
    try:
        t = Target.get(msg.post_id, msg.target_id, consistent_read=True)
    except Target.DoesNotExist:
        return False, "target gone"
    if t.state != "failed":
        return False, f"target is {t.state}"
    s = publishing_settings()
    now = clock.now()
    dispatch_id = ids.new_id("dsp")
    if not won(lambda: t.update(actions=[
            Target.state.set("queued"), Target.dispatch_id.set(dispatch_id), Target.attempts.set(0),
            Target.exhausted.set(False), Target.reconcile.set(True), Target.failed_at.remove(), Target.watchdogs.set(0),
            Target.next_attempt_at.remove(), Target.queued_at.set(now), Target.due_shard.set(shard_of(t.target_id)),
            Target.due_sk.set(watch_sk(now + timedelta(seconds=s.watchdog_grace_s), t.target_id)),
            Target.updated_at.set(now)], condition=(Target.state == "failed") & (Target.dispatch_id == t.dispatch_id))):
        return False, "target changed meanwhile"
    messages.send(PublishMessage(org_id=t.org_id, post_id=t.post_id, target_id=t.target_id,
                                 dispatch_id=dispatch_id, reason="requeue"))
    refresh_post_status(t.org_id, t.post_id)
    return True, "requeued"


def requeue(max_messages: int = 100) -> RequeueOut:
    sqs = client("sqs")
    url = dlq_url()
    examined, kept = 0, 0
    requeued: list[str] = []
    dropped: list[dict] = []
    while examined < max_messages:
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, max_messages - examined),
                                   WaitTimeSeconds=0, VisibilityTimeout=60)
        batch = resp.get("Messages", [])
        if not batch:
            break
        for m in batch:
            examined += 1
            try:
                msg = PublishMessage.model_validate(json.loads(m["Body"]))
            except (ValueError, ValidationError):
                kept += 1
                continue
            done, why = _requeue_target(msg)
            if done:
                requeued.append(msg.target_id)
            else:
                dropped.append({"target_id": msg.target_id, "reason": why})
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    count("publish_dlq_requeued_total", len(requeued))
    logger.info("DLQ re-queue", extra={"examined": examined, "requeued": len(requeued), "dropped": len(dropped),
                                       "kept": kept})
    return RequeueOut(examined=examined, requeued=requeued, dropped=dropped, kept=kept)

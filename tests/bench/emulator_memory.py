"""Bench: what the emulator holds for N published targets (a measurement, not a test).

    .venv/bin/python tests/bench/emulator_memory.py [N]      # default 10000

The publishing bench at N=10,000 takes half an hour on this machine; the emulator's memory there is mostly what
it stores per target. This runs the publishing harness for 20 posts (real items, written by Lily's own code paths,
faults on), then stores copies of them under new keys up to N targets (the post, the published target and its
attempt records, at the run's own attempts per target), one webhook event per target on the events queue (the
bench runs no webhook fan-out, so they stay), and the publish queue's churn (1.6 messages per target sent,
received and deleted: moto keeps every deleted receipt handle). It prints the emulator process's resident
memory after each stage. It measures the stored state only: the run's own peak (a backlog of delayed messages,
answers in flight) comes on top.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SAMPLE = 20
PUBLISH_MESSAGES_PER_TARGET = 1.6  # dispatch, deferrals, retries and duplicates (N=1,000: ~1,600 received)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _scan(ddb, table: str) -> list[dict]:
    items, kw = [], {}
    while True:
        page = ddb.scan(TableName=table, **kw)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _renamed(item: dict, mapping: dict[str, str]) -> dict:
    text = json.dumps(item)
    for old, new in mapping.items():
        text = text.replace(old, new)
    return json.loads(text)


class _Writer:
    """BatchWriteItem, 25 puts per call."""

    def __init__(self, ddb) -> None:
        self.ddb, self.pending = ddb, []

    def put(self, table: str, item: dict) -> None:
        self.pending.append((table, item))
        if len(self.pending) == 25:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        request: dict[str, list] = {}
        for table, item in self.pending:
            request.setdefault(table, []).append({"PutRequest": {"Item": item}})
        answer = self.ddb.batch_write_item(RequestItems=request)
        while answer.get("UnprocessedItems"):
            answer = self.ddb.batch_write_item(RequestItems=answer["UnprocessedItems"])
        self.pending = []


def fill(n: int, prefix: str, emulator_pid: int) -> None:
    """Copies of the sample's published targets (with their posts and attempts) up to ``n``, their events, the
    publish queue's churn; the emulator's RSS after each."""
    from lily.core.aws import client

    ddb, sqs = client("dynamodb"), client("sqs")
    print(f"emulator RSS after the {SAMPLE}-post run: {_rss_mb(emulator_pid):.0f} MB")
    posts = {p["post_id"]["S"]: p for p in _scan(ddb, prefix + "posts")}
    targets = [t for t in _scan(ddb, prefix + "post_targets") if t["state"]["S"] == "published"]
    attempts = _scan(ddb, prefix + "publish_attempts")
    per_target = len(attempts) / SAMPLE
    by_target: dict[str, list[dict]] = {}
    for a in attempts:
        by_target.setdefault(a["target_id"]["S"], []).append(a)
    rng, writer, t0 = random.Random(1), _Writer(ddb), time.monotonic()
    for k in range(n - SAMPLE):
        t = targets[k % len(targets)]
        post_id, target_id = t["post_id"]["S"], t["target_id"]["S"]
        mapping = {post_id: f"{post_id[:-8]}{k:08d}", target_id: f"{target_id[:-8]}{k:08d}"}
        writer.put(prefix + "posts", _renamed(posts[post_id], mapping))
        writer.put(prefix + "post_targets", _renamed(t, mapping))
        own = by_target[target_id]
        for j in range(int(per_target) + (rng.random() < per_target % 1)):
            a = _renamed(own[j % len(own)], mapping)
            a["sk"] = {"S": f"{a['sk']['S'][:-3]}{j:03d}"}
            writer.put(prefix + "publish_attempts", a)
    writer.flush()
    print(f"+ {n - SAMPLE} targets' items ({per_target:.2f} attempts per target) in {time.monotonic() - t0:.0f} s: "
          f"{_rss_mb(emulator_pid):.0f} MB")
    events = sqs.get_queue_url(QueueName=prefix + "webhook_events")["QueueUrl"]
    body = sqs.receive_message(QueueUrl=events, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"][0]["Body"]
    for _ in range(0, n - SAMPLE, 10):
        sqs.send_message_batch(QueueUrl=events, Entries=[{"Id": str(j), "MessageBody": body} for j in range(10)])
    print(f"+ one post.published event per target, waiting on the events queue: {_rss_mb(emulator_pid):.0f} MB")
    publish = sqs.get_queue_url(QueueName=prefix + "publish")["QueueUrl"]
    message = json.dumps({"v": 1, "org_id": "org_" + "x" * 26, "post_id": "post_" + "y" * 26,
                          "target_id": "tgt_" + "z" * 26, "dispatch_id": "dsp_" + "w" * 26, "reason": "dispatch"})
    for _ in range(0, int((n - SAMPLE) * PUBLISH_MESSAGES_PER_TARGET), 10):
        sqs.send_message_batch(QueueUrl=publish, Entries=[{"Id": str(j), "MessageBody": message} for j in range(10)])
        got = sqs.receive_message(QueueUrl=publish, MaxNumberOfMessages=10).get("Messages", [])
        if got:
            sqs.delete_message_batch(QueueUrl=publish, Entries=[
                {"Id": str(j), "ReceiptHandle": m["ReceiptHandle"]} for j, m in enumerate(got)])
    print(f"+ the publish queue's churn ({PUBLISH_MESSAGES_PER_TARGET} messages per target): "
          f"{_rss_mb(emulator_pid):.0f} MB = the emulator holding N={n}")


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    from tests.bench.deployment import emulator_process, enterprise_org, local_deployment

    local_deployment("bench")
    emulator = emulator_process()
    from tests.bench.publishing_reliability import publisher_workers
    from tests.reliability import harness

    try:
        with enterprise_org() as d:
            report = harness.run(SAMPLE, d.http, d.suite, d.sandboxes, d.headers, d.org_id, timeout_s=120,
                                 publishers=publisher_workers())
        print(f"sample run: {report.published} published, {report.failed} failed, {report.pending} pending")
        fill(n, "lily-bench-", emulator.proc.pid)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

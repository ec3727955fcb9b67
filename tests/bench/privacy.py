"""Bench: export and erasure of an organization with N posts (a measurement, not a test).

    .venv/bin/python tests/bench/privacy.py [N]        # default 10000

Starts moto in a process of its own (as local mode does), provisions a deployment, seeds one organization with N
posts (each with one target and one publish attempt, the shape a published post has) plus a second organization of
100 posts, then times, through the real use cases (:func:`lily.privacy.export.run`,
:func:`lily.privacy.erasure.run` with the deployment's ports): the export of the organization (archive built,
stored in S3, link mailed to the outbox) and its erasure (every table, prefix and the vector index). Printed beside a
baseline measured in the same run: one bare scan of every table (the least any export reads) and a bare batch
delete of the same items (the least any erasure writes).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _seed(org_id: str, n: int) -> None:
    from lily.core import ids
    from lily.publishing.models import Attempt, Post, Target

    now = datetime.now(UTC)
    with Post.batch_write() as posts, Target.batch_write() as targets, Attempt.batch_write() as attempts:
        for i in range(n):
            post_id, target_id = ids.new_id("post"), ids.new_id("tgt")
            posts.save(Post(org_id, post_id, text=f"post {i} of the bench", status="published", status_rank=4,
                            platforms={"x"}, created_by="usr_bench", created_at=now, updated_at=now))
            targets.save(Target(post_id, target_id, org_id=org_id, connection_id="conn_bench", platform="x",
                                state="published", updated_at=now, platform_post_id=str(10**17 + i)))
            attempts.save(Attempt(target_id, f"{now.isoformat()}#att_{i}", post_id=post_id, org_id=org_id,
                                  platform="x", connection_id="conn_bench", attempt_id=f"att_{i}", number=1,
                                  outcome="published", at=now, expires_at=now + timedelta(days=30)))


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    from tests.bench.deployment import emulator_process, local_deployment

    local_deployment("pbench")
    emulator = emulator_process()
    try:
        from lily import composition
        from lily.core import clock, ids
        from lily.local.provision import provision
        from lily.privacy import erasure, export
        from lily.privacy.models import PrivacyJob
        from lily.publishing.models import Attempt, Post, Target

        provision()
        org, other = ids.new_id("org"), ids.new_id("org")
        started = time.perf_counter()
        _seed(org, n)
        _seed(other, 100)
        print(f"seeded {n} posts (+ targets and attempts) and 100 of another org in "
              f"{time.perf_counter() - started:.1f} s")
        ports = composition.privacy_ports()

        # baseline: one bare scan of every table of the deployment
        started = time.perf_counter()
        scanned = sum(sum(1 for _ in model.scan()) for model in ports.models)
        scan_s = time.perf_counter() - started

        now = clock.now()
        job = PrivacyJob(f"org#{org}", ids.new_id("pexp"), kind="export", state="queued", requested_by="usr_bench",
                         notify_email="owner@example.com", progress={}, created_at=now, updated_at=now)
        job.save()
        started = time.perf_counter()
        export.run(ports, job)
        export_s = time.perf_counter() - started
        records = PrivacyJob.get(job.subject, job.job_id).progress["records"]

        # baseline: a bare batch delete of the org's posts, targets and attempts (on a copy: seeded again)
        copy = ids.new_id("org")
        _seed(copy, n)
        started = time.perf_counter()
        for model in (Post, Target, Attempt):
            items = [i for i in model.scan(model.org_id == copy)]
            with model.batch_write() as batch:
                for item in items:
                    batch.delete(item)
        delete_s = time.perf_counter() - started

        job = PrivacyJob(f"org#{org}", ids.new_id("pera"), kind="erasure", state="queued", requested_by="usr_bench",
                         progress={}, created_at=now, updated_at=now)
        job.save()
        started = time.perf_counter()
        state = erasure.run(ports, job)
        erase_s = time.perf_counter() - started
        left = sum(1 for model in (Post, Target, Attempt) for _ in model.scan(model.org_id == org))
        kept = sum(1 for _ in Post.query(other))

        print(f"export of an org with {n} posts: {export_s:.1f} s ({records} records in the archive); "
              f"baseline, one bare scan of all {len(ports.models)} tables ({scanned} items): {scan_s:.1f} s")
        print(f"erasure of that org: {erase_s:.1f} s ({state}; {left} of its items left, the other org's "
              f"{kept} posts kept); baseline, a bare scan + batch delete of {n} posts, targets and attempts: "
              f"{delete_s:.1f} s")
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

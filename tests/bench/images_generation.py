"""Image generation time in local mode: job accepted → image stored, beside the sandbox's own time.

Starts local mode as ``make run`` does (a subprocess: moto, every sandbox, the queue pollers), signs up, and
submits N draft jobs (the free plan's ``grok2_basic``; N ≤ 5, the free plan's month). For each job it prints the
server-side ``duration_s`` (job accepted → image stored in S3 and recorded), the OpenAI sandbox's own time for the
delivered attempt (``openai-processing-ms``, i.e. drawing the picture), the attempts and the score, and the
client's wall time from the POST to seeing ``done``. A measurement, not a test.

    .venv/bin/python tests/bench/images_generation.py -n 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.e2e.conftest import LocalMode  # noqa: E402
from tests.support.identity import create_org, register_user  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3)
    args = parser.parse_args()
    lm = LocalMode()
    try:
        lm.wait_ready(120)
        client = lm.client
        client.timeout = 60
        user = register_user(client)
        org = create_org(client, user["headers"])
        rows = []
        for i in range(min(args.n, 5)):
            started = time.perf_counter()
            r = client.post(f"/api/orgs/{org}/images", headers=user["headers"],
                            json={"prompt": f"A lighthouse at dawn over a calm harbor, take {i}", "quality": "draft",
                                  "brand_keywords": ["harbor"], "primary_color": "#ff6600"})
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            while True:
                job = client.get(f"/api/orgs/{org}/images/jobs/{job_id}", headers=user["headers"]).json()
                if job["status"] in ("done", "failed", "blocked"):
                    break
                time.sleep(0.05)
            rows.append((job, (time.perf_counter() - started) * 1000))
        print(f"{'job':<34} {'status':<7} {'model':<12} {'att':>3} {'score':>6} {'accepted→stored ms':>19} "
              f"{'sandbox ms':>10} {'client wall ms':>14}")
        for job, wall in rows:
            print(f"{job['job_id']:<34} {job['status']:<7} {job['model']:<12} {job['progress']['attempt']:>3} "
                  f"{job['score'] or 0:>6.3f} {job['duration_s'] * 1000:>19.0f} {job['provider_ms'] or 0:>10.0f} "
                  f"{wall:>14.0f}")
        done = [j for j, _ in rows if j["status"] == "done"]
        if done:
            print(f"median accepted→stored {statistics.median(j['duration_s'] * 1000 for j in done):.0f} ms, "
                  f"median sandbox {statistics.median(j['provider_ms'] or 0 for j in done):.0f} ms "
                  f"over {len(done)} jobs")
        return 0
    finally:
        lm.stop()


if __name__ == "__main__":
    raise SystemExit(main())

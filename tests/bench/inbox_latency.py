"""Inbox latency in local mode: a comment made at the sandbox → the item listed in ``GET .../inbox``.

Starts local mode as ``make run`` does (a subprocess: moto, every sandbox, the queue pollers), signs up, connects
an X account through the sandbox's OAuth, then N times makes a comment (a reply to the account) happen at the X
sandbox (``POST /_sandbox/engagement``: the sandbox signs and delivers the webhook to Lily), and polls the inbox
every 20 ms until the item is listed. Prints, per comment and as medians: Lily's acknowledgement of the signed
delivery as the sandbox measured it (``elapsed_ms``, the baseline: the part inside the platform's deadline) and
the end-to-end time until the item is listed (webhook → ``social_inbound`` queue → worker → inbox item → HTTP
read). A measurement, not a test.

    .venv/bin/python tests/bench/inbox_latency.py -n 15
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.e2e.conftest import LocalMode  # noqa: E402
from tests.support.identity import create_org, register_user  # noqa: E402


def _connect_x(client: httpx.Client, headers: dict, org_id: str) -> tuple[dict, str]:
    r = client.post(f"/api/orgs/{org_id}/social/connect/x", headers=headers)
    authorize_url = r.json()["authorize_url"]
    sandbox = f"{urlparse(authorize_url).scheme}://{urlparse(authorize_url).netloc}"
    approved = httpx.get(f"{authorize_url}&{urlencode({'auto': '1', 'sandbox_user': 'alice'})}", timeout=5)
    loc = urlparse(approved.headers["location"])
    body = client.get(f"{loc.path}?{loc.query}").json()
    return (body.get("connections") or [body.get("connection")])[0], sandbox


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=15)
    args = parser.parse_args()
    lm = LocalMode()
    try:
        lm.wait_ready(120)
        client = lm.client
        user = register_user(client)
        org = create_org(client, user["headers"])
        conn, sandbox = _connect_x(client, user["headers"], org)
        rows = []
        for i in range(args.n):
            seen = len(client.get(f"/api/orgs/{org}/inbox", headers=user["headers"]).json()["items"])
            started = time.perf_counter()
            made = httpx.post(f"{sandbox}/_sandbox/engagement", timeout=10, json={
                "kind": "reply", "account_id": conn["account_id"], "text": f"Is the shop open today? ({i})"}).json()
            assert made["status"] == 200, made
            while len(client.get(f"/api/orgs/{org}/inbox", headers=user["headers"],
                                 params={"limit": 100}).json()["items"]) <= seen:
                if time.perf_counter() - started > 30:
                    raise SystemExit(f"item {i} not listed after 30 s:\n{lm.output()}")
                time.sleep(0.02)
            rows.append((made["elapsed_ms"], (time.perf_counter() - started) * 1000))
        print(f"{'#':>3} {'webhook ack ms (baseline)':>26} {'comment → inbox item ms':>24}")
        for i, (ack, total) in enumerate(rows):
            print(f"{i:>3} {ack:>26.0f} {total:>24.0f}")
        acks, totals = [a for a, _ in rows], [t for _, t in rows]
        print(f"median webhook ack {statistics.median(acks):.0f} ms (worst {max(acks):.0f}); median comment → "
              f"inbox item {statistics.median(totals):.0f} ms (worst {max(totals):.0f}) over {len(rows)} comments")
        return 0
    finally:
        lm.stop()


if __name__ == "__main__":
    raise SystemExit(main())

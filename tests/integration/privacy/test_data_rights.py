"""Data rights over HTTP in local mode: export of a person's and an organization's data (async job, JSON archive in
S3, link e-mailed) and erasure (grace period, cascade over every table, bucket prefix and vector index, grants revoked
at the X sandbox, the subscription cancelled in the Stripe sandbox, resumable), all driven by the data registry.

Every table gets a seeded record of each subject from its data rule alone (``seed.py``); the real flows add an X
connection (a live grant at the sandbox), a Stripe subscription, media in S3, a vector in the index and audit
entries from the real routes.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from lily import composition
from lily.core import clock
from lily.core.aws import client
from lily.core.resources import bucket_name
from lily.core.retention import Anonymise, Erase, Export, rule_of
from lily.identity.email import outbox
from lily.privacy import erasure, messages
from lily.privacy.messages import PrivacyMessage
from lily.privacy.models import PrivacyJob
from lily.publishing.models import Media
from lily.research.vectors.factory import vector_index
from lily.research.vectors.ports import VectorRecord
from tests.helpers import drain
from tests.integration.privacy.conftest import subscribe
from tests.integration.privacy.seed import seed_subject
from tests.integration.social.conftest import connect
from tests.support.identity import add_member, auth_headers, create_org, login, register_user

MODELS = composition.data_models()


def _fire(local_suite, name: str):
    return next(c for c in local_suite.clocks if c.spec.name == name).fire()


def _vectors():
    return vector_index(composition.memory_ports().embedder)


@pytest.fixture
def world(http, local_suite, sandboxes):
    """Org 1 (owner A, editor B) with an X connection, a paid subscription, media, a vector and seeded records of
    each subject in every table; org 2 (owner C) the same, untouched by anything A or org 1 does."""
    a = register_user(http)
    org1 = create_org(http, a["headers"], "Harbor Bakery")
    sub = subscribe(sandboxes["stripe"], org1)
    b = add_member(http, a["headers"], org1, "editor")
    c = register_user(http)
    org2 = create_org(http, c["headers"], "Other Co")
    subscribe(sandboxes["stripe"], org2)
    connection = connect(http, a["headers"], org1, "x", user="alice")
    s3 = client("s3")
    for org, who in ((org1, a), (org2, c)):
        key = f"orgs/{org}/media/med_seed.png"
        s3.put_object(Bucket=bucket_name("media"), Key=key, Body=b"\x89PNG seed of " + org.encode())
        Media(org, "med_seed", key=key, content_type="image/png", size=20, created_by=who["user_id"],
              created_at=clock.now()).save()
    dim = _vectors().info.dimension
    _vectors().upsert([VectorRecord(org1, "item_1", [1.0] + [0.0] * (dim - 1)),
                       VectorRecord(org2, "item_2", [0.0, 1.0] + [0.0] * (dim - 2))])
    seeded = {}
    for tag, kind, subject, org in (("o1", "org", org1, org1), ("o2", "org", org2, org2),
                                    ("a", "user", a["user_id"], org1), ("b", "user", b["user_id"], org1),
                                    ("c", "user", c["user_id"], org2)):
        seeded[tag] = seed_subject(MODELS, kind, subject, org, tag)
    return {"a": a, "b": b, "c": c, "org1": org1, "org2": org2, "sub": sub, "connection": connection,
            "seeded": seeded}


def _archive(http, local_suite, person: dict, path: str) -> tuple[dict, zipfile.ZipFile]:
    r = http.post(path, headers=person["headers"])
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "queued" and job["kind"] == "export"
    drain(local_suite)
    done = http.get(f"{path}/{job['job_id']}", headers=person["headers"]).json()
    assert done["state"] == "done" and done["emailed"] and done["progress"]["records"] > 0, done
    mail = next(m for m in outbox(person["email"]) if m.subject == "Your Lily data export is ready")
    link = mail.links[0]
    query = parse_qs(urlparse(link).query)  # presigned for 24 h (SigV4's X-Amz-Expires, or SigV2's Expires)
    lifetime = int(query["X-Amz-Expires"][0]) if "X-Amz-Expires" in query else \
        int(query["Expires"][0]) - int(time.time())
    assert 86400 - 120 <= lifetime <= 86400
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(link, timeout=10).content))
    return json.loads(archive.read("manifest.json")), archive


def _everything(archive: zipfile.ZipFile) -> str:
    return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def test_a_persons_export_holds_each_of_their_records_and_nothing_of_anyone_else(http, local_suite, world):
    a, b, c = world["a"], world["b"], world["c"]
    manifest, archive = _archive(http, local_suite, a, "/api/me/export")
    assert manifest["schema_version"] == 1 and manifest["subject"] == {"kind": "user", "id": a["user_id"]}
    files = {f["table"]: f for f in manifest["files"]}
    # Then every table whose rule exports a person's records holds theirs (the seeded one at least)
    for model in MODELS:
        rule = rule_of(model)
        table = model.Meta.short_name
        if rule.user is not None and isinstance(rule.export, Export):
            assert files[table]["records"] >= (1 if table in world["seeded"]["a"] else 0), table
            rows = json.loads(archive.read(files[table]["file"]))
            for omitted in rule.export.omit:
                assert all(omitted not in row for row in rows), (table, omitted)
        else:
            assert table not in files and table in {e["table"] for e in manifest["excluded"]}, table
    # posts, connections, drafts, images, research and audit entries of theirs are each there
    for table in ("posts", "social_connections", "content_drafts", "image_jobs", "research_configs", "audit_log",
                  "publishing_media", "memberships", "users"):
        assert files[table]["records"] >= 1, table
    connections = json.loads(archive.read(files["social_connections"]["file"]))
    made = {c["connection_id"] for c in world["connection"]["connections"]}
    assert made and made <= {row["connection_id"] for row in connections}
    assert all("access_envelope" not in row for row in connections)
    audit_actions = {row["action"] for row in json.loads(archive.read(files["audit_log"]["file"]))}
    assert {"org.create", "org.invite"} <= audit_actions
    assert f"objects/orgs/{world['org1']}/media/med_seed.png" in archive.namelist()
    # And nothing of the other member, nor of the other organization
    text = _everything(archive)
    for foreign in (b["user_id"], b["email"], c["user_id"], c["email"], world["org2"]):
        assert foreign not in text, foreign


def test_an_organizations_export_is_its_owners_and_holds_nothing_of_another_org(http, local_suite, world):
    org1, org2 = world["org1"], world["org2"]
    # Only the owner may ask
    r = http.post(f"/api/orgs/{org1}/export", headers=world["b"]["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003"
    manifest, archive = _archive(http, local_suite, world["a"], f"/api/orgs/{org1}/export")
    files = {f["table"]: f for f in manifest["files"]}
    for model in MODELS:
        rule = rule_of(model)
        if rule.org is not None and isinstance(rule.export, Export):
            assert files[model.Meta.short_name]["records"] >= 1, model.Meta.short_name
    posts = json.loads(archive.read(files["posts"]["file"]))
    assert {p["org_id"] for p in posts} == {org1}  # the members' posts, A's and B's, and only org 1's
    assert any(f["key"] == f"orgs/{org1}/media/med_seed.png" for f in manifest["objects"])
    text = _everything(archive)
    for foreign in (org2, world["c"]["user_id"], world["c"]["email"]):
        assert foreign not in text, foreign


def _leftovers(subject: str) -> dict[str, int]:
    """Items of every table holding ``subject`` anywhere (a raw scan of the emulator), by table."""
    found = {}
    for model in MODELS:
        n = sum(1 for item in model.scan() if subject in json.dumps(item.to_simple_dict(force=True), default=str))
        if n:
            found[model.Meta.short_name] = n
    return found


def _expiring(found: dict[str, int]) -> dict[str, int]:
    """What the rules leave to their TTL (revocation marks, rate-limit counters) set aside."""
    keep = {m.Meta.short_name for m in MODELS if rule_of(m).erase == Erase.EXPIRES}
    return {t: n for t, n in found.items() if t not in keep}


def _objects(prefix: str) -> list[str]:
    got = client("s3").list_objects_v2(Bucket=bucket_name("media"), Prefix=prefix)
    return [o["Key"] for o in got.get("Contents", [])]


def test_erasing_an_organization_after_its_grace_period_leaves_nothing(http, local_suite, world, sandboxes):
    org1, org2, a = world["org1"], world["org2"], world["a"]
    assert any(g.live() for g in sandboxes["x"].state.access.values())
    r = http.post(f"/api/orgs/{org1}/erasure", headers=a["headers"])
    assert r.status_code == 202 and r.json()["state"] == "scheduled"
    # Within the grace period nothing happens, even when the schedule fires
    clock.advance(6 * 86400)
    assert _fire(local_suite, "privacy_schedule")["queued"] == 0
    assert _leftovers(org1)
    # After it, the erasure runs
    clock.advance(86400 + 1)
    assert _fire(local_suite, "privacy_schedule")["queued"] == 1
    drain(local_suite)
    # Then no table holds the organization, its objects and vectors are gone, its grants were revoked at X and its
    # subscription cancelled at Stripe
    assert _expiring(_leftovers(org1)) == {}
    assert _objects(f"orgs/{org1}/") == [] and _objects(f"exports/org/{org1}/") == []
    assert _vectors().count(org1) == 0
    assert not any(g.live() for g in sandboxes["x"].state.access.values())
    assert sandboxes["stripe"].state.subscription(world["sub"])["status"] == "canceled"
    # And the other organization is whole
    assert _vectors().count(org2) == 1 and _objects(f"orgs/{org2}/")
    assert rule_of(Media) and Media.get(org2, "med_seed")
    # And the audit log says it happened, without personal data
    from lily.identity.models import AuditEvent

    erased = [e for e in AuditEvent.scan() if e.action == "privacy.org_erased"]
    assert len(erased) >= 1 and erased[0].actor_id is None and erased[0].org_id is None and erased[0].target is None
    assert org1 not in json.dumps(erased[0].to_simple_dict(), default=str)


def test_an_erasure_is_cancellable_during_its_grace_period(http, local_suite, world):
    org1, a = world["org1"], world["a"]
    http.post(f"/api/orgs/{org1}/erasure", headers=a["headers"])
    again = http.post(f"/api/orgs/{org1}/erasure", headers=a["headers"])
    assert again.status_code == 202  # asking twice keeps the one erasure
    r = http.delete(f"/api/orgs/{org1}/erasure", headers=a["headers"])
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    clock.advance(8 * 86400)
    assert _fire(local_suite, "privacy_schedule")["queued"] == 0
    headers = auth_headers(login(http, a["email"], a["password"])["access_token"])
    assert http.get(f"/api/orgs/{org1}/erasure", headers=headers).status_code == 404
    assert _vectors().count(org1) == 1


def test_an_erasure_that_dies_half_way_resumes_where_it_stopped(http, local_suite, world, sandboxes, monkeypatch):
    org1, a = world["org1"], world["a"]
    http.post(f"/api/orgs/{org1}/erasure", headers=a["headers"])
    clock.advance(7 * 86400 + 1)
    _fire(local_suite, "privacy_schedule")
    # Given the worker dies while deleting the posts (after the grants, the subscription and the objects went)
    real = erasure.erase_org_records

    def crash_on_posts(model, org_id):
        if model.Meta.short_name == "posts":
            raise RuntimeError("worker killed")
        return real(model, org_id)

    monkeypatch.setattr(erasure, "erase_org_records", crash_on_posts)
    drain(local_suite, max_rounds=1)
    job = next(iter(PrivacyJob.query(f"org#{org1}")))
    assert job.state == "running" and "revoke_tokens" in job.steps_done and "table:posts" not in job.steps_done
    assert _objects(f"orgs/{org1}/") == []
    # When SQS delivers the message again (after its visibility timeout) to a healthy worker
    monkeypatch.setattr(erasure, "erase_org_records", real)
    revocations_before = len([c for c in sandboxes["x"].state.calls if "revoke" in c[1]])
    messages.send(PrivacyMessage(subject=job.subject, job_id=job.job_id))
    drain(local_suite)
    # Then it finishes from the first step not done, without repeating the finished ones
    assert _expiring(_leftovers(org1)) == {}
    assert len([c for c in sandboxes["x"].state.calls if "revoke" in c[1]]) == revocations_before


def test_a_person_is_erased_and_their_organization_keeps_its_records_without_them(http, local_suite, world):
    a, b, org1 = world["a"], world["b"], world["org1"]
    # An owner whose organization has other members cannot erase themself
    r = http.post("/api/me/erasure", headers=a["headers"])
    assert r.status_code == 409 and r.json()["error"]["details"]["org_ids"] == [org1]
    # A member can; the grace period passes; the erasure runs
    r = http.post("/api/me/erasure", headers=b["headers"])
    assert r.status_code == 202 and r.json()["subject"] == "user"
    clock.advance(7 * 86400 + 1)
    _fire(local_suite, "privacy_schedule")
    drain(local_suite)
    # Then nothing names them any more (their revocation mark and rate-limit counters live out their TTL)
    assert _expiring(_leftovers(b["user_id"])) == {}
    assert _expiring(_leftovers(b["email"])) == {}
    # And the organization keeps their records, anonymised, and A's, untouched
    for model in MODELS:
        rule = rule_of(model)
        if isinstance(rule.on_user_erased, Anonymise) and rule.org is not None:
            table = model.Meta.short_name
            assert model.count() >= 1, table
    assert world["seeded"]["a"]["posts"].refresh() is None and world["seeded"]["a"]["posts"].created_by == \
        a["user_id"]
    # And the seat they held is free again; they can no longer sign in
    headers = auth_headers(login(http, a["email"], a["password"])["access_token"])  # a week later: sign in again
    seats = next(q for q in http.get(f"/api/orgs/{org1}/usage", headers=headers).json() if q["quota"] == "team_seats")
    assert seats["used"] == 1
    r = http.post("/api/auth/login", json={"email": b["email"], "password": b["password"]})
    assert r.status_code == 401


def test_the_retention_registry_lists_every_table(http, world):
    r = http.get("/api/data/retention", headers=world["a"]["headers"])
    assert r.status_code == 200
    tables = {t["table"]: t for t in r.json()["tables"]}
    assert set(tables) == {m.Meta.short_name for m in MODELS}
    assert tables["api_keys"]["ttl_attribute"] == "purge_at"
    assert tables["posts"]["on_user_erasure"] == "anonymise created_by"
    assert http.get("/api/data/retention").status_code == 401

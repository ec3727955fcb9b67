"""Enumeration resistance, brute-force lockout and rate limits that hold across app instances."""

import time

from fastapi.testclient import TestClient

from lily.core import clock
from lily.core.config import reset_settings
from lily.core.observability import counter_value
from lily.identity.models import Counter
from lily.local.runner import build_suite
from tests.support.identity import make_super_admin, new_email, outbox, register_user


def _strip(body: dict) -> dict:
    body = dict(body)
    if "error" in body:
        body["error"] = {k: v for k, v in body["error"].items() if k != "request_id"}
    return body


def test_known_and_unknown_emails_get_identical_answers(http):
    known = register_user(http)
    unknown = new_email("ghost")
    cases = [
        ("/api/auth/register", lambda e: {"email": e, "password": "Another-Passw0rd-1"}),
        ("/api/auth/password-reset/request", lambda e: {"email": e}),
        ("/api/auth/verify-email/resend", lambda e: {"email": e}),
        ("/api/auth/login", lambda e: {"email": e, "password": "Wrong-Passw0rd-99"}),
    ]
    for path, body in cases:
        a = http.post(path, json=body(known["email"]))
        b = http.post(path, json=body(unknown))
        assert (a.status_code, _strip(a.json())) == (b.status_code, _strip(b.json())), path
        assert set(a.headers) - {"content-length"} == set(b.headers) - {"content-length"}, path


def test_no_timing_gap_between_known_and_unknown_emails(http):
    known = register_user(http)
    http.post("/api/auth/login", json={"email": new_email("warm"), "password": "Wrong-Passw0rd-99"})  # warm-up
    samples = {"known": [], "unknown": []}
    for _ in range(4):
        for label, addr in (("known", known["email"]), ("unknown", new_email("ghost"))):
            start = time.perf_counter()
            http.post("/api/auth/login", json={"email": addr, "password": "Wrong-Passw0rd-99"})
            samples[label].append(time.perf_counter() - start)
    # Both paths run one argon2 verify; the difference is a DynamoDB read. Minimums resist machine noise.
    fastest_known, fastest_unknown = min(samples["known"]), min(samples["unknown"])
    assert abs(fastest_known - fastest_unknown) < 0.5 * max(fastest_known, fastest_unknown), samples


def test_lockout_holds_across_two_instances(http, lily_env):
    user = register_user(http)
    other = build_suite(lazy=True)  # a second, independent instance of every function, same tables
    with TestClient(other.gateway, base_url="https://testserver") as second:
        clients = [http, second]
        for i in range(5):
            r = clients[i % 2].post("/api/auth/login", json={"email": user["email"], "password": "Wrong-Passw0rd-1"})
            assert r.status_code == 401
        # Locked on both instances, even with the right password, with Retry-After
        for c in clients:
            r = c.post("/api/auth/login", json={"email": user["email"], "password": user["password"]})
            assert r.status_code == 429 and r.json()["error"]["code"] == "AUTH_004"
            assert 0 < int(r.headers["Retry-After"]) <= 30
        # The delay grows: after the lock passes, one more failure locks for longer
        clock.advance(31)
        assert second.post("/api/auth/login", json={"email": user["email"], "password": "Nope-Passw0rd-1"}
                           ).status_code == 401
        r = http.post("/api/auth/login", json={"email": user["email"], "password": user["password"]})
        assert r.status_code == 429 and 30 < int(r.headers["Retry-After"]) <= 60
        clock.advance(61)
        assert second.post("/api/auth/login", json={"email": user["email"], "password": user["password"]}
                           ).status_code == 200
    other.shutdown()


def test_an_attacker_cannot_lock_the_owner_out_from_another_ip(local_suite, monkeypatch):
    monkeypatch.setenv("LILY_LOGIN_SLOWDOWN_STEP_MS", "20")
    reset_settings()
    gateway, base = local_suite.gateway, "https://testserver"
    with TestClient(gateway, base_url=base, client=("203.0.113.9", 40000)) as attacker, \
            TestClient(gateway, base_url=base, client=("198.51.100.7", 40001)) as owner:
        user = register_user(owner)
        wrong = {"email": user["email"], "password": "Wrong-Passw0rd-1"}
        right = {"email": user["email"], "password": user["password"]}
        codes = [attacker.post("/api/auth/login", json=wrong).status_code for _ in range(7)]
        assert codes == [401] * 5 + [429] * 2
        assert attacker.post("/api/auth/login", json=right).status_code == 429  # locked for that IP
        # The owner, from another address, signs in (slowed down, not locked out)
        slowed = counter_value("login_slowed_total")
        batches, gets = [], []
        real_batch_get, real_get = Counter.batch_get, Counter.get
        monkeypatch.setattr(Counter, "batch_get",
                            lambda keys, **kw: batches.append(list(keys)) or real_batch_get(keys, **kw))
        monkeypatch.setattr(Counter, "get", lambda key, *a, **kw: gets.append(key) or real_get(key, *a, **kw))
        r = owner.post("/api/auth/login", json=right)
        assert r.status_code == 200, r.text
        assert counter_value("login_slowed_total") == slowed + 1
        # The pair, IP and account failure counters were read with one BatchGetItem, none on its own
        assert [len(keys) for keys in batches] == [3] and not [k for k in gets if k.startswith("fail#")]
        # ... and the attacker's address stays locked for that account
        assert attacker.post("/api/auth/login", json=right).status_code == 429


def test_unknown_accounts_lock_out_like_known_ones(http):
    ghost = new_email("ghost")
    codes = [http.post("/api/auth/login", json={"email": ghost, "password": "Wrong-Passw0rd-1"}).status_code
             for _ in range(6)]
    assert codes == [401] * 5 + [429]


def test_rate_limit_holds_across_two_instances(http, lily_env, monkeypatch):
    monkeypatch.setenv("LILY_RATE_LIMIT_IP", "6")
    reset_settings()
    clock.advance(-(clock.now_ts() % 60) + 60)  # start of a fresh window
    other = build_suite(lazy=True)
    with TestClient(other.gateway, base_url="https://testserver") as second:
        codes = [(http if i % 2 else second).get("/api/orgs").status_code for i in range(8)]
        assert codes[:6] == [401] * 6 and codes[6:] == [429, 429]
        r = http.get("/api/orgs")
        assert r.json()["error"]["code"] == "RATE_001" and int(r.headers["Retry-After"]) >= 1
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        # /health stays cheap and unlimited; another route class has its own budget
        assert http.get("/health").status_code == 200
        assert http.get("/api/admin/audit").status_code == 401
        clock.advance(60)
        assert second.get("/api/orgs").status_code == 401
    other.shutdown()


def test_per_user_rate_limit(http, monkeypatch):
    user = register_user(http)
    monkeypatch.setenv("LILY_RATE_LIMIT_USER", "3")
    reset_settings()
    clock.advance(-(clock.now_ts() % 60) + 60)
    codes = [http.get("/api/auth/me", headers=user["headers"]).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_resend_is_rate_limited_identically(http):
    known = register_user(http, verified=False)
    ghost = new_email("ghost")
    for addr in (known["email"], ghost):
        codes = [http.post("/api/auth/verify-email/resend", json={"email": addr}).status_code for _ in range(4)]
        assert codes == [202, 202, 202, 429]


def test_security_headers_on_every_answer(http):
    for r in (http.get("/health"), http.get("/api/auth/me"), http.post("/api/auth/login", json={})):
        assert "max-age" in r.headers["Strict-Transport-Security"]
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"


def test_audit_log_records_auth_events_for_moderators(http):
    admin = make_super_admin(http, register_user(http))  # platform admins are granted, never first come
    http.post("/api/auth/login", json={"email": admin["email"], "password": "Wrong-Passw0rd-1"})
    events = http.get("/api/admin/audit", headers=admin["headers"]).json()["items"]
    failure = next(e for e in events if e["action"] == "auth.login" and e["outcome"] == "failure")
    assert failure["actor_id"] == admin["user_id"] and failure["ip"] and failure["at"]


def test_duplicate_registration_emails_are_limited_per_address(http):
    known = register_user(http)
    body = {"email": known["email"], "password": "Another-Passw0rd-1"}
    assert [http.post("/api/auth/register", json=body).status_code for _ in range(6)] == [202] * 6
    warnings = [m for m in outbox(http, known["email"]) if m["subject"].startswith("Someone tried to register")]
    assert len(warnings) == 3  # LILY_RESEND_PER_HOUR


def test_rate_limits_fail_open_with_a_metric_but_login_register_and_reset_fail_closed(http):
    from lily.identity.models import Counter
    from lily.identity.ratelimit import FAIL_CLOSED_PATHS

    user = register_user(http)
    Counter.delete_table()  # the counter store is gone
    before = counter_value("rate_limit_store_errors_total")
    # Everything else stays up (per-IP and per-user limits both fail open), and each failure is counted
    assert http.get("/api/auth/me", headers=user["headers"]).status_code == 200
    assert counter_value("rate_limit_store_errors_total") == before + 2
    # The routes that guard passwords, second factors and mailboxes refuse with Lily's error body, as declared
    attempts = {
        "/api/auth/login": {"email": user["email"], "password": user["password"]},
        "/api/auth/login/2fa": {"challenge": "x", "code": "123456"},
        "/api/auth/register": {"email": new_email(), "password": "Another-Passw0rd-1"},
        "/api/auth/password-reset/request": {"email": user["email"]},
        "/api/auth/password-reset/confirm": {"token": "x", "new_password": "Another-Passw0rd-1"},
        "/api/auth/2fa/setup": {"password": user["password"]},
        "/api/auth/2fa/enable": {"code": "123456"},
        "/api/auth/2fa/disable": {"password": user["password"], "code": "123456"},
    }
    assert set(attempts) == FAIL_CLOSED_PATHS
    contract = http.get("/openapi.json").json()["paths"]
    for path, body in attempts.items():
        r = http.post(path, json=body, headers=user["headers"])
        assert r.status_code == 503 and r.json()["error"]["code"] == "SYSTEM_002", path
        assert int(r.headers["Retry-After"]) > 0
        assert "503" in contract[path]["post"]["responses"], path
    assert outbox(http, user["email"])[0]["subject"].startswith("Verify")  # no reset mail went out

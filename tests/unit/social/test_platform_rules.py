"""Pure logic: error classification, rate-limit signals, content rules, little text."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from lily.core.errors import LilyError
from lily.social import constraints
from lily.social.constraints import MediaInfo, x_weighted_length
from lily.social.platforms import linkedin, meta, x
from lily.social.platforms.base import ErrorKind, TokenSet


def resp(status: int, body: dict | None = None, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {}, headers=headers or {})


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (
            401,
            {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
            ErrorKind.AUTH_EXPIRED,
        ),
        (
            403,
            {
                "detail": "You are not allowed to create a Tweet with duplicate content.",
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
            },
            ErrorKind.VALIDATION,
        ),
        (
            403,
            {
                "detail": "You are not permitted to perform this action.",
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
            },
            ErrorKind.PERMISSION,
        ),
        (
            400,
            {"error": "invalid_request", "error_description": "Value passed for the token was invalid."},
            ErrorKind.AUTH_EXPIRED,
        ),
        (
            401,
            {"error": "unauthorized_client", "error_description": "Missing valid authorization header"},
            ErrorKind.PERMISSION,
        ),
        (503, {"title": "Service Unavailable"}, ErrorKind.TRANSIENT),
        (
            400,
            {"type": "https://api.twitter.com/2/problems/invalid-request", "title": "Invalid Request"},
            ErrorKind.VALIDATION,
        ),
    ],
)
def test_x_classification(status, body, kind):
    assert x.classify(resp(status, body)).kind == kind


def test_x_rate_limit_reads_headers_and_usage_cap():
    reset = int(time.time()) + 300
    err = x.classify(
        resp(
            429,
            {"title": "Too Many Requests", "status": 429},
            {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        )
    )
    assert err.kind == ErrorKind.RATE_LIMITED and err.reset_at == reset and err.code.value == "SOCIAL_003"
    cap = x.classify(
        resp(
            429,
            {
                "title": "UsageCapExceeded",
                "type": "https://api.twitter.com/2/problems/usage-capped",
                "detail": "Usage cap exceeded: Monthly product cap",
            },
        )
    )
    assert cap.kind == ErrorKind.RATE_LIMITED and cap.platform_code == "usage-capped"
    rl = x.read_rate_limit(
        resp(
            201,
            {},
            {
                "x-rate-limit-limit": "100",
                "x-rate-limit-remaining": "5",
                "x-rate-limit-reset": str(reset),
                "x-user-limit-24hour-remaining": "0",
                "x-user-limit-24hour-limit": "10000",
                "x-user-limit-24hour-reset": str(reset + 9),
            },
        )
    )
    assert rl.remaining == 0 and rl.reset_at == reset + 9


@pytest.mark.parametrize(
    ("code", "sub", "kind"),
    [
        (190, 463, ErrorKind.AUTH_EXPIRED),
        (10, None, ErrorKind.PERMISSION),
        (200, None, ErrorKind.PERMISSION),
        (4, None, ErrorKind.RATE_LIMITED),
        (17, None, ErrorKind.RATE_LIMITED),
        (32, None, ErrorKind.RATE_LIMITED),
        (613, None, ErrorKind.RATE_LIMITED),
        (1, None, ErrorKind.TRANSIENT),
        (2, None, ErrorKind.TRANSIENT),
        (506, None, ErrorKind.VALIDATION),
        (100, 2207004, ErrorKind.VALIDATION),
        (9007, 2207027, ErrorKind.TRANSIENT),
        (368, None, ErrorKind.PERMISSION),
        (12345, None, ErrorKind.UNKNOWN),
    ],
)
def test_meta_classification(code, sub, kind):
    err = {"message": "m", "type": "OAuthException", "code": code}
    if sub:
        err["error_subcode"] = sub
    assert meta.classify(resp(400, {"error": err})).kind == kind


def test_meta_usage_headers_give_the_reset():
    headers = {
        "X-App-Usage": json.dumps({"call_count": 100, "total_time": 20, "total_cputime": 10}),
        "X-Business-Use-Case-Usage": json.dumps(
            {"123": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
        ),
    }
    err = meta.classify(resp(400, {"error": {"code": 32, "message": "Page request limit reached"}}, headers))
    assert err.kind == ErrorKind.RATE_LIMITED and 6 * 60 < err.reset_at - time.time() <= 7 * 60
    assert meta.read_rate_limit(resp(200, {}, headers)).usage_pct == 100


def test_linkedin_classification_and_midnight_reset():
    assert (
        linkedin.classify(resp(401, {"message": "Invalid access token", "serviceErrorCode": 65600, "status": 401})).kind
        == ErrorKind.AUTH_EXPIRED
    )
    assert (
        linkedin.classify(resp(403, {"message": "Not enough permissions", "status": 403})).kind == ErrorKind.PERMISSION
    )
    assert linkedin.classify(resp(422, {"message": "/commentary :: bad", "status": 422})).kind == ErrorKind.VALIDATION
    throttled = linkedin.classify(resp(429, {"message": "throttle", "status": 429}))
    assert throttled.kind == ErrorKind.RATE_LIMITED and throttled.reset_at == linkedin.next_midnight_utc()
    assert linkedin.classify(resp(429, {}, {"Retry-After": "30"})).reset_at <= time.time() + 31


def test_little_text_escapes_reserved_characters_but_keeps_hashtags():
    assert (
        linkedin.escape_little_text("Hi (all) @team #launch 50% [x] a_b # c")
        == r"Hi \(all\) \@team #launch 50% \[x\] a\_b \# c"
    )


def test_x_weighted_length():
    assert x_weighted_length("a" * 280) == 280
    assert x_weighted_length("https://example.com/" + "p" * 200) == 23
    assert x_weighted_length("日本語") == 6
    assert x_weighted_length("👩‍👩‍👧‍👦") == 2
    assert x_weighted_length("café") == x_weighted_length("cafe\u0301")  # NFC


def test_validator_lists_every_violation():
    text = "x" * 270 + " https://lily.example.com/a-very-long-link-that-still-counts-23"
    assert constraints.text_length("x", text) == 294
    assert [v.rule for v in constraints.violations("x", text)] == ["text_length"]
    # A post that breaks five Instagram rules gets all five, in rule order
    text = "y" * 2100 + " " + " ".join(f"#t{i}" for i in range(31)) + " " + " ".join(f"@u{i}" for i in range(21))
    big = [MediaInfo(content_type="image/png", size_bytes=10)] + [
        MediaInfo(content_type="image/jpeg", size_bytes=9 * 1024 * 1024)] * 10
    found = constraints.violations("instagram", text, big)
    assert [v.rule for v in found] == [
        "text_length", "hashtags", "mentions", "media_count", "media_type"] + ["media_size"] * 10
    assert [v.rule for v in constraints.violations("instagram", "no media")] == ["media_required"]
    found = constraints.violations(
        "x",
        "hi",
        [
            MediaInfo(content_type="video/mp4", size_bytes=1),
            MediaInfo(content_type="image/jpeg", size_bytes=6 * 1024 * 1024),
        ],
    )
    assert [v.rule for v in found] == ["media_size", "media_mix"]
    with pytest.raises(LilyError) as err:
        constraints.validate("instagram", text, big)
    assert err.value.code.value == "CONTENT_001"
    assert err.value.details["violations"] == [v.model_dump() for v in constraints.violations("instagram", text, big)]
    constraints.validate("x", "fine")


def test_instagram_hashtag_limit_is_configurable(monkeypatch):
    from lily.core.config import reset_settings

    monkeypatch.setenv("LILY_SOCIAL_INSTAGRAM_HASHTAG_LIMIT", "5")
    reset_settings()
    try:
        found = constraints.violations(
            "instagram", "#a #b #c #d #e #f", [MediaInfo(content_type="image/jpeg", size_bytes=1)]
        )
        assert [v.rule for v in found] == ["hashtags"]
    finally:
        monkeypatch.delenv("LILY_SOCIAL_INSTAGRAM_HASHTAG_LIMIT")
        reset_settings()


def test_token_set_never_prints_its_secrets():
    t = TokenSet(access_token="secret-at", refresh_token="secret-rt", expires_at=1.0, scopes=["a"])
    assert "secret" not in repr(t) and "secret" not in str(t) and "secret" not in f"{t}"


def test_text_matching_ignores_link_shortening_and_whitespace():
    from lily.social.platforms.base import matches

    assert matches("Hi https://t.co/abc123  there", None, "Hi https://example.com/x?y=1 there")
    assert not matches("Hi https://t.co/abc123 where", None, "Hi https://example.com/x there")
    assert matches("anything lily-m1 here", "lily-m1", None)
    assert not matches(None, None, "x")

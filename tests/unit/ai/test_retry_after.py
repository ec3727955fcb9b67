"""Waiting what the provider says: retry-after(-ms), then the exhausted x-ratelimit reset."""

import pytest

from lily.ai.retry_after import parse_duration, retry_after_s


@pytest.mark.parametrize(("text", "seconds"), [
    ("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0.5s", 0.5), ("soon", None), ("", None),
    ("5", None),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def test_retry_after_ms_wins_then_retry_after():
    assert retry_after_s({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_s({"Retry-After": "7"}) == 7.0


def test_retry_after_as_an_http_date():
    from lily.core import clock

    with clock.freeze(1_700_000_000):
        assert retry_after_s({"retry-after": "Tue, 14 Nov 2023 22:13:40 GMT"}) == 20.0


def test_the_exhausted_limits_reset_is_used():
    headers = {"x-ratelimit-remaining-requests": "10", "x-ratelimit-reset-requests": "1s",
               "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s"}
    assert retry_after_s(headers) == 360.0
    assert retry_after_s({"x-ratelimit-reset-requests": "2s", "x-ratelimit-remaining-requests": "0"}) == 2.0
    assert retry_after_s({}) is None

"""Stripe-Signature verification: Stripe's scheme exactly (checked against the stripe SDK's own signer)."""

import pytest
import stripe

from lily.billing.webhooks import SignatureError, sign, verify
from lily.core import clock

SECRET = "whsec_test_secret"
BODY = b'{\n  "id": "evt_1",\n  "object": "event"\n}'


def test_a_header_made_by_the_stripe_sdk_verifies():
    now = int(clock.now_ts())
    header = stripe.WebhookSignature.generate_signature_header(BODY.decode(), SECRET, now)
    assert verify(BODY, header, SECRET) == now
    assert sign(BODY, SECRET, now) == header


def test_any_matching_v1_passes_and_other_schemes_are_ignored():
    t = int(clock.now_ts())
    good = sign(BODY, SECRET, t).split("v1=")[1]
    assert verify(BODY, f"t={t},v0=deadbeef,v1=00ff,v1={good}", SECRET) == t


@pytest.mark.parametrize(("header", "reason"), [
    (None, "missing"), ("", "missing"), ("v1=abc", "malformed"), ("t=abc,v1=abc", "malformed"),
    ("t=1", "no_v1_signature"), ("t=1,v0=abc", "no_v1_signature"),
])
def test_malformed_headers(header, reason):
    with pytest.raises(SignatureError) as err:
        verify(BODY, header, SECRET)
    assert err.value.reason == reason


def test_wrong_secret_altered_body_and_stale_timestamp_fail():
    t = int(clock.now_ts())
    header = sign(BODY, SECRET, t)
    for body, secret, reason in ((BODY, "whsec_other", "mismatch"), (BODY + b" ", SECRET, "mismatch")):
        with pytest.raises(SignatureError) as err:
            verify(body, header, secret)
        assert err.value.reason == reason
    with pytest.raises(SignatureError) as err:
        verify(BODY, sign(BODY, SECRET, t - 301), SECRET)
    assert err.value.reason == "stale"
    assert verify(BODY, sign(BODY, SECRET, t - 299), SECRET)  # inside the 300 s tolerance
    assert verify(BODY, sign(BODY, SECRET, t + 600), SECRET)  # future timestamps pass, as in Stripe's SDK
    with pytest.raises(SignatureError):
        verify(BODY, header, "")

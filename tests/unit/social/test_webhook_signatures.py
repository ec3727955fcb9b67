"""Each platform's webhook scheme, checked against signatures computed here from the platforms' docs with hmac and
hashlib directly (not with Lily's code): Meta X-Hub-Signature-256, X CRC and x-twitter-webhooks-signature, LinkedIn
challenge and X-LI-Signature over "hmacsha256=" + body (facts sheet §1.8, §2.8, §3.7)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from lily.social import webhook_signatures as sig

BODY = b'{"object":"page","entry":[{"id":"1","time":1795788000,"text":"Gr\\u00fc\\u00dfe"}]}'
SECRET = "an-app-secret"


def test_meta_accepts_the_lowercase_hex_hmac_of_the_raw_body_and_nothing_else():
    # Given the header Meta sends: sha256= + lowercase hex HMAC-SHA256(app secret, raw bytes)
    header = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sig.meta_valid(BODY, header, SECRET)
    # Then a changed byte, another secret, the legacy sha1 header, upper case hex or no header are refused
    assert not sig.meta_valid(BODY.replace(b"1795788000", b"1795788001"), header, SECRET)
    assert not sig.meta_valid(BODY, header, "another-secret")
    assert not sig.meta_valid(BODY, "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(), SECRET)
    assert not sig.meta_valid(BODY, header.upper(), SECRET)
    assert not sig.meta_valid(BODY, None, SECRET) and not sig.meta_valid(BODY, header, "")


def test_meta_verification_needs_subscribe_and_our_verify_token():
    assert sig.meta_subscription_valid("subscribe", "tok", "tok")
    assert not sig.meta_subscription_valid("unsubscribe", "tok", "tok")
    assert not sig.meta_subscription_valid("subscribe", "tok2", "tok")
    assert not sig.meta_subscription_valid("subscribe", None, "tok") and not sig.meta_subscription_valid(
        "subscribe", "", "")


def test_x_crc_and_signature_are_base64_hmacs_with_the_consumer_secret():
    # Given X's CRC: response_token = "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))
    crc = "Y2FmZWJhYmU"
    expected = "sha256=" + base64.b64encode(hmac.new(SECRET.encode(), crc.encode(), hashlib.sha256).digest()).decode()
    assert sig.x_crc_response(crc.encode(), SECRET) == expected
    # And the event header: the same over the raw body
    header = "sha256=" + base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()
    assert sig.x_valid(BODY, header, SECRET)
    assert not sig.x_valid(BODY + b" ", header, SECRET)
    assert not sig.x_valid(BODY, "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(), SECRET)
    assert not sig.x_valid(BODY, None, SECRET)


def test_linkedin_signs_the_prefixed_string_and_answers_the_challenge_in_hex():
    # Given LinkedIn's header: hex HMAC-SHA256(client secret, "hmacsha256=" + raw body)
    header = hmac.new(SECRET.encode(), b"hmacsha256=" + BODY, hashlib.sha256).hexdigest()
    assert sig.linkedin_valid(BODY, header, SECRET)
    # Then the variant some implementations use (prefix in the header, bare body) is not LinkedIn's documented one
    bare = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert not sig.linkedin_valid(BODY, "hmacsha256=" + bare, SECRET)
    assert not sig.linkedin_valid(BODY, bare, SECRET)
    assert not sig.linkedin_valid(BODY[:-1], header, SECRET)
    # And the validation answer is the hex HMAC of the challenge code
    code = "890e4ec4-2e6f-4b1e-9e2a-0f3a1c2b4d5e"
    assert sig.linkedin_challenge_response(code, SECRET) == hmac.new(
        SECRET.encode(), code.encode(), hashlib.sha256).hexdigest()

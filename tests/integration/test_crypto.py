"""KMS envelope encryption against the emulator's KMS."""

import json

import pytest

from lily.core import crypto
from lily.core.errors import LilyError


def test_round_trip_and_ciphertext_at_rest(lily_env):
    ctx = {"org_id": "org_a", "connection_id": "conn_1"}
    envelope = crypto.encrypt("access-token-value", ctx)
    assert "access-token-value" not in envelope
    assert set(json.loads(envelope)) == {"v", "k", "n", "c"}
    assert crypto.decrypt_text(envelope, ctx) == "access-token-value"


def test_another_tenants_context_cannot_open_it(lily_env):
    envelope = crypto.encrypt(b"secret", {"org_id": "org_a"})
    with pytest.raises(LilyError):
        crypto.decrypt(envelope, {"org_id": "org_b"})


def test_tampered_envelope_is_refused(lily_env):
    ctx = {"org_id": "org_a"}
    env = json.loads(crypto.encrypt(b"secret", ctx))
    env["c"] = env["c"][:-4] + ("AAAA" if env["c"][-4:] != "AAAA" else "BBBB")
    with pytest.raises(LilyError):
        crypto.decrypt(json.dumps(env), ctx)
    with pytest.raises(LilyError):
        crypto.decrypt("not an envelope", ctx)


def test_each_value_gets_its_own_data_key(lily_env):
    ctx = {"org_id": "org_a"}
    a, b = json.loads(crypto.encrypt(b"x", ctx)), json.loads(crypto.encrypt(b"x", ctx))
    assert a["k"] != b["k"] and a["c"] != b["c"]

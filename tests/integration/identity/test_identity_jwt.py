"""A JWT attack corpus is refused; keys rotate without logging anyone out."""

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lily.core import clock
from lily.core.aws import client
from lily.core.config import get_settings, reset_settings
from lily.core.resources import secret_name
from lily.identity import tokens
from tests.support.identity import register_user


def _secret(short: str = "jwt-signing-keys") -> dict:
    return json.loads(client("secretsmanager").get_secret_value(SecretId=secret_name(short))["SecretString"])


def _public_pem() -> bytes:
    """Lily's public key (every function can read it) as PEM bytes."""
    key = jwt.PyJWK(_secret("jwt-keys")["keys"][0]).key
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _claims(user: dict, **over) -> dict:
    s = clock.now_ts()
    base = {"iss": "https://lily.local", "aud": "lily-api", "sub": user["user_id"], "iat": int(s), "nbf": int(s),
            "exp": int(s) + 600, "jti": "attack-" + str(int(s * 1000)), "email": user["email"]}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def _sign(claims: dict, key=None, alg="ES256", **headers) -> str:
    sec = _secret()
    kid = headers.pop("kid", sec["kid"])
    hdr = {"kid": kid, "typ": headers.pop("typ", "at+jwt"), **headers}
    return jwt.encode(claims, key if key is not None else sec["private_key"], algorithm=alg, headers=hdr)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _rsa_pair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem_pub = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, pem_pub


def _corpus(user: dict) -> dict[str, str]:
    sec = _secret()
    good = _sign(_claims(user))
    head, payload, sig = good.split(".")
    private, _ = _rsa_pair()
    attacker_signing, _ = tokens.new_signing_key(sec["kid"])
    tampered_payload = _b64({**_claims(user), "prole": "super_admin"})
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': sec['kid']})}.{payload}.",
        "alg none lowercase sig": f"{_b64({'alg': 'None', 'typ': 'at+jwt', 'kid': sec['kid']})}.{payload}.x",
        "RS256 signed with attacker key": _sign(_claims(user), private, alg="RS256"),
        "ES256 signed with attacker key": _sign(_claims(user), attacker_signing["private_key"]),
        "HS256 keyed with Lily's public key": _hs256_by_hand(_claims(user), _public_pem(), sec["kid"]),
        "HS512": _sign(_claims(user), "an-hmac-secret-" * 5, alg="HS512"),
        "wrong iss": _sign(_claims(user, iss="https://evil.example")),
        "wrong aud": _sign(_claims(user, aud="someone-else")),
        "wrong typ": _sign(_claims(user), typ="JWT"),
        "no typ": jwt.encode(_claims(user), sec["private_key"], algorithm="ES256",
                             headers={"kid": sec["kid"], "typ": None}),
        "expired": _sign(_claims(user, iat=int(clock.now_ts()) - 3600, nbf=int(clock.now_ts()) - 3600,
                                 exp=int(clock.now_ts()) - 1800)),
        "not yet valid": _sign(_claims(user, nbf=int(clock.now_ts()) + 3600, exp=int(clock.now_ts()) + 4000)),
        "issued in the future": _sign(_claims(user, iat=int(clock.now_ts()) + 3600)),
        "lifetime too long": _sign(_claims(user, exp=int(clock.now_ts()) + 86400)),
        "missing jti": _sign(_claims(user, jti=None)),
        "missing exp": _sign(_claims(user, exp=None)),
        "unknown kid": _sign(_claims(user), kid="nope"),
        "no kid": jwt.encode(_claims(user), sec["private_key"], algorithm="ES256", headers={"typ": "at+jwt"}),
        "tampered payload": f"{head}.{tampered_payload}.{sig}",
        "tampered signature": f"{head}.{payload}.{sig[:-4]}AAAA",
        "garbage": "not.a.jwt",
    }


def _hs256_by_hand(claims: dict, key: bytes, kid: str) -> str:
    """The classic confusion: the public key's bytes used as the HMAC secret (PyJWT refuses to build it)."""
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'at+jwt', 'kid': kid})}.{_b64(claims)}"
    sig = base64.urlsafe_b64encode(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()).rstrip(b"=")
    return f"{signing_input}.{sig.decode()}"


def test_a_well_formed_token_is_accepted(http):
    user = register_user(http)
    r = http.get("/api/auth/me", headers={"Authorization": f"Bearer {_sign(_claims(user))}"})
    # The token's subject is the caller
    assert r.status_code == 200 and (r.json()["user_id"], r.json()["email"]) == (user["user_id"], user["email"])
    other = register_user(http)
    r = http.get("/api/auth/me", headers={"Authorization": f"Bearer {_sign(_claims(other))}"})
    assert r.json()["user_id"] == other["user_id"]


def test_attack_corpus_is_refused(http):
    user = register_user(http)
    corpus = _corpus(user)
    results = {name: http.get("/api/auth/me", headers={"Authorization": f"Bearer {tok}"}).status_code
               for name, tok in corpus.items()}
    assert results == {name: 401 for name in corpus}


def test_key_rotation_keeps_sessions_and_signs_with_the_new_key(http, monkeypatch):
    user = register_user(http)
    signing, public = tokens.new_signing_key("k2")
    sm = client("secretsmanager")
    # (1) publish the new public key next to the old one, (2) then sign with the new private key
    published = {"keys": [*_secret("jwt-keys")["keys"], public]}
    sm.put_secret_value(SecretId=secret_name("jwt-keys"), SecretString=json.dumps(published))
    sm.put_secret_value(SecretId=secret_name("jwt-signing-keys"), SecretString=json.dumps(signing))
    # An old token still verifies (its kid is still listed)
    assert http.get("/api/auth/me", headers=user["headers"]).status_code == 200
    # Once the cache expires, new tokens carry the new kid
    clock.advance(400)
    token = http.post("/api/auth/login", json={"email": user["email"], "password": user["password"]}).json()
    assert jwt.get_unverified_header(token["access_token"])["kid"] == "k2"
    assert http.get("/api/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 200


def test_unknown_kid_triggers_a_bounded_refetch(lily_env, monkeypatch):
    calls = []
    real = tokens._fetch
    monkeypatch.setattr(tokens, "_fetch", lambda name: calls.append(name) or real(name))
    reset_settings()
    tokens._keys()
    assert len(calls) == 1
    clock.advance(60)
    for _ in range(5):
        tokens._keys(unknown_kid="nope")
    assert len(calls) == 2  # one refetch, not one per bad token
    assert get_settings()


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer    ", "lily_x"])
def test_malformed_authorization_is_401(http, header):
    assert http.get("/api/auth/me", headers={"Authorization": header}).status_code == 401

"""Access JWTs through issue_access/decode_access, with the key secrets served by a fake Secrets Manager."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from lily.core import aws, clock
from lily.core.config import reset_settings
from lily.core.errors import LilyError
from lily.core.resources import secret_name
from lily.identity import hashing, tokens

T0 = 1_800_000_000


def _pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


SIGN1, JWK1 = tokens.new_signing_key("k1")
SIGN2, JWK2 = tokens.new_signing_key("k2")
K1, K2 = SIGN1["private_key"], SIGN2["private_key"]
PUB1 = jwt.PyJWK(JWK1).key
NO_TIME = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}  # the frozen clock is not PyJWT's


class FakeSecrets:
    """Secrets Manager's get_secret_value for the public set (``value``, fetches counted) and the signing key."""

    def __init__(self, value: dict, signing: dict) -> None:
        self.value, self.signing, self.fetches = value, signing, 0

    def get_secret_value(self, SecretId: str, VersionStage: str = "AWSCURRENT") -> dict:  # noqa: N803 - boto3's
        assert VersionStage == "AWSCURRENT"
        if SecretId == secret_name("jwt-signing-keys"):
            return {"SecretString": json.dumps(self.signing)}
        assert SecretId == secret_name("jwt-keys")
        self.fetches += 1
        return {"SecretString": json.dumps(self.value)}


@pytest.fixture
def secrets(monkeypatch):
    reset_settings()
    fake = FakeSecrets({"keys": [JWK1]}, SIGN1)
    monkeypatch.setattr(aws, "client", lambda service: fake if service == "secretsmanager" else None)
    with clock.freeze(T0):
        yield fake
    clock.reset()
    reset_settings()


def reason(token: str) -> str:
    with pytest.raises(LilyError) as err:
        tokens.decode_access(token)
    assert (err.value.code.value, err.value.message) == ("AUTH_002", "Invalid or expired credentials")
    return err.value.details["reason"]


def forge(claims: dict | None = None, *, key: str = K1, headers: dict | None = None, drop: tuple = ()) -> str:
    base = {"iss": "https://lily.local", "aud": "lily-api", "sub": "usr_1", "iat": T0, "nbf": T0,
            "exp": T0 + 900, "jti": "j1"}
    body = {k: v for k, v in (base | (claims or {})).items() if k not in drop}
    return jwt.encode(body, key, algorithm="ES256", headers={"kid": "k1", "typ": "at+jwt"} | (headers or {}))


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def by_hand(header: dict) -> str:
    """A token with any header (PyJWT refuses to build some); its signature does not matter."""
    return f"{_b64(header)}.{_b64({'sub': 'usr_1'})}.c2ln"


def test_issued_token_carries_every_claim_and_verifies(secrets):
    token, claims = tokens.issue_access("usr_1", 900, {"email": "a@example.com"})
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": "k1", "typ": "at+jwt"}
    assert claims["iss"] == "https://lily.local" and claims["aud"] == "lily-api" and claims["sub"] == "usr_1"
    assert (claims["iat"], claims["nbf"], claims["exp"], claims["iat_ms"]) == (T0, T0, T0 + 900, T0 * 1000)
    assert claims["email"] == "a@example.com" and len(claims["jti"]) == 22  # 16 random bytes, URL-safe
    assert tokens.decode_access(token) == claims
    # signed with the signing key, checked with its public half
    assert jwt.decode(token, PUB1, algorithms=["ES256"], audience="lily-api", options=NO_TIME) == claims


def test_extra_claims_never_override_the_registered_ones(secrets):
    _, claims = tokens.issue_access("usr_1", 900, {"sub": "usr_admin", "exp": T0 + 10**6})
    assert claims["sub"] == "usr_1" and claims["exp"] == T0 + 900
    _, bare = tokens.issue_access("usr_1", 60)
    assert set(bare) == {"iat_ms", "iss", "aud", "sub", "iat", "nbf", "exp", "jti"}


def test_lifetime_is_checked_with_leeway_on_both_sides(secrets):
    token, _ = tokens.issue_access("usr_1", 900)
    clock.advance(900)
    assert tokens.decode_access(token)["sub"] == "usr_1"
    clock.advance(9)  # within the 10 s leeway after exp
    assert tokens.decode_access(token)["sub"] == "usr_1"
    clock.advance(1)
    assert reason(token) == "expired"


def test_not_yet_valid_tokens_are_refused_beyond_the_leeway(secrets):
    assert tokens.decode_access(forge({"nbf": T0 + 10}))["sub"] == "usr_1"
    assert reason(forge({"nbf": T0 + 11})) == "not yet valid"
    assert tokens.decode_access(forge({"iat": T0 + 10, "exp": T0 + 900}))["sub"] == "usr_1"
    assert reason(forge({"iat": T0 + 11, "exp": T0 + 900})) == "not yet valid"


def test_a_lifetime_longer_than_the_admin_maximum_is_refused(secrets):
    assert tokens.decode_access(forge({"exp": T0 + 1800 + 10}))["sub"] == "usr_1"
    assert reason(forge({"exp": T0 + 1800 + 11})) == "lifetime"


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat", "jti", "iss", "aud", "sub"])
def test_every_registered_claim_is_required(secrets, claim):
    assert reason(forge(drop=(claim,))) == "MissingRequiredClaimError"


def test_claims_of_the_wrong_type_are_refused(secrets):
    assert reason(forge({"jti": 7})) in ("claims", "InvalidJTIError")
    assert reason(forge({"sub": ["usr_1"]})) in ("claims", "InvalidSubjectError")
    assert reason(forge({"exp": "soon"})) == "time claims"
    assert reason(forge({"nbf": [T0]})) == "time claims"


def test_header_checks(secrets):
    assert reason("not.a.jwt") in ("malformed", "DecodeError")
    assert reason("garbage") == "malformed"
    assert reason(forge(headers={"typ": "JWT"})) == "typ"
    assert reason(forge(headers={"kid": ""})) == "kid"
    assert reason(by_hand({"alg": "ES256", "typ": "at+jwt", "kid": 7})) == "malformed"  # PyJWT: kid must be a str
    assert reason(by_hand({"alg": "ES256", "typ": "at+jwt"})) == "kid"
    none_alg = jwt.encode({"sub": "usr_1"}, None, algorithm="none", headers={"kid": "k1", "typ": "at+jwt"})
    assert reason(none_alg) == "algorithm"
    hs512 = jwt.encode({"sub": "usr_1"}, "k" * 64, algorithm="HS512", headers={"kid": "k1", "typ": "at+jwt"})
    assert reason(hs512) == "algorithm"
    assert reason(by_hand({"alg": "ES384", "typ": "at+jwt", "kid": "k1"})) == "algorithm"


def test_signature_issuer_and_audience_are_verified(secrets):
    assert reason(forge(key=K2)) == "InvalidSignatureError"
    assert reason(forge({"iss": "https://evil.example"})) == "InvalidIssuerError"
    assert reason(forge({"aud": "another-api"})) == "InvalidAudienceError"


def test_keys_are_cached_then_refetched(secrets):
    token, _ = tokens.issue_access("usr_1", 900)
    tokens.decode_access(token)
    assert secrets.fetches == 1
    clock.advance(299)
    tokens.decode_access(token)
    assert secrets.fetches == 1
    clock.advance(1)  # jwt_key_cache_s (300) reached
    tokens.decode_access(token)
    assert secrets.fetches == 2


def test_an_unknown_kid_refetches_at_most_every_refetch_interval(secrets):
    tokens.decode_access(forge())
    assert secrets.fetches == 1
    foreign = forge(headers={"kid": "k2"}, key=K2)
    clock.advance(29)
    assert reason(foreign) == "kid"
    assert secrets.fetches == 1  # too soon to ask again
    clock.advance(1)
    secrets.value = {"keys": [JWK1, JWK2]}  # rotation: k2's public key published
    assert tokens.decode_access(foreign)["sub"] == "usr_1"
    assert secrets.fetches == 2
    assert tokens.decode_access(foreign)["sub"] == "usr_1"  # now known: no fetch
    assert secrets.fetches == 2


def test_rotation_signs_with_the_new_key_and_still_accepts_the_old(secrets):
    old, _ = tokens.issue_access("usr_1", 900)
    secrets.value = {"keys": [JWK1, JWK2]}  # (1) the new public key first
    secrets.signing = SIGN2  # (2) then the new private key
    clock.advance(300)
    new, _ = tokens.issue_access("usr_1", 900)
    assert jwt.get_unverified_header(new)["kid"] == "k2"
    assert jwt.decode(new, jwt.PyJWK(JWK2).key, algorithms=["ES256"], audience="lily-api",
                      options=NO_TIME)["sub"] == "usr_1"
    assert tokens.decode_access(old)["sub"] == "usr_1"
    assert tokens.decode_access(new)["sub"] == "usr_1"


@pytest.mark.parametrize("signing", [
    {"kid": "k1"},
    {"kid": "", "private_key": K1},
    {"kid": "k1", "private_key": "not a pem"},
    {"kid": "k1", "private_key": SIGN1["private_key"].replace("PRIVATE", "PUBLIC")},
    {"kid": "k1", "private_key": _pem(ec.generate_private_key(ec.SECP384R1()))},  # EC, another curve
    {"kid": "k1", "private_key": _pem(ed25519.Ed25519PrivateKey.generate())},  # not EC at all
])
def test_a_signing_configuration_without_a_usable_key_is_refused(secrets, signing):
    secrets.signing = signing
    with pytest.raises(LilyError) as err:
        tokens.issue_access("usr_1", 900)
    assert (err.value.code.value, err.value.message) == ("SYSTEM_003", "JWT key configuration invalid")


@pytest.mark.parametrize("value", [
    {"keys": []},
    {"keys": [{**JWK1, "alg": "HS256"}]},
    {"keys": [{k: v for k, v in JWK1.items() if k != "kid"}]},
    {"active_kid": "k1"},
])
def test_a_public_set_without_an_es256_key_with_a_kid_is_refused(secrets, value):
    secrets.value = value
    with pytest.raises(LilyError) as err:
        tokens.decode_access(forge())
    assert (err.value.code.value, err.value.message) == ("SYSTEM_003", "JWT key configuration invalid")


def test_a_public_key_cannot_sign(secrets):
    """The public set (which every function reads) used as an HMAC secret: refused, only ES256 is allowed."""
    public_pem = PUB1.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "kid": "k1", "typ": "at+jwt"}
    signing_input = f"{_b64(header)}.{_b64({'sub': 'usr_1', 'exp': T0 + 900})}"
    sig = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    assert reason(f"{signing_input}.{sig.rstrip(b'=').decode()}") == "algorithm"


def test_hash_secret_is_sha256_hex():
    assert hashing.hash_secret("lily") == hashlib.sha256(b"lily").hexdigest()


def test_a_tampered_payload_or_signature_is_refused(secrets):
    token = forge()
    header, payload, signature = token.split(".")
    raised = _b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": "usr_admin"})
    assert reason(f"{header}.{raised}.{signature}") == "InvalidSignatureError"
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert reason(f"{header}.{payload}.{flipped}") == "InvalidSignatureError"
    refused = ("InvalidSignatureError", "DecodeError", "malformed")  # whichever check sees it first
    assert reason(f"{header}.{payload}.{signature[:-4]}") in refused  # short
    assert reason(f"{header}.{payload}.") in refused  # no signature at all
    assert reason(f"{header}.{payload}.{signature}.{signature}") in refused


def test_a_new_signing_key_is_a_fresh_p256_pair_whose_jwk_verifies_what_it_signs():
    # (the module's SIGN1/JWK1 are made at import, before mutmut switches a mutant on: this one runs in a test)
    signing, jwk = tokens.new_signing_key("k9")
    assert signing["kid"] == "k9"
    assert {k: jwk[k] for k in ("kty", "crv", "kid", "alg", "use")} == {
        "kty": "EC", "crv": "P-256", "kid": "k9", "alg": "ES256", "use": "sig"}
    private = serialization.load_pem_private_key(signing["private_key"].encode(), password=None)
    token = jwt.encode({"sub": "usr_1"}, private, algorithm="ES256")
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"])["sub"] == "usr_1"
    assert tokens.new_signing_key("k9")[0]["private_key"] != signing["private_key"]

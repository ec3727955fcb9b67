"""Keys and secrets: the re-encryption job re-seals every stored token and TOTP secret under the deployment's
key as it is now (here: the alias moved to a new key, the old one then disabled), never overwriting a value changed
meanwhile; the JWT signing key rotates on schedule with overlap, so a token signed before stays valid until it
expires, and the rotation job never reads the private key."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from functions.admin_cli.__main__ import main as admin
from lily.core import clock, crypto, ids
from lily.core.aws import client
from lily.core.config import get_settings
from lily.core.resources import read_secret, secret_name
from lily.identity import key_rotation, tokens
from lily.identity.models import User
from lily.identity.reseal import reseal_totp_secrets
from lily.social import reseal
from lily.social.models import SocialConnection
from lily.social.platforms.base import TokenSet
from lily.social.tokens import open_tokens, seal_access, seal_refresh


def _connection(org_id: str) -> SocialConnection:
    cid = ids.new_id("conn")
    now = datetime.now(UTC)
    conn = SocialConnection(
        org_id, cid, platform="x", account_id=ids.token(8), account_kind="user", account_name="Bakery",
        scopes=["tweet.write"], status="active",
        access_envelope=seal_access(TokenSet(access_token=f"at-{cid}", expires_at=None, scopes=["tweet.write"]),
                                    org_id, cid),
        refresh_envelope=seal_refresh(f"rt-{cid}", org_id, cid), token_version=3, grant_id=ids.new_id("grant"),
        created_by="usr_x", created_at=now, updated_at=now)
    conn.save()
    return conn


def _replace_the_key() -> tuple[str, str]:
    """Point the deployment's alias at a new key (as replacing the key, or new material, does); returns both ARNs."""
    kms = client("kms")
    alias = get_settings().kms_key_id
    old = kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
    new = kms.create_key(Description="Lily data key, replacement")["KeyMetadata"]["Arn"]
    kms.update_alias(AliasName=alias, TargetKeyId=new)
    return old, new


def test_reencryption_reseals_every_token_under_the_current_key(lily_env):
    org = ids.new_id("org")
    conns = [_connection(org) for _ in range(3)]
    user = User(ids.new_id("usr"), email="a@example.com", password_hash="x", created_at=datetime.now(UTC))
    user.totp_secret = crypto.encrypt("JBSWY3DPEHPK3PXP", {"user_id": user.user_id, "purpose": "totp"})
    user.save()
    old, new = _replace_the_key()
    # When the job runs
    report = reseal.reseal_connections()
    totp = reseal_totp_secrets()
    # Then every envelope was sealed by the old key and is now sealed by the new one
    assert (report.resealed, report.raced, report.failed) == (3, 0, 0)
    assert report.sealed_by == {old: 6} and totp.resealed == 1 and totp.sealed_by == {old: 1}
    for conn in conns:
        fresh = SocialConnection.get(conn.org_id, conn.connection_id)
        ctx = {"org_id": conn.org_id, "connection_id": conn.connection_id}
        assert crypto.sealed_by(fresh.access_envelope, ctx) == new
        assert crypto.sealed_by(fresh.refresh_envelope, ctx) == new
        assert fresh.token_version == 3  # the tokens did not change
    # And with the old key disabled, every token still opens
    client("kms").disable_key(KeyId=old.rsplit("/", 1)[-1])
    for conn in conns:
        assert open_tokens(SocialConnection.get(conn.org_id, conn.connection_id)).access_token == \
            f"at-{conn.connection_id}"
    stored = User.get(user.user_id)
    assert crypto.decrypt_text(stored.totp_secret, {"user_id": user.user_id, "purpose": "totp"}) == \
        "JBSWY3DPEHPK3PXP"


def test_a_refresh_that_lands_meanwhile_is_never_overwritten(lily_env, monkeypatch):
    org = ids.new_id("org")
    conn = _connection(org)
    real = crypto.reseal

    def refresh_meanwhile(envelope, context, key_id=None):
        out = real(envelope, context, key_id)
        # a token refresh writes new tokens (under the current key) between the job's read and its write
        SocialConnection(conn.org_id, conn.connection_id).update(actions=[
            SocialConnection.access_envelope.set(seal_access(TokenSet(access_token="refreshed", expires_at=None,
                                                                      scopes=[]), conn.org_id, conn.connection_id)),
            SocialConnection.token_version.add(1)])
        return out

    monkeypatch.setattr(crypto, "reseal", refresh_meanwhile)
    report = reseal.reseal_connections()
    assert (report.resealed, report.raced) == (0, 1)
    assert open_tokens(SocialConnection.get(conn.org_id, conn.connection_id)).access_token == "refreshed"


def test_the_admin_command_runs_the_reencryption(lily_env, capsys):
    _connection(ids.new_id("org"))
    assert admin(["reencrypt", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["store"] for r in out] == ["social_connections", "users.totp"] and out[0]["resealed"] == 1


def _signing_kid() -> str:
    tokens._clear()
    return tokens._keys(tokens.SIGNING_SECRET)[0]


def test_jwt_signing_keys_rotate_on_schedule_with_overlap(lily_env, monkeypatch):
    monkeypatch.setenv("LILY_JWT_KEY_CACHE_S", "300")
    first = _signing_kid()
    # A young key is left alone (its age counts from the first run)
    assert key_rotation.step().step == "nothing"
    # When it is 30 days old, a new key is staged: public at once, private as AWSPENDING only
    clock.advance(30 * 86400 + 1)
    staged = key_rotation.step()
    assert staged.step == "staged"
    assert {k["kid"] for k in read_secret("jwt-keys")["keys"]} == {first, staged.kid}
    assert _signing_kid() == first  # auth still signs with the current one
    before, _ = tokens.issue_access("usr_before", 1800)
    # The pending key is promoted only once every function's cached public set can know it
    clock.advance(299)
    assert key_rotation.step().step == "nothing"
    clock.advance(2)
    assert key_rotation.step().step == "promoted"
    assert _signing_kid() == staged.kid
    after, _ = tokens.issue_access("usr_after", 900)
    # Both tokens verify during the overlap
    tokens._clear()
    assert tokens.decode_access(before)["sub"] == "usr_before" and tokens.decode_access(after)["sub"] == "usr_after"
    # The old public key goes once no token it signed can be valid (key cache + the longest access lifetime)
    clock.advance(300 + 1800 - 10)
    assert key_rotation.step().step == "nothing"
    clock.advance(11)
    retired = key_rotation.step()
    assert retired.step == "retired" and retired.kid == first
    assert [k["kid"] for k in read_secret("jwt-keys")["keys"]] == [staged.kid]
    tokens._clear()
    fresh, _ = tokens.issue_access("usr_fresh", 900)
    assert tokens.decode_access(fresh)["sub"] == "usr_fresh"


def test_the_rotation_never_reads_the_signing_key(lily_env, monkeypatch):
    real = client("secretsmanager")
    read: list[str] = []

    class Watching:
        def __getattr__(self, name):
            return getattr(real, name)

        def get_secret_value(self, SecretId, **kw):  # noqa: N803 - boto3's parameter name
            read.append(SecretId)
            return real.get_secret_value(SecretId=SecretId, **kw)

    monkeypatch.setattr(key_rotation, "client", lambda service: Watching())
    monkeypatch.setattr("lily.core.aws.client", lambda service: Watching() if service == "secretsmanager"
                        else client(service))  # read_secret imports it at each call
    steps = []
    for _ in range(4):
        steps.append(key_rotation.step().step)
        clock.advance(31 * 86400)
    assert {"staged", "promoted"} <= set(steps)
    assert read and secret_name("jwt-signing-keys") not in read


@pytest.mark.parametrize("command", ["jwt-keys", "jwt-rotate"])
def test_the_admin_commands_show_and_step_the_rotation(lily_env, capsys, command):
    assert admin([command, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)

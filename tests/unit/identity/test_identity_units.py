"""Pure identity logic: password rules and hashing, TOTP steps, backup codes, role order, route classes."""

import pyotp
import pytest

from lily.core import clock
from lily.core.errors import LilyError
from lily.identity import passwords, totp
from lily.identity.access import OrgRole, PlatformRole, parse_api_key
from lily.identity.ratelimit import route_class


@pytest.mark.parametrize("pw", ["short1A!", "alllowercaseletters", "aaaaaaaaaaaaaaaaaaaaaaaaa", "password123!"[:11]])
def test_weak_passwords(pw):
    with pytest.raises(LilyError) as err:
        passwords.check_strength(pw, "someone@example.com")
    assert err.value.code.value == "VALIDATION_001" and err.value.details["requirements"]


def test_password_containing_the_email_is_weak():
    with pytest.raises(LilyError):
        passwords.check_strength("Margaret-Is-Here-1", "margaret@example.com")


def test_argon2id_round_trip_and_dummy():
    stored = passwords.hash_password("Sturdy-Passw0rd-42")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "Sturdy-Passw0rd-42")
    assert not passwords.verify_password(stored, "Sturdy-Passw0rd-43")
    assert not passwords.verify_password(None, "Sturdy-Passw0rd-42")  # unknown user: burns time, fails


def test_totp_window_is_plus_minus_one_step():
    secret = totp.new_secret()
    with clock.freeze(1_800_000_000):
        step = pyotp.TOTP(secret).timecode(clock.now())
        for offset, ok in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
            found = totp.matching_step(secret, totp.code_at(secret, step + offset))
            assert (found == step + offset) is ok, offset
        assert totp.matching_step(secret, "12345") is None and totp.matching_step(secret, "abcdef") is None


def test_backup_codes_are_unique_and_normalised():
    codes = totp.new_backup_codes()
    assert len(set(codes)) == 10
    assert totp.hash_backup(codes[0]) == totp.hash_backup(codes[0].upper().replace("-", " "))


def test_roles_order():
    assert sorted([OrgRole.owner, OrgRole.viewer, OrgRole.admin, OrgRole.editor]) == list(OrgRole)
    assert PlatformRole.admin < PlatformRole.super_admin and not OrgRole.admin < OrgRole.editor


def test_route_classes():
    assert route_class("/api/auth/login") == "auth"
    assert route_class("/api/orgs") == "orgs"
    assert route_class("/api/orgs/org_1/billing/checkout") == "orgs.billing"
    assert route_class("/health") == "health"


def test_api_key_format():
    assert parse_api_key("lily_key_01abc.s3cr3t") == ("key_01abc", "s3cr3t")
    assert parse_api_key("lily_nokey") is None and parse_api_key("lily_key_1.") is None

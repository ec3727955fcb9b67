"""Pure identity logic: password rules and hashing, TOTP steps, backup codes, role order, route classes."""

import hashlib
import re

import pyotp
import pytest

from lily.core import clock
from lily.core.errors import LilyError
from lily.identity import passwords, totp
from lily.identity.access import OrgRole, PlatformRole, parse_api_key
from lily.identity.ratelimit import route_class

TOO_SHORT = "at least 12 characters"
TOO_LONG = "at most 128 characters"
CLASSES = "three of: lower case, upper case, digit, symbol (or 20+ characters)"
COMMON = "not a common or repetitive password"
EMAIL = "must not contain your email address"


def requirements(pw: str, email: str | None = "someone@example.com") -> list[str]:
    """The reasons check_strength gives (empty when the password is accepted)."""
    try:
        passwords.check_strength(pw, email)
    except LilyError as err:
        assert (err.code.value, err.message) == ("VALIDATION_001", "Password too weak")
        return err.details["requirements"]
    return []


@pytest.mark.parametrize(("pw", "reasons"), [
    ("short1A!", [TOO_SHORT]),
    ("alllowercaseletters", [CLASSES]),  # 19 characters, one class
    ("aaaaaaaaaaaaaaaaaaaaaaaaa", [COMMON]),  # long enough to waive the classes, but one letter
    ("password123", [TOO_SHORT, CLASSES, COMMON]),
    ("Abcdefgh-" + "1" * 120, [TOO_LONG]),
])
def test_weak_passwords(pw, reasons):
    assert requirements(pw) == reasons


@pytest.mark.parametrize("pw", [
    "Sturdy-Passw0rd-42",
    "Abcdefgh-123",  # exactly 12 characters, three classes
    "abcdefghijklmnopqrst",  # 20 characters of one class: length replaces variety
    "Abcdefghijk" + "1" * 117,  # exactly 128 characters
    "Abc1!Abc1!Abc1!",  # five different characters (case-insensitive) is enough
    "lowercase-and-digits-1",  # two classes is not three, but 22 characters
    "UPPER+lower+symbols",  # three classes without a digit
    "quiet-harbor-42",  # three classes without a capital
])
def test_strong_passwords_pass(pw):
    assert requirements(pw) == []


def test_each_limit_is_exact_on_both_sides():
    assert requirements("Abcdefgh-12") == [TOO_SHORT]  # 11
    assert requirements("Abcdefghi" + "1" * 119) == []  # 128
    assert requirements("Abcdefghi" + "1" * 120) == [TOO_LONG]  # 129
    assert requirements("abcdefghijklmnopqrs") == [CLASSES]  # 19 of one class
    assert requirements("abcdefghijklmnopqrs1") == []  # 20 of two classes
    assert requirements("Abcdefghijklmn") == [CLASSES]  # two classes, under 20
    assert requirements("Abcdefghijklm1") == []  # three classes
    assert requirements("Ab1!Ab1!Ab1!") == [COMMON]  # four different characters
    assert requirements("Ab1!cAb1!cAb1!c") == []  # five


def test_common_passwords_are_refused_in_any_case():
    assert requirements("correcthorsebatterystaple") == [COMMON]
    assert requirements("CorrectHorseBatteryStaple") == [COMMON]
    assert requirements("correcthorsebatterystaples") == []


def test_password_containing_the_email_is_weak():
    assert requirements("Margaret-Is-Here-1", "margaret@example.com") == [EMAIL]
    assert requirements("Notes-From-ANNA-7", "anna@example.com") == [EMAIL]  # four characters are enough
    assert requirements("Notes-From-BOB-77", "bob@example.com") == []  # three are not
    assert requirements("Notes-From-BOB-77", None) == []


def test_argon2id_round_trip_and_dummy():
    stored = passwords.hash_password("Sturdy-Passw0rd-42")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "Sturdy-Passw0rd-42")
    assert not passwords.verify_password(stored, "Sturdy-Passw0rd-43")
    assert not passwords.verify_password(None, "Sturdy-Passw0rd-42")  # unknown user: burns time, fails
    assert not passwords.verify_password("not-a-hash", "Sturdy-Passw0rd-42")


@pytest.mark.parametrize("stored", [None, ""])
def test_a_user_without_a_hash_never_logs_in_even_with_the_dummy_password(stored):
    assert not passwords.verify_password(stored, "lily-dummy-password-for-timing")


def test_hashes_made_with_weaker_parameters_need_a_rehash():
    from argon2 import PasswordHasher

    assert not passwords.needs_rehash(passwords.hash_password("Sturdy-Passw0rd-42"))
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Sturdy-Passw0rd-42")
    assert passwords.needs_rehash(weaker)


def test_totp_window_is_plus_minus_one_step():
    secret = totp.new_secret()
    with clock.freeze(1_800_000_000):
        step = pyotp.TOTP(secret).timecode(clock.now())
        for offset, ok in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
            found = totp.matching_step(secret, totp.code_at(secret, step + offset))
            assert (found == step + offset) is ok, offset
        assert totp.matching_step(secret, "12345") is None and totp.matching_step(secret, "abcdef") is None


def test_totp_codes_are_six_ascii_digits_and_spaces_are_ignored():
    secret = totp.new_secret()
    with clock.freeze(1_800_000_000):
        step = pyotp.TOTP(secret).timecode(clock.now())
        code = totp.code_at(secret, step)
        assert totp.matching_step(secret, f" {code[:3]} {code[3:]} ") == step
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        assert totp.matching_step(secret, wrong) is None
        assert totp.matching_step(secret, code + "0") is None and totp.matching_step(secret, code[:5]) is None
        assert totp.matching_step(secret, "") is None and totp.matching_step(secret, None) is None
        # Other scripts' digits are str.isdigit() too; they are refused, not compared (compare_digest raises)
        assert totp.matching_step(secret, "١٢٣٤٥٦") is None
        assert totp.matching_step(secret, "١٢٣٤٥") is None


def test_provisioning_uri_names_the_account_and_the_issuer():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEH", "ann@example.com", "Lily")
    assert uri == "otpauth://totp/Lily:ann%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEH&issuer=Lily"


def test_backup_codes_are_unique_and_normalised():
    codes = totp.new_backup_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-hj-km-np-z2-9]{5}-[a-hj-km-np-z2-9]{5}", c) for c in codes), codes
    # Typed in capitals, with a space instead of the dash, it is the same code
    assert totp.hash_backup(codes[0]) == totp.hash_backup(codes[0].upper().replace("-", " "))
    assert totp.normalise_backup(" ABCDE fghjk ") == "abcde-fghjk"
    assert totp.normalise_backup("abcdefghjk") == "abcde-fghjk"
    # Different codes never share a hash (they are stored by hash)
    assert len({totp.hash_backup(c) for c in codes}) == 10


def test_backup_code_hashes_keep_their_stored_format():
    """Stored hashes must survive a release: sha256 of ``backup:`` + the normalised code."""
    assert totp.hash_backup("ABCDE-FGHJK") == hashlib.sha256(b"backup:abcde-fghjk").hexdigest()


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

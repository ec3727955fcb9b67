"""Identity tables.

users (pk user_id)
- get a user: GetItem user_id
- verify email / change password / set 2FA: UpdateItem with conditions
- TOTP replay guard: UpdateItem SET totp_last_step = :step IF totp_last_step < :step

user_emails (pk email, normalised lower-case)
- claim an address at registration: PutItem IF attribute_not_exists(email)
- find the user of an address (login, reset): GetItem email
- the first registered user: PutItem of the sentinel "#super_admin" IF attribute_not_exists (one winner)

auth_tokens (pk token_hash = sha256 of the secret; expires_at TTL)
- single-use tokens (verify_email, password_reset, invite, mfa challenge, refresh):
  PutItem; consume with UpdateItem SET used_at IF attribute_not_exists(used_at)

revocations (pk key: "jti#<jti>" | "family#<family>" | "user#<user_id>"; expires_at TTL)
- revoke: PutItem; check on every request: BatchGetItem of the jti, family and user keys

counters (pk key; expires_at TTL) rate limits and failure counters
- count: UpdateItem ADD hits :1 SET expires_at (atomic across instances)

orgs (pk org_id)
- create / get / transfer ownership (UpdateItem IF owner_id = :old)

memberships (pk org_id, sk user_id; GSI by_user: user_id -> org_id)
- members of an org: Query org_id
- is X a member / role: GetItem (org_id, user_id)
- my orgs: Query by_user user_id

api_keys (pk key_id; GSI by_org: org_id -> key_id)
- authenticate: GetItem key_id, compare sha256(secret) in constant time
- list an org's keys: Query by_org

audit_log (pk stream: "org#<org_id>" | "day#<YYYY-MM-DD>", sk "<iso ts>#<event id>"; expires_at TTL 90 days)
- record: PutItem into the day stream and (when the event has an org) the org stream
- read an org's events / a day's events: Query stream, newest first
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import Anonymise, DataRule, Erase, Export, Index, NotExported, Partition, Scan


class User(LilyModel):
    class Meta(TableMeta):
        short_name = "users"
        data = DataRule(
            retention="until the account is erased",
            user=Partition(), export=Export(omit=("password_hash", "totp_secret", "totp_pending", "backup_codes")),
            erase=Erase.DELETE, on_user_erased=Erase.DELETE)

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    email_verified = BooleanAttribute(default=False)
    platform_role = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")  # active | suspended
    created_at = UTCDateTimeAttribute()
    totp_secret = UnicodeAttribute(null=True)  # KMS envelope
    totp_pending = UnicodeAttribute(null=True)  # KMS envelope, during enrolment
    totp_enabled = BooleanAttribute(default=False)
    totp_last_step = NumberAttribute(default=0)
    backup_codes = ListAttribute(of=UnicodeAttribute, default=list)  # sha256 hashes, one use each
    org_limit = NumberAttribute(null=True)  # organizations this user may own; None: LILY_MAX_OWNED_ORGS
    owned_orgs = NumberAttribute(null=True)  # organizations owned, set in the transaction of each ownership change
    trial_org_id = UnicodeAttribute(null=True)  # the one organization this user's free trial went to


class UserEmail(LilyModel):
    class Meta(TableMeta):
        short_name = "user_emails"
        data = DataRule(
            retention="until the account is erased", user=Scan("user_id"), export=Export(),
            erase=Erase.DELETE, on_user_erased=Erase.DELETE)

    email = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()


class AuthToken(LilyModel):
    class Meta(TableMeta):
        short_name = "auth_tokens"
        data = DataRule(
            retention="until used or expired (TTL expires_at: minutes for challenges, days for invitations, the "
                      "refresh lifetime for sessions)",
            org=Scan("data", contains=True), user=Scan("user_id"),
            user_also=(Scan("data", contains=True, by="email"),),
            export=NotExported("single-use secrets stored as hashes: nothing a person can use"),
            erase=Erase.DELETE, on_user_erased=Erase.DELETE,
            notes="invitations are auth tokens of kind invite: removed by their TTL once expired")

    token_hash = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # verify_email | password_reset | invite | mfa | refresh
    user_id = UnicodeAttribute(null=True)
    family_id = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()


class Revocation(LilyModel):
    class Meta(TableMeta):
        short_name = "revocations"
        data = DataRule(
            retention="until every token it revokes has expired (TTL expires_at, at most the refresh lifetime)",
            export=NotExported("token ids and 'not before' marks, no content"), erase=Erase.EXPIRES,
            notes="an erased person's 'not before' mark is kept until its TTL: removing it early would revive a "
                  "stolen token")

    key = UnicodeAttribute(hash_key=True)
    not_before = NumberAttribute(null=True)  # user#: tokens issued before this are dead
    reason = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class Counter(LilyModel):
    class Meta(TableMeta):
        short_name = "counters"
        data = DataRule(
            retention="one rate-limit window or lockout window (TTL expires_at: minutes)",
            export=NotExported("rate-limit and login-failure counters"), erase=Erase.EXPIRES)

    key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    last_at = NumberAttribute(null=True)
    expires_at = TTLAttribute()


class Org(LilyModel):
    class Meta(TableMeta):
        short_name = "orgs"
        data = DataRule(retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    timezone = UnicodeAttribute(null=True)  # IANA name (slots, calendar); absent means UTC


class ByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute(range_key=True)


class Membership(LilyModel):
    class Meta(TableMeta):
        short_name = "memberships"
        data = DataRule(
            retention="while the person is a member", org=Partition(), user=Index("by_user"), export=Export(),
            erase=Erase.DELETE, on_user_erased=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    role = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    joined_at = UTCDateTimeAttribute()
    by_user = ByUser()


class ByOrg(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_org"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute(range_key=True)


class ApiKey(LilyModel):
    class Meta(TableMeta):
        short_name = "api_keys"
        data = DataRule(
            retention="until deleted; an expired or revoked key is removed 30 days later (TTL purge_at)",
            org=Index("by_org"), user=Scan("created_by"), export=Export(omit=("secret_hash",)),
            erase=Erase.DELETE, on_user_erased=Erase.DELETE,
            notes="a member's keys are revoked when they leave (creator_removed), and deleted when they are erased")

    key_id = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    name = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    role = UnicodeAttribute()
    scopes = UnicodeSetAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute(null=True)  # kept after expiry (listed); None on keys made before expiry
    # TTL: LILY_API_KEY_PURGE_DAYS after expiry or revocation the key is treated as absent, then deleted by DynamoDB;
    # None on keys made before it (kept until revoked)
    purge_at = TTLAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    revoked_reason = UnicodeAttribute(null=True)  # revoked | creator_removed | creator_demoted | ... | plan
    last_used_at = UTCDateTimeAttribute(null=True)
    by_org = ByOrg()


class AuditEvent(LilyModel):
    class Meta(TableMeta):
        short_name = "audit_log"
        data = DataRule(
            retention="90 days (TTL expires_at)", org=Scan("org_id"), user=Scan("actor_id"),
            export=Export(distinct=("sk",), omit_in_user_export=("target",)), erase=Erase.DELETE,
            on_user_erased=Anonymise(("actor_id", "target"), linked=(("actor_id", ("ip",)),)),
            user_also=(Scan("target", by="email"), Scan("target")),
            notes="each event is stored in its day stream and its organization's stream; the erasure itself is "
                  "recorded without personal data")

    stream = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    outcome = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    org_id = UnicodeAttribute(null=True)
    target = UnicodeAttribute(null=True)
    ip = UnicodeAttribute(null=True)
    details = JSONAttribute(null=True)
    expires_at = TTLAttribute()

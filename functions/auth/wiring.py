from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, AuditEvent, AuthToken, Counter, Membership, Revocation, User, UserEmail

FUNCTION = FunctionSpec(
    name="auth",
    description="Accounts and sessions: register, verify email, password reset, login with TOTP, refresh, logout, me",
    trigger=Http(prefixes=["/api/auth"], public=True),
    memory_mb=1024,  # argon2id needs memory and CPU
    timeout_s=15,
    access=Access(
        tables={User: "readwrite", UserEmail: "readwrite", AuthToken: "readwrite",
                Revocation: "readwrite", Counter: "readwrite", Membership: "read",
                AuditEvent: "write", ApiKey: "readwrite"},
        kms="both",
        secrets=["jwt-keys", "jwt-signing-keys", "csrf-keys"],  # the one function that signs tokens
        ses_send=True,
    ),
)

from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="auth",
    description="Accounts and sessions: register, verify email, password reset, login with TOTP, refresh, logout, me",
    trigger=Http(prefixes=["/api/auth"], public=True),
    memory_mb=1024,  # argon2id needs memory and CPU
    timeout_s=15,
    access=Access(
        tables={"users": "readwrite", "user_emails": "readwrite", "auth_tokens": "readwrite",
                "revocations": "readwrite", "counters": "readwrite", "memberships": "read",
                "audit_log": "write", "api_keys": "readwrite"},
        kms="both",
        secrets=["jwt-keys", "jwt-signing-keys", "csrf-keys"],  # the one function that signs tokens
        ses_send=True,
    ),
)

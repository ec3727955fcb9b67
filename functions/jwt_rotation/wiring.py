from lily.core.functions import Access, FunctionSpec, Schedule

FUNCTION = FunctionSpec(
    name="jwt_rotation",
    description="05:00 UTC daily: one due step of the JWT signing key rotation (stage, promote, retire) with overlap",
    trigger=Schedule(expression="cron(0 5 * * ? *)"),
    memory_mb=256,
    timeout_s=60,
    # a staging run makes a P-256 pair and its JWK (PyJWT, cryptography): the module imports them at init
    primes=("jwt",),
    # reads and rewrites the public set; writes new signing-key versions and moves their stage, never reads one
    access=Access(secrets=["jwt-keys"], secrets_write=["jwt-keys", "jwt-signing-keys"]),
)

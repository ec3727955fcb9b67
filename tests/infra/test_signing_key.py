"""Only the auth function can read the private JWT signing key; every function that checks tokens reads the
public set. A compromised function other than auth cannot mint access tokens."""

from __future__ import annotations

from tests.infra.test_iam import _function_roles, _granted

READ = "secretsmanager:GetSecretValue"


def _readers(synth, specs, secret: str) -> set[str]:
    roles = _function_roles(synth, specs)
    return {name for name, role in roles.items() if (READ, f"secret:{secret}") in _granted(synth, role)}


def test_only_the_auth_function_can_read_the_signing_key(synth, specs):
    assert _readers(synth, specs, "jwt-signing-keys") == {"auth"}


def test_every_function_that_checks_tokens_reads_the_public_keys(synth, specs):
    checkers = {s.name for s in specs if "jwt-keys" in s.access.secrets}
    assert {"auth", "orgs", "admin"} <= checkers
    assert _readers(synth, specs, "jwt-keys") == checkers

"""Identity in the synthesized app: only the auth function can read the private JWT signing key (every function
that checks tokens reads the public set), so a compromised function other than auth cannot mint access tokens;
rate limits failing open raise an alarm."""

from __future__ import annotations

import json

from tests.infra.cfn import props, resources
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


def test_rate_limits_failing_open_raise_an_alarm(synth):
    alarms = [props(a) for a in resources(synth.service, "AWS::CloudWatch::Alarm").values()]
    watching = [a for a in alarms if "rate_limit_store_errors_total" in json.dumps(a.get("Metrics", []))]
    assert len(watching) == 1
    alarm = watching[0]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] and alarm["AlarmName"].endswith("rate-limits-failing-open")

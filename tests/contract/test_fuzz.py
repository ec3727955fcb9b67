"""Contract suite: schemathesis fuzzes the served API (local mode, as ``make run`` serves it) from its own OpenAPI
document, as an authenticated user with an organization of its own, and every response must keep the contract.

Checks run: not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
positive_data_acceptance, negative_data_rejection, allow_header_conformance, plus Lily's
schema_valid_input_passes_validation (tests/contract/fuzz_checks.py). None is excluded. One setting is relaxed,
and why:

- positive_data_acceptance also expects 422 (besides schemathesis' defaults): Lily answers 422 for rules a
  schema cannot state (a verification token that does not exist or expired, a post longer than a platform
  allows, a cursor that was not issued by the API). A 422 because the request broke the *schema* is still a
  failure: schema_valid_input_passes_validation fails any schema-valid request whose 422 lists field errors.
- media_create_upload also expects 413: a declared size over the smallest limit of its platforms for that kind of
  media is a rule between three fields (VALIDATION_005, 413). A media type one of its platforms refuses (no GIF on
  Instagram) is a 422 (VALIDATION_001).
- social_connect, social_callback and social_complete also expect 400: an OAuth state and code are valid only
  when the platform issued them for this flow, and a redirect_uri only when registered (SOCIAL_002, 400).
- webhooks_stripe_webhook and the platforms' webhook deliveries (webhooks_meta_events, webhooks_x_events,
  webhooks_linkedin_events) also expect 400: the body is schema-free bytes and only Stripe or the platform can sign
  them; an unsigned request is refused with 400 (WEBHOOK_001), as Stripe's own libraries do.

The stateful phase follows the document's OpenAPI links (an org to its sub-resources, a post to its schedule,
cancel and delete; lily.core.openapi.add_links).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.identity import create_org, register_user

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "positive_data_acceptance,negative_data_rejection,allow_header_conformance,"
          "schema_valid_input_passes_validation")
CONFIG = """\
headers = { Authorization = "Bearer ${LILY_FUZZ_TOKEN}" }

[parameters]
org_id = "${LILY_FUZZ_ORG}"

[checks.positive_data_acceptance]
expected-statuses = ["2XX", "3XX", "401", "403", "404", "409", "422", "429", "5XX"]

[[operations]]
include-operation-id = "media_create_upload"
checks.positive_data_acceptance.expected-statuses = ["2XX", "401", "403", "404", "409", "413", "422", "429", "5XX"]

[[operations]]
include-operation-id-regex = "^social_(connect|callback|complete)$"
checks.positive_data_acceptance.expected-statuses = [
  "2XX", "3XX", "400", "401", "403", "404", "409", "422", "429", "5XX",
]

[[operations]]
include-operation-id-regex = "^webhooks_(stripe_webhook|meta_events|x_events|linkedin_events)$"
checks.positive_data_acceptance.expected-statuses = ["2XX", "400", "429", "5XX"]
"""


# schemathesis has up to 1,800 s (its subprocess timeout): in make test it runs beside the integration suite, and on
# two busy cores it can pass the suite's default 300 s limit (the whole contract suite took 846 s on a slowed host,
# 2026-12-08); the limit only catches a hang
@pytest.mark.timeout(1800)
def test_the_api_keeps_its_contract_under_fuzzing(served, tmp_path):
    user = register_user(served.client)
    org_id = create_org(served.client, user["headers"])
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "LILY_FUZZ_TOKEN": user["token"], "LILY_FUZZ_ORG": org_id,
           "SCHEMATHESIS_HOOKS": "tests.contract.fuzz_checks", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
         f"{served.base_url}/openapi.json", "--checks", CHECKS, "--phases", "examples,coverage,fuzzing,stateful",
         "--max-examples", "8", "--workers", "2", "--seed", "1", "--no-shrink", "--output-truncate", "true"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )
    summary = run.stdout[run.stdout.find("SUMMARY"):] if "SUMMARY" in run.stdout else run.stdout[-3000:]
    print(f"schemathesis ran {time.monotonic() - started:.0f}s\n{summary}")
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]

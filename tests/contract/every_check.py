"""Schemathesis with every check and its default expected statuses, against local mode (issue 21's measurement).

    .venv/bin/python -m tests.contract.every_check [extra schemathesis options]

Unlike test_fuzz.py, nothing is relaxed: positive_data_acceptance counts every 400/413/422 a schema-valid request
gets, so what remains are the business rules no schema can state (a token that expired, a cursor the API did not
issue, a time in the past, one of two fields...). The summary is printed; the full report goes to
``lily-every-check.txt`` in the temporary directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.contract.conftest import LIMITS
from tests.contract.test_fuzz import ROOT
from tests.e2e.conftest import LocalMode
from tests.support.identity import create_org, register_user

CONFIG = """\
headers = { Authorization = "Bearer ${LILY_FUZZ_TOKEN}" }

[parameters]
org_id = "${LILY_FUZZ_ORG}"
"""


def main(extra: list[str]) -> int:
    served = LocalMode(extra_env=LIMITS)
    try:
        served.wait_ready()
        user = register_user(served.client)
        org_id = create_org(served.client, user["headers"])
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as config:
            config.write(CONFIG)
        env = {**os.environ, "LILY_FUZZ_TOKEN": user["token"], "LILY_FUZZ_ORG": org_id,
               "SCHEMATHESIS_HOOKS": "tests.contract.fuzz_checks", "PYTHONPATH": str(ROOT)}
        run = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "schemathesis.cli", "--config-file", config.name, "run",
             f"{served.base_url}/openapi.json", "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
             "--max-examples", "8", "--workers", "2", "--seed", "1", "--no-shrink", "--output-truncate", "false",
             *extra],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )
        report = Path(tempfile.gettempdir()) / "lily-every-check.txt"
        report.write_text(run.stdout + run.stderr)
        print(f"full report: {report}")
        print(run.stdout[run.stdout.find("= SUMMARY ="):] if "= SUMMARY =" in run.stdout else run.stdout[-3000:])
        return run.returncode
    finally:
        served.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

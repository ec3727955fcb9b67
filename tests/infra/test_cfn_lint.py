"""cfn-lint finds no error in any synthesized template (warnings are allowed)."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import lint
from lily_infra.function_stacks import FUNCTION_STACKS, stack_kind

STACK_KINDS = ["stateful", "service", *(stack_kind(i) for i in range(1, FUNCTION_STACKS + 1))]


@pytest.mark.parametrize("kind", STACK_KINDS)
def test_cfn_lint_reports_no_error(synth, kind):
    template = synth.templates[synth.config.stack_name(kind)]
    matches = lint(json.dumps(template), regions=["us-east-1"])
    errors = [f"{m.rule.id} {'/'.join(map(str, m.path))}: {m.message}" for m in matches if m.rule.id.startswith("E")]
    assert errors == []

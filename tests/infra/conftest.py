"""Infra suite: synthesize the CDK app once per session (no bundling), then inspect the assembly.

The synthesis keeps going on cdk-nag findings (``failSynthOnValidationErrors: false``) so that
``test_nag`` can list them instead of the whole suite erroring in this fixture.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

STAGE = "dev"
SYNTH_CONTEXT = {
    "aws:cdk:bundling-stacks": [],  # no pip, no Docker: assets are not built
    "@aws-cdk/core:failSynthOnValidationErrors": False,
}


@dataclass
class Synth:
    lily: Any  # lily_infra.builder.LilyApp
    outdir: Path
    assembly: Any
    templates: dict[str, dict] = field(default_factory=dict)
    layer_builds: list[Any] = field(default_factory=list)  # must stay empty: tests never bundle
    _functions: dict | None = None

    @property
    def stateful(self) -> dict:
        return self.templates[self.lily.stateful.stack_name]

    @property
    def service(self) -> dict:
        return self.templates[self.lily.service.stack_name]

    @property
    def function_stacks(self) -> dict[str, dict]:
        """Stack name -> template of every function stack (``lily-<stage>-functions-<n>``)."""
        return {stack.stack_name: self.templates[stack.stack_name] for stack in self.lily.function_stacks}

    @property
    def functions(self) -> dict:
        """The function stacks as one template: their resources (functions, roles, log groups, routes, triggers)
        under their logical ids, which are unique across them but for the layer each stack carries a copy of."""
        if self._functions is None:
            merged: dict[str, dict] = {}
            for name, template in self.function_stacks.items():
                for logical_id, resource in template["Resources"].items():
                    if logical_id in merged and resource["Type"] == "AWS::OpenSearchServerless::AccessPolicy":
                        merged[f"{logical_id}@{name}"] = resource  # one per stack holding vector functions
                        continue
                    if logical_id in merged:
                        assert resource["Type"] == "AWS::Lambda::LayerVersion" and merged[logical_id] == resource, \
                            f"{name}: logical id {logical_id} is in two function stacks"
                    merged[logical_id] = resource
            self._functions = {"Resources": merged}
        return self._functions

    @property
    def config(self):
        return self.lily.config

    def validation_report(self) -> dict:
        path = self.outdir / "validation-report.json"
        return json.loads(path.read_text()) if path.is_file() else {"pluginReports": []}


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> Synth:
    from lily_infra.builder import build_app
    from lily_infra.bundling import layer_builder

    builder = layer_builder()
    layer_builds: list[Any] = []
    real_build = builder.build_layer
    builder.build_layer = lambda out, *a, **kw: layer_builds.append(out)  # record, never pip
    try:
        outdir = tmp_path_factory.mktemp("cdk.out")
        lily = build_app(stage=STAGE, context=SYNTH_CONTEXT, outdir=outdir)
        assembly = lily.app.synth()
    finally:
        builder.build_layer = real_build
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    return Synth(lily=lily, outdir=outdir, assembly=assembly, templates=templates, layer_builds=layer_builds)


@pytest.fixture(scope="session")
def specs():
    from lily.core.functions import discover

    return list(discover())

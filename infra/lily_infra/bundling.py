"""Assets without Docker: the shared dependency layer and each function's folder.

The layer is bundled by :class:`LocalLayerBundler`, an ``ILocalBundling`` that runs
``layers/build.py`` on the host (pip downloads Linux arm64 wheels for CPython 3.14, then
``shared/lily`` is copied in). CDK requires a Docker image in ``BundlingOptions`` even when local
bundling always succeeds, so the image is a placeholder that is never pulled.

Tests synthesize with the context ``{"aws:cdk:bundling-stacks": []}``: CDK then skips bundling
entirely (no pip, no network) and still produces valid templates.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from lily_infra import ROOT

LAYERS_DIR = ROOT / "layers"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
CODE_EXCLUDES = ["__pycache__", "*.pyc", "*.pyo", ".pytest_cache"]


@lru_cache(maxsize=1)
def layer_builder() -> ModuleType:
    """``layers/build.py``, loaded by path (``layers`` is not a package)."""
    spec = importlib.util.spec_from_file_location("lily_layer_build", LAYERS_DIR / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@jsii.implements(ILocalBundling)
class LocalLayerBundler:
    """Builds the dependency layer on the host; never falls back to Docker."""

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        layer_builder().build_layer(Path(output_dir))
        return True


def dependency_layer_code() -> lambda_.Code:
    builder = layer_builder()
    return lambda_.Code.from_asset(
        str(LAYERS_DIR),
        # The layer is built from requirements.lock, build.py and shared/lily: hash exactly those.
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=builder.source_fingerprint(),
        bundling=BundlingOptions(
            image=DockerImage.from_registry("unused"),
            local=LocalLayerBundler(),
        ),
    )


def function_code(folder: Path) -> lambda_.Code:
    """A function's own folder (``handler.py`` and its wiring) as the code asset."""
    return lambda_.Code.from_asset(str(folder), exclude=CODE_EXCLUDES)

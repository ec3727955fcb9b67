"""The content policy: no name of the banned image-model family anywhere in the source tree but the one policy
file; the policy refuses it in every spelling."""

from __future__ import annotations

from pathlib import Path

import pytest

from lily.core.config import load
from lily.core.errors import LilyError
from lily.images import policy
from lily.images.settings import ImagesSettings

ROOT = Path(__file__).resolve().parents[3]
SCANNED = ("shared", "functions", "infra", "tests", "docs", "events", "layers")
TOP_FILES = ("README.md", "pyproject.toml", "Makefile", "cdk.json")
SUFFIXES = {".py", ".md", ".json", ".toml", ".txt", ".yml", ".yaml", ".cfg", ".ini", ".sh"}
POLICY_FILE = ROOT / "shared" / "lily" / "images" / "policy.py"


def _files():
    for top in SCANNED:
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and path.suffix in SUFFIXES and "cdk.out" not in path.parts:
                yield path
    for name in TOP_FILES:
        if (ROOT / name).is_file():
            yield ROOT / name


def test_no_banned_model_name_outside_the_policy_file():
    offenders = []
    for path in _files():
        if path == POLICY_FILE:
            continue
        for n, line in enumerate(path.read_text(errors="ignore").splitlines(), 1):
            if policy.BANNED.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert not offenders, offenders


@pytest.mark.parametrize("name", ["dall" + "-e-2", "DALL" + "-E 3", "dall" + "e", "Dall" + "·E", "dall" + "_e"])
def test_every_spelling_is_refused_with_the_policy_error(name):
    assert policy.is_banned(name)
    with pytest.raises(LilyError) as exc:
        policy.refuse_banned(name)
    assert exc.value.code.value == "CONTENT_004" and exc.value.details["policy"] == "banned_image_model"


@pytest.mark.parametrize("name", ["gpt-image-1", "grok-imagine-image", "grok2_basic", "medallion", "dallas"])
def test_allowed_names_pass(name):
    assert not policy.is_banned(name)


def test_a_banned_provider_model_in_configuration_fails_at_load(monkeypatch):
    monkeypatch.setenv("LILY_IMAGES_MODELS", '{"gpt_image_1": {"provider": "openai", "model": "' + "dall" + '-e-3"}}')
    with pytest.raises(LilyError):
        load(ImagesSettings)

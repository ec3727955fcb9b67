"""Supply chain: the lock files match what the project declares, the layer ships its lock, the SBOM leaves out what
the runtime provides, and an audit that could not reach its vulnerability database never reads as clean."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    sys.path.insert(0, str(ROOT / "layers"))
    spec = importlib.util.spec_from_file_location(f"lily_layers_{name}", ROOT / "layers" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"lily_layers_{name}"] = module
    spec.loader.exec_module(module)
    return module


supply_chain = _load("supply_chain")
build = _load("build")


def _pins(lock: Path) -> dict[str, Version]:
    pins = {}
    for line in lock.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = Version(m.group(2))
    return pins


def _name(req: Requirement) -> str:
    return req.name.lower().replace("_", "-")


def test_the_dev_lock_pins_every_declared_dependency_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]
    pins = _pins(ROOT / "requirements.lock")
    missing = [str(r) for r in declared if _name(r) not in pins]
    outside = [f"{r} (locked {pins[_name(r)]})" for r in declared
               if _name(r) in pins and not r.specifier.contains(pins[_name(r)], prereleases=True)]
    assert not missing, f"not in requirements.lock (run `make lock`): {missing}"
    assert not outside, f"requirements.lock pins outside the declared range (run `make lock`): {outside}"
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    unhashed = [line for i, line in enumerate(lines) if re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==", line)
                and "--hash=sha256:" not in " ".join(lines[i:i + 2])]
    assert not unhashed, unhashed


def test_the_layer_lock_pins_the_layer_requirements_and_ships_what_the_tests_ran():
    declared = [Requirement(line.split("#", 1)[0].strip()) for line in
                (ROOT / "layers" / "requirements.txt").read_text().splitlines() if line.split("#", 1)[0].strip()]
    layer, dev = _pins(ROOT / "layers" / "requirements.lock"), _pins(ROOT / "requirements.lock")
    assert all(_name(r) in layer and r.specifier.contains(layer[_name(r)], prereleases=True) for r in declared)
    # every declared runtime dependency ships at the version the dev install (and so every test) ran
    differ = {_name(r): (str(layer[_name(r)]), str(dev.get(_name(r)))) for r in declared
              if layer[_name(r)] != dev.get(_name(r))}
    assert not differ, f"layer and dev locks disagree (run `make lock`): {differ}"


def test_the_layer_is_built_from_its_lock():
    assert build.REQUIREMENTS == ROOT / "layers" / "requirements.lock"
    cmd = build.pip_command(Path("/out"))
    assert cmd[cmd.index("-r") + 1].endswith("layers/requirements.lock")
    # the install checks the lock's hashes: pip needs every pin hashed to do so
    assert "--hash=sha256:" in (ROOT / "layers" / "requirements.lock").read_text()


def test_the_sbom_input_leaves_out_what_the_runtime_provides():
    text = supply_chain.layer_requirements()
    names = {line.split("==")[0] for line in text.splitlines() if "==" in line}
    assert "pynamodb" in names and "fastapi" in names
    assert not names & set(build.RUNTIME_PROVIDED)
    assert not text.rstrip().endswith("\\")


def test_an_audit_whose_database_was_unreachable_says_not_audited():
    report = {"dependencies": [
        {"name": "fastapi", "version": "1", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        {"name": "pydantic", "version": "2", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ]}
    result = supply_chain.read_report("requirements.lock", report)
    assert result.checked == 0 and len(result.skipped) == 2
    assert result.verdict().startswith("NOT AUDITED requirements.lock: 2 of 2")
    assert "could not be reached" in result.verdict() and "clean" not in result.verdict().split(";")[0]


def test_an_audit_names_vulnerabilities_and_partial_skips():
    report = {"dependencies": [
        {"name": "fastapi", "version": "1", "vulns": [{"id": "PYSEC-1"}]},
        {"name": "pydantic", "version": "2", "vulns": []},
        {"name": "lily", "skip_reason": "not on PyPI"},
    ]}
    result = supply_chain.read_report("x.lock", report)
    assert result.vulnerable == {"fastapi": ["PYSEC-1"]}
    assert result.verdict().startswith("VULNERABLE x.lock: fastapi (PYSEC-1)")
    partial = supply_chain.read_report("x.lock", {"dependencies": report["dependencies"][1:]})
    assert partial.verdict().startswith("NOT AUDITED x.lock: 1 of 2")
    clean = supply_chain.read_report("x.lock", {"dependencies": report["dependencies"][1:2]})
    assert clean.verdict() == "clean x.lock: 1 packages, no known vulnerability"

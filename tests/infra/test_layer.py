"""The dependency layer: what it is built from, and that it is built without Docker."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from aws_cdk import App, DockerImage, ILocalBundling, Stack
from aws_cdk import aws_lambda as lambda_
from lily_infra import bundling
from lily_infra.bundling import LocalLayerBundler, layer_builder

ROOT = Path(__file__).resolve().parents[2]


def _requirement_names(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            name = re.split(r"[\[<>=!~;\s]", line, maxsplit=1)[0].lower().replace("_", "-")
            out[name] = line.replace(" ", "")
    return out


def test_layer_requirements_mirror_the_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = (ROOT / "layers" / "requirements.txt").read_text().splitlines()
    want = {k: v for k, v in _requirement_names(project).items() if k not in layer_builder().RUNTIME_PROVIDED}
    assert _requirement_names(layer) == want


def test_pip_targets_linux_arm64_cpython_3_14_wheels_only():
    cmd = layer_builder().pip_command(Path("/out/python"))
    assert "--only-binary=:all:" in cmd
    assert cmd[cmd.index("--python-version") + 1] == "3.14"
    assert cmd[cmd.index("--implementation") + 1] == "cp"
    assert cmd[cmd.index("--target") + 1] == "/out/python"
    platforms = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--platform"]
    assert "manylinux2014_aarch64" in platforms and all(p.endswith("_aarch64") for p in platforms)


def test_the_layer_gets_lily_without_the_dev_only_local_runner(tmp_path):
    dest = layer_builder().copy_shared(tmp_path)
    assert (dest / "core" / "functions.py").is_file()
    assert not (dest / "local").exists()
    assert not list(dest.rglob("__pycache__")) and not list(dest.rglob("*.pyc"))
    # lily/local only: a package merely named like it elsewhere is kept
    files = {p.relative_to(layer_builder().SHARED_PACKAGE) for p in layer_builder().shared_files()}
    assert files == {p.relative_to(dest) for p in dest.rglob("*") if p.is_file()}


def test_the_fingerprint_changes_with_the_shared_code(tmp_path):
    builder = layer_builder()
    package = tmp_path / "lily"
    (package / "local").mkdir(parents=True)
    (package / "__init__.py").write_text("x = 1\n")
    (package / "local" / "runner.py").write_text("dev only\n")
    before = builder.source_fingerprint(package=package)
    (package / "local" / "runner.py").write_text("dev only, changed\n")
    assert builder.source_fingerprint(package=package) == before, "dev-only code must not rebuild the layer"
    (package / "__init__.py").write_text("x = 2\n")
    assert builder.source_fingerprint(package=package) != before


def test_local_bundler_implements_ilocalbundling_and_builds_in_process(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(layer_builder(), "build_layer", lambda out: calls.append(out))
    bundler = LocalLayerBundler()
    assert ILocalBundling in LocalLayerBundler.__jsii_ifaces__
    assert bundler.try_bundle(str(tmp_path), image=DockerImage.from_registry("unused")) is True
    assert calls == [tmp_path]


def test_function_code_excludes_bytecode(tmp_path):
    # Given a function folder that has been imported locally (byte-code next to its source)
    folder = tmp_path / "fn"
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "handler.py").write_text("def handler(event, context):\n    return {}\n")
    (folder / "wiring.py").write_text("SPEC = None\n")
    (folder / "__pycache__" / "handler.cpython-314.pyc").write_bytes(b"\x00")
    (folder / "stray.pyc").write_bytes(b"\x00")
    # When CDK stages it as a function's code asset
    app = App(outdir=str(tmp_path / "cdk.out"))
    lambda_.Function(Stack(app, "S"), "F", code=bundling.function_code(folder), handler="handler.handler",
                     runtime=bundling.RUNTIME, architecture=bundling.ARCHITECTURE)
    app.synth()
    staged = [p for p in (tmp_path / "cdk.out").glob("asset.*") if p.is_dir()]
    # Then the bundle holds the sources and no byte-code
    assert len(staged) == 1, staged
    files = {p.relative_to(staged[0]).as_posix() for p in staged[0].rglob("*")}
    assert files == {"handler.py", "wiring.py"}, files


# Deployed modules that still import a module the layer leaves out (each would fail in Lambda if reached):
# (none today: test doubles live under tests/)
KNOWN_IMPORTS_OF_UNSHIPPED: set[tuple[str, str]] = set()


def _imports(path: Path) -> set[str]:
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name.split(".")[0] == "lily"}


def _modules(package: Path) -> dict[str, Path]:
    return {".".join(p.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__"): p
            for p in package.rglob("*.py")}


def test_the_built_layer_ships_no_local_mode_and_no_test_double(tmp_path):
    # Given the real build, run without third-party requirements (no download): lily as Lambda gets it
    empty = tmp_path / "requirements.txt"
    empty.write_text("# nothing to download\n")
    built = layer_builder().build_layer(tmp_path / "layer", requirements=empty) / "python" / "lily"
    modules = _modules(built)
    # Then it holds the deployed capabilities...
    assert {"lily.core.http", "lily.core.handlers", "lily.publishing.publisher"} <= set(modules)
    # ...and neither local mode nor a test double, nor byte-code
    assert not [m for m in modules if m == "lily.local" or m.startswith("lily.local.")]
    assert not [m for m in modules if m.rsplit(".", 1)[-1].startswith("fake")]
    assert not [p for p in built.rglob("*") if p.suffix in (".pyc", ".pyo") or p.name == "__pycache__"]
    # And no shipped module imports one that was left out (it would fail in Lambda)
    left_out = set(_modules(layer_builder().SHARED_PACKAGE)) - set(modules)
    assert "lily.local.runner" in left_out
    reaching = {(name, imported) for name, path in modules.items() for imported in _imports(path)
                if imported in left_out}
    assert reaching <= KNOWN_IMPORTS_OF_UNSHIPPED, sorted(reaching - KNOWN_IMPORTS_OF_UNSHIPPED)

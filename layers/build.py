"""Build Lily's dependency layer without Docker.

The layer holds, under ``python/`` (``/opt/python`` in Lambda):

- the runtime dependencies pinned in ``layers/requirements.lock`` (resolved from ``layers/requirements.txt`` by
  ``make lock``, every pin with its hashes, which pip checks) as Linux arm64 wheels for CPython 3.14
  (``pip install --platform ... --only-binary=:all:`` works on any host: no compiler, no Docker);
- the ``lily`` package from ``shared/lily``, without what is never deployed: ``lily/local`` (the local
  runner and its sandboxes) and test doubles (``fake*.py``; they belong under ``tests/``, and one left in
  ``lily`` is not shipped, so no setting can switch it on in the cloud).

boto3, botocore and s3transfer are removed after the install: the Lambda runtime ships them, and
botocore alone is a third of the layer.

The CDK app calls :func:`build_layer` from its local bundler; run it by hand to inspect a layer::

    python layers/build.py build/layer
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

LAYERS_DIR = Path(__file__).resolve().parent
ROOT = LAYERS_DIR.parent
REQUIREMENTS = LAYERS_DIR / "requirements.lock"  # the pinned, hashed set `make lock` resolves from requirements.txt
SHARED_PACKAGE = ROOT / "shared" / "lily"

PYTHON_VERSION = "3.14"
# Lambda's python3.14 runtime runs on Amazon Linux 2023 (glibc 2.34): manylinux2014 wheels and the
# newer manylinux_2_28 / 2_34 ones all load. Listing them lets pip pick whichever a project ships.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
# Provided by the Lambda runtime; pulled in transitively (pynamodb -> botocore).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Dev-only subpackages of lily, relative to the package root.
EXCLUDED_SUBPACKAGES = ("local",)
# Test doubles, wherever they sit in lily (file name patterns).
TEST_ONLY_MODULES = ("fake*.py",)
# Lambda allows 250 MB unzipped for function code plus layers.
MAX_LAYER_BYTES = 200 * 1024 * 1024


def pip_command(target: Path, requirements: Path = REQUIREMENTS) -> list[str]:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
           "-r", str(requirements), "--target", str(target),
           "--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp"]
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    return cmd


def install_dependencies(target: Path, requirements: Path = REQUIREMENTS) -> None:
    subprocess.run(pip_command(target, requirements), check=True)  # noqa: S603 - fixed argv, no shell
    for name in RUNTIME_PROVIDED:
        shutil.rmtree(target / name, ignore_errors=True)
        for info in target.glob(f"{name}-*.dist-info"):
            shutil.rmtree(info, ignore_errors=True)
    shutil.rmtree(target / "bin", ignore_errors=True)


def _ignore_for(package_root: Path):
    excluded = {(package_root / sub).resolve() for sub in EXCLUDED_SUBPACKAGES}

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).resolve()
        skipped = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".pyo"))}
        skipped |= {n for n in names if (here / n) in excluded}
        skipped |= {n for n in names if any(fnmatch.fnmatch(n, p) for p in TEST_ONLY_MODULES)
                    and (here / n).is_file()}
        return skipped

    return ignore


def copy_shared(target: Path, package: Path = SHARED_PACKAGE) -> Path:
    """Copy ``shared/lily`` to ``target/lily`` without dev-only code and byte-code."""
    dest = target / "lily"
    shutil.copytree(package, dest, ignore=_ignore_for(package), dirs_exist_ok=True)
    return dest


def layer_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build_layer(out_dir: Path | str, requirements: Path = REQUIREMENTS, package: Path = SHARED_PACKAGE) -> Path:
    """Build the layer into ``out_dir`` (``out_dir/python/...``); returns ``out_dir``."""
    out = Path(out_dir)
    target = out / "python"
    target.mkdir(parents=True, exist_ok=True)
    install_dependencies(target, requirements)
    copy_shared(target, package)
    size = layer_size(out)
    if size > MAX_LAYER_BYTES:
        raise RuntimeError(f"dependency layer is {size / 2**20:.0f} MiB, over {MAX_LAYER_BYTES / 2**20:.0f} MiB")
    return out


def shared_files(package: Path = SHARED_PACKAGE) -> list[Path]:
    """The files of ``shared/lily`` that go into the layer, in a stable order."""
    ignore = _ignore_for(package)
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(package):
        skipped = ignore(dirpath, [*dirnames, *filenames])
        dirnames[:] = sorted(d for d in dirnames if d not in skipped)
        files += [Path(dirpath) / f for f in sorted(filenames) if f not in skipped]
    return files


def source_fingerprint(requirements: Path = REQUIREMENTS, package: Path = SHARED_PACKAGE) -> str:
    """A hash of everything the layer is built from: a new layer version exactly when it changes."""
    digest = hashlib.sha256()
    digest.update(" ".join(pip_command(Path("/target"), Path("/requirements.txt"))[3:]).encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(requirements.read_bytes())
    for path in shared_files(package):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "build" / "layer"
    if out.exists():
        shutil.rmtree(out)
    build_layer(out)
    print(f"layer built in {out} ({layer_size(out) / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

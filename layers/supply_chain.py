"""Supply chain: the CycloneDX SBOM of the deployed layer, and pip-audit over the locked sets.

    python layers/supply_chain.py sbom build/sbom/layer.cdx.json
    python layers/supply_chain.py audit requirements.lock layers/requirements.lock

``sbom`` describes what the Lambda layer ships: the pins of ``layers/requirements.lock`` less the packages the
runtime provides (:data:`build.RUNTIME_PROVIDED`, which the layer build removes), with Lily (``pyproject.toml``)
as the root component. It reads the lock only: no install, no network.

``audit`` runs pip-audit on each lock as it is (``--no-deps --disable-pip``: the pinned, hashed set, nothing
resolved again) and reads its JSON report. pip-audit skips a package it could not look up and still exits 0, so
a vulnerability service that cannot be reached would look like a clean audit. This reads the skips instead:
when packages could not be checked it prints ``NOT AUDITED`` with the count and the reason, and exits 0 (skipped,
said so, never green); a vulnerability found exits 1.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

LAYERS_DIR = Path(__file__).resolve().parent
ROOT = LAYERS_DIR.parent
LAYER_LOCK = LAYERS_DIR / "requirements.lock"
BIN = Path(sys.executable).parent

sys.path.insert(0, str(LAYERS_DIR))
from build import RUNTIME_PROVIDED  # noqa: E402 - the layer build's own list

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==")


def _blocks(lock_text: str) -> list[tuple[str, list[str]]]:
    """The lock's requirements as (normalised name, its lines: the pin, its hashes and comments)."""
    blocks: list[tuple[str, list[str]]] = []
    for line in lock_text.splitlines():
        m = _PIN.match(line)
        if m:
            blocks.append((m.group(1).lower().replace("_", "-"), [line]))
        elif blocks and line.startswith(" "):
            blocks[-1][1].append(line)
    return blocks


def layer_requirements(lock: Path = LAYER_LOCK) -> str:
    """The layer lock without the runtime-provided packages (and their hashes)."""
    kept = [lines for name, lines in _blocks(lock.read_text()) if name not in RUNTIME_PROVIDED]
    out = []
    for lines in kept:
        lines = list(lines)
        lines[-1] = lines[-1].rstrip(" \\")
        out += [ln for ln in lines if not ln.strip().startswith("#")]
    return "\n".join(out) + "\n"


def sbom(out: Path, lock: Path = LAYER_LOCK) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as reqs:
        reqs.write(layer_requirements(lock))
    subprocess.run([str(BIN / "cyclonedx-py"), "requirements", reqs.name, "--pyproject", str(ROOT / "pyproject.toml"),  # noqa: S603
                    "--output-reproducible", "--of", "JSON", "-o", str(out)], check=True)
    Path(reqs.name).unlink()
    components = json.loads(out.read_text()).get("components", [])
    print(f"SBOM (CycloneDX) of the layer: {out} ({len(components)} components)")
    return out


@dataclass
class AuditResult:
    lock: str
    checked: int
    skipped: dict[str, str]
    vulnerable: dict[str, list[str]]

    def verdict(self) -> str:
        if self.vulnerable:
            found = ", ".join(f"{n} ({', '.join(v)})" for n, v in sorted(self.vulnerable.items()))
            return f"VULNERABLE {self.lock}: {found}"
        if self.skipped:
            reason = next(iter(self.skipped.values()))
            whole = "the vulnerability database could not be reached: " if not self.checked else ""
            return (f"NOT AUDITED {self.lock}: {len(self.skipped)} of {self.checked + len(self.skipped)} "
                    f"packages could not be checked ({whole}{reason}); skipped, not clean")
        return f"clean {self.lock}: {self.checked} packages, no known vulnerability"


def read_report(lock: str, report: dict) -> AuditResult:
    """pip-audit's JSON report: packages checked, skipped (with pip-audit's reason) and vulnerable."""
    checked, skipped, vulnerable = 0, {}, {}
    for dep in report.get("dependencies", []):
        name = dep.get("name", "?")
        if "skip_reason" in dep:
            skipped[name] = dep["skip_reason"]
            continue
        checked += 1
        ids = [v.get("id", "?") for v in dep.get("vulns", [])]
        if ids:
            vulnerable[name] = ids
    return AuditResult(lock, checked, skipped, vulnerable)


def audit_lock(lock: Path) -> AuditResult:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        run = subprocess.run(  # noqa: S603 - fixed argv
            [str(BIN / "pip-audit"), "-r", str(lock), "--no-deps", "--disable-pip", "--progress-spinner", "off",
             "--timeout", "15", "-f", "json", "-o", str(report)],
            capture_output=True, text=True)
        if report.is_file() and report.stat().st_size:
            return read_report(str(lock), json.loads(report.read_text()))
    # No report at all: pip-audit failed before auditing (its service refused every lookup, no network).
    reason = (run.stderr.strip().splitlines() or ["pip-audit failed"])[-1][:300]
    names = [name for name, _ in _blocks(lock.read_text())]
    return AuditResult(str(lock), 0, dict.fromkeys(names, reason), {})


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[1] == "sbom":
        sbom(Path(argv[2]) if len(argv) > 2 else ROOT / "build" / "sbom" / "layer.cdx.json")
        return 0
    if len(argv) >= 2 and argv[1] == "audit":
        locks = [Path(a) for a in argv[2:]] or [ROOT / "requirements.lock", LAYER_LOCK]
        results = [audit_lock(lock) for lock in locks]
        for r in results:
            print(r.verdict())
        return 1 if any(r.vulnerable for r in results) else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

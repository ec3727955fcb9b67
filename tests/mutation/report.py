"""Print the mutation score of each pure-logic module from mutmut's results (``make mutation``).

Reads the ``.meta`` files mutmut writes next to each mutated file under ``mutants/`` and the list of
equivalent mutants in ``tests/mutation/equivalent.md``. Score = (killed + timed out) / (mutants in scope -
listed equivalents). A module's scope is every function in it, except where :data:`SCOPE` names the
pure functions of a module that also does I/O (those functions are exercised by tests/integration).
The ``raw`` column counts the equivalents as survivors. Exits 1 when a module's score is under
:data:`TARGET` or a survivor is neither killed nor listed.

    python tests/mutation/report.py [--survivors] [--only MODULE]

``--only publishing.retry`` reports that module alone (``make mutation-smoke`` mutates only it).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = ROOT / "mutants" / "src"
EQUIVALENT = Path(__file__).with_name("equivalent.md")
TARGET = 0.85

# module -> the functions in scope (None: all of them). The others talk to DynamoDB.
SCOPE: dict[str, set[str] | None] = {
    "lily.identity.passwords": None,
    "lily.identity.totp": None,
    "lily.identity.tokens": None,
    "lily.social.constraints": None,
    "lily.publishing.retry": None,
    "lily.publishing.states": {"shard_of", "due_sk", "shards", "post_status"},
    "lily.billing.plans": None,
    "lily.billing.entitlements": {"effective_plan_id", "period_of"},
}

# mutmut's exit-code meaning (mutmut.stats.status_by_exit_code)
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def function_of(mutant: str, module: str) -> str:
    """``lily.x.y.x_f__mutmut_3`` → ``f``; ``lily.x.y.xǁPlanǁhas__mutmut_1`` → ``Plan.has``."""
    mangled = mutant[len(module) + 1:].partition("__mutmut_")[0]
    if mangled.startswith("xǁ"):
        _, cls, name = mangled.split("ǁ")
        return f"{cls}.{name}"
    return mangled.removeprefix("x_")


def in_scope(module: str, function: str) -> bool:
    wanted = SCOPE[module]
    return wanted is None or function in wanted


def equivalents() -> set[str]:
    return set(re.findall(r"`(lily\.[\w.ǁ]+__mutmut_\d+)`", EQUIVALENT.read_text())) if EQUIVALENT.exists() else set()


def results(modules: list[str]) -> dict[str, dict[str, str]]:
    """module -> {mutant name: status}, in scope only."""
    out: dict[str, dict[str, str]] = {m: {} for m in modules}
    for meta in MUTANTS.rglob("*.py.meta"):
        module = ".".join(meta.relative_to(MUTANTS).with_suffix("").with_suffix("").parts)
        if module not in out:
            continue
        for mutant, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if in_scope(module, function_of(mutant, module)):
                out[module][mutant] = STATUS.get(code, "suspicious")
    return out


def main(argv: list[str]) -> int:
    if not MUTANTS.exists():
        print("no mutmut results: run `make mutation`", file=sys.stderr)
        return 2
    modules = list(SCOPE)
    if "--only" in argv:
        modules = [f"lily.{argv[argv.index('--only') + 1]}"]
        if modules[0] not in SCOPE:
            print(f"unknown module {modules[0]}; one of {', '.join(SCOPE)}", file=sys.stderr)
            return 2
    listed = equivalents()
    found = results(modules)
    failed = False
    unexplained: list[str] = []
    header = (f"{'module':<28}{'mutants':>8}{'killed':>8}{'survived':>9}{'no tests':>9}{'timeout':>8}"
              f"{'equiv.':>7}{'raw':>8}{'score':>8}")
    print(header)
    print("-" * len(header))
    for module, statuses in found.items():
        n = Counter(statuses.values())
        equiv = sum(1 for m, s in statuses.items() if m in listed and s != "killed")
        scored = len(statuses) - equiv
        score = (n["killed"] + n["timeout"]) / scored if scored else 0.0
        raw = (n["killed"] + n["timeout"]) / len(statuses) if statuses else 0.0
        failed |= score < TARGET or n["not checked"] > 0
        unexplained += [m for m, s in statuses.items() if s not in ("killed", "timeout") and m not in listed]
        print(f"{module.removeprefix('lily.'):<28}{len(statuses):>8}{n['killed']:>8}{n['survived']:>9}"
              f"{n['no tests']:>9}{n['timeout']:>8}{equiv:>7}{raw:>8.1%}{score:>8.1%}")
    in_report = tuple(f"{m}." for m in modules)
    stale = sorted(m for m in listed - {m for s in found.values() for m in s} if m.startswith(in_report))
    if stale:
        print(f"\nlisted as equivalent but not found (re-check {EQUIVALENT.name}): {', '.join(stale)}")
    if unexplained:
        print(f"\n{len(unexplained)} mutants neither killed nor listed in {EQUIVALENT.name} (`mutmut show NAME`):")
        if "--survivors" in argv or len(unexplained) <= 40:
            print("\n".join(f"  {m}" for m in sorted(unexplained)))
    print(f"\ntarget: {TARGET:.0%} per module; out of scope (I/O, tested in tests/integration): "
          + "; ".join(f"{m.removeprefix('lily.')}: all but {', '.join(sorted(f))}" for m, f in SCOPE.items() if f))
    return 1 if failed or unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

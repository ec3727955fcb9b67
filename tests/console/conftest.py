"""The console in a real browser: local mode as ``make run`` starts it, Debian's headless Chromium driven by
Playwright (pointed at the system browser, never a browser download), axe-core injected into each page.

``make install`` installs the browser (apt) and axe-core (npm, into .venv/axe); without them this suite fails
saying which is missing, it does not skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import LocalMode

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BROWSER = os.environ.get("LILY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "Console-Test-Passw0rd!"


def AXE_SOURCE() -> str:  # noqa: N802 - read once, used like a constant
    global _AXE
    if _AXE is None:
        _AXE = AXE.read_text() + "\n;true"
    return _AXE


_AXE: str | None = None


def _require(path: str | Path, what: str) -> None:
    if not Path(path).is_file():
        pytest.fail(f"{what} is missing at {path}: run `make install` (its browser step installs it)")


@pytest.fixture(scope="session")
def lily():
    lm = LocalMode()
    lm.wait_ready()
    yield lm
    lm.stop()


@pytest.fixture(scope="session")
def browser():
    _require(BROWSER, "Chromium (apt-get install chromium)")
    _require(AXE, "axe-core (npm install axe-core)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=BROWSER, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


class Console:
    """One person's browser tab on the console, with the checks every page gets."""

    def __init__(self, page, lily: LocalMode) -> None:
        self.page = page
        self.lily = lily
        self.base = lily.base_url
        self.scans: dict[str, list[dict]] = {}
        self.console_errors: list[str] = []
        self.email = ""
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def go(self, path: str):
        return self.page.goto(self.base + path)

    def check(self, name: str) -> list[dict]:
        """axe-core on the page as it is now: the serious and critical violations (none expected), plus a
        screenshot under tests/console/artefacts/."""
        ARTEFACTS.mkdir(exist_ok=True)
        # caret="initial": hiding the caret injects a <style>, which the page's CSP rightly refuses
        self.page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True, caret="initial")
        # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') rightly refuses an injected
        # <script>, and the test must not loosen it (bypass_csp would also hide the pages' own violations)
        self.page.evaluate(AXE_SOURCE())
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5]}
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
        self.scans[name] = bad
        return bad

    def outbox_token(self, to: str, path: str) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for message in self.lily.client.get("/_local/outbox", params={"to": to}).json():
                for link in message["links"]:
                    m = re.search(re.escape(path) + r"\?token=([^&\s]+)", link)
                    if m:
                        return m.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no email to {to} with a link to {path}")


@pytest.fixture(scope="session")
def scans():
    found: dict[str, list[dict]] = {}
    yield found
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / "axe.json").write_text(json.dumps(found, indent=2))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test leaves a screenshot of where it stopped (artefacts/FAILED-<test>.png)."""
    outcome = yield
    report = outcome.get_result()
    person = item.funcargs.get("person") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and person is not None:
        ARTEFACTS.mkdir(exist_ok=True)
        try:
            person.page.screenshot(path=str(ARTEFACTS / f"FAILED-{item.name}.png"), full_page=True, caret="initial")
        except Exception as exc:  # noqa: BLE001 - the failure itself is what the report shows
            report.sections.append(("screenshot", f"no screenshot: {exc}"))

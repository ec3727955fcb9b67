"""Local mode as a subprocess, exactly as ``make run`` starts it."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from lily.local.runner import free_port

ROOT = Path(__file__).resolve().parents[2]
OPERATOR_TOKEN = "local-mode-operator"  # sent as X-Operator-Token to /health/deep
OPERATOR_TOKEN_SHA256 = hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest()


class LocalMode:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LILY_", "AWS_"))}
        env.update({"LILY_HOST": "127.0.0.1", "LILY_PORT": str(self.port), "PYTHONUNBUFFERED": "1",
                    "LILY_HEALTH_OPERATOR_TOKEN_SHA256": OPERATOR_TOKEN_SHA256})
        env.update(extra_env or {})
        self.log_path = Path(tempfile.mkstemp(prefix="lily-e2e-", suffix=".log")[1])
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "lily.local"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.client = httpx.Client(base_url=self.base_url, timeout=10)

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"local mode exited early: {self.output()}")
            try:
                if self.client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"local mode did not become ready: {self.output()}")

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()[-4000:]

    # Local mode's own shutdown budget is about 12 s (uvicorn 2 s, workers 5 s, sandboxes 5 s); on a loaded 2-core
    # machine (e2e and contract run beside the reliability and integration suites in make test) its threads get
    # little CPU, and a 15 s wait once ran out at load 24: the wait is generous, the clean exit (code 0) is what the
    # tests check.
    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 60) -> int:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout_s)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.log.close()


@pytest.fixture(scope="module")
def local_mode():
    lm = LocalMode()
    lm.wait_ready()
    yield lm
    lm.stop()

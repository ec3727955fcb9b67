"""Outbound webhook fixtures: receivers on loopback that local settings let Lily reach."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def docs_verifier():
    """The ``verify`` function of docs/webhooks.md's Python block, built from the page alone."""
    text = DOCS.read_text()
    section = text[text.index("### Verifying a delivery (Python)"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10, "the docs promise a 10-line verifier"
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - the docs' own code, under test
    return namespace["verify"]


class Receiver:
    """A receiver on 127.0.0.1: stores each POST (headers, raw body) and answers ``status`` (settable)."""

    def __init__(self) -> None:
        self.got: list[tuple[dict, bytes]] = []
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.got.append((self.headers, body))
                self.send_response(owner.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if owner.status < 300 else b"receiver says no " * 200)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def allow_local(monkeypatch, *authorities: str) -> None:
    """Local mode's webhook settings: plain http, and these host:port pairs through the SSRF guard."""
    from lily.core.config import reset_settings

    monkeypatch.setenv("LILY_WEBHOOKS_HTTPS_ONLY", "false")
    monkeypatch.setenv("LILY_WEBHOOKS_ALLOWED_PRIVATE", json.dumps(list(authorities)))
    reset_settings()


@pytest.fixture
def receiver(lily_env, monkeypatch):
    r = Receiver()
    allow_local(monkeypatch, f"127.0.0.1:{r.port}")
    yield r
    r.close()

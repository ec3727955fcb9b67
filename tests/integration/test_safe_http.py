"""The SSRF guard's connections (lily.core.safe_http): small servers on loopback, allowed through
``allowed_private`` the way local mode allows its sandboxes; the host name exists in no DNS, so only the guard's own
(fake) resolver can lead the request there."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lily.core.safe_http import FetchPolicy, Refused, fetch


def resolver(*addresses: str, calls: list | None = None):
    def resolve(host, port, type=0):
        if calls is not None:
            calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]
    return resolve


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/drip":  # headers at once, then one byte every 0.3 s for 6 s
            self.send_response(200)
            self.send_header("Content-Length", "20")
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.3)
            return
        if self.path == "/redirect-home":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/secret")
            self.end_headers()
            return
        if self.path == "/big":
            body = b"y" * 5000
        else:
            body = f"host={self.headers['Host']} path={self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_port
    httpd.shutdown()


def _policy(port: int, **kw) -> FetchPolicy:
    return FetchPolicy(allowed_private=(f"pinned.invalid:{port}",), https_only=False, **kw)


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(server):
    calls: list[str] = []
    answer = fetch("GET", f"http://pinned.invalid:{server}/hello", policy=_policy(server),
                   resolve=resolver("127.0.0.1", calls=calls))
    # ``pinned.invalid`` exists in no DNS: the request reached the server only through the one checked answer, so a
    # rebinding resolver's second answer is never asked for
    assert answer.status_code == 200 and calls == ["pinned.invalid"]
    assert answer.body == f"host=pinned.invalid:{server} path=/hello".encode()
    assert answer.address == "127.0.0.1"


def test_the_total_time_limit_holds_against_a_server_dripping_bytes(server):
    started = time.monotonic()
    with pytest.raises(Refused, match="total time limit"):
        fetch("GET", f"http://pinned.invalid:{server}/drip", policy=_policy(server, total_timeout_s=1.0),
              resolve=resolver("127.0.0.1"))
    assert time.monotonic() - started < 3.0  # the drip alone would take 6 s


def test_redirects_are_returned_not_followed_unless_the_policy_allows_them(server):
    policy = _policy(server)
    answer = fetch("GET", f"http://pinned.invalid:{server}/redirect-home", policy=policy,
                   resolve=resolver("127.0.0.1"))
    assert answer.status_code == 302
    following = _policy(server, max_redirects=2)
    with pytest.raises(Refused, match="non-public"):  # the Location (127.0.0.1 by IP) is checked like the first URL
        fetch("GET", f"http://pinned.invalid:{server}/redirect-home", policy=following, resolve=resolver("127.0.0.1"))


def test_an_answer_past_the_size_cap_is_refused(server):
    with pytest.raises(Refused, match="size cap"):
        fetch("GET", f"http://pinned.invalid:{server}/big", policy=_policy(server, max_bytes=1024),
              resolve=resolver("127.0.0.1"))

"""The one way Lily's servers reach a URL a customer gave them (feeds, webhook targets, media URLs): an SSRF guard.

A URL a customer types is fetched from inside the cloud, where the instance metadata service, the Lambda Runtime API
(on loopback) and private VPC addresses are reachable. Every server-side fetch of such a URL goes through
:func:`fetch`, which

- accepts only ``https`` (and ``http`` where the policy allows it), a host, no credentials in the URL;
- resolves the host **once** and refuses it unless **every** address is public: private (RFC 1918, ULA), loopback,
  link-local (169.254.169.254 included), multicast, reserved, unspecified and carrier-grade NAT addresses are
  refused (``ipaddress``'s ``is_global``; IPv4-mapped IPv6 is unwrapped first);
- **connects to the address it checked**: the request goes to that IP with the original ``Host`` header and TLS
  server name (SNI and certificate check on the host name), so no second DNS lookup can happen between the check and
  the connection (a rebinding resolver gets one answer, and that answer is the one used);
- follows no redirect unless the policy allows some; each ``Location`` is then checked like the first URL;
- holds a **total** time limit over connect, TLS, headers and body: a watchdog shuts the socket down at the deadline,
  so a server dripping one byte at a time cannot keep the fetch open past it;
- caps the body: a ``Content-Length`` or a body past ``max_bytes`` is refused without reading further.

Local mode names the sandboxes' own ``host:port`` pairs in ``allowed_private`` (and nothing else) so loopback
sandboxes can be reached; in the cloud the tuple is empty.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx


class Refused(Exception):
    """The URL, the address it resolves to, or the answer is not allowed (or did not come in time)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class FetchPolicy(NamedTuple):
    allowed_private: tuple[str, ...] = ()
    https_only: bool = True
    max_bytes: int = 1_000_000
    total_timeout_s: float = 10.0
    connect_timeout_s: float = 3.0
    max_redirects: int = 0
    user_agent: str = "Lily/1.0"


class Fetched(NamedTuple):
    status_code: int
    headers: httpx.Headers
    body: bytes
    url: str
    address: str
    elapsed_s: float


class Target(NamedTuple):
    """A checked URL: where to connect (``address``) and what to call the host."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check(url: str, policy: FetchPolicy, resolve=socket.getaddrinfo) -> Target:
    """The address to connect to for ``url``, or :class:`Refused`. The host is resolved here and only here."""
    parts = urlsplit(url)
    schemes = ("https",) if policy.https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname:
        raise Refused(f"only {' and '.join(schemes)} URLs with a host")
    if parts.username or parts.password:
        raise Refused("credentials in the URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("bad port") from None
    host = parts.hostname
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise Refused("the host does not resolve") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Refused("the host does not resolve")
    if f"{host}:{port}" not in policy.allowed_private:
        for address in addresses:
            if not _public(address):
                raise Refused(f"the host resolves to a non-public address ({address.split('%', 1)[0]})")
    return Target(url=url, scheme=parts.scheme, host=host, port=port, address=addresses[0])


def _pinned_url(target: Target) -> str:
    parts = urlsplit(target.url)
    literal = f"[{target.address}]" if ":" in target.address else target.address
    return urlunsplit((parts.scheme, f"{literal}:{target.port}", parts.path or "/", parts.query, ""))


class _Watchdog:
    """Shuts the connection's socket down at the deadline, which wakes a read blocked on it."""

    def __init__(self, seconds: float):
        self.socket: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def trace(self, name: str, info: dict) -> None:
        if name in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            if stream is not None:
                self.socket = stream.get_extra_info("socket")
                if self.fired:
                    self._fire()

    def _fire(self) -> None:
        self.fired = True
        if self.socket is not None:
            try:
                self.socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()


def _once(client: httpx.Client, method: str, target: Target, policy: FetchPolicy, headers: dict, content,
          deadline: float) -> Fetched:
    started = time.monotonic()
    remaining = deadline - started
    if remaining <= 0:
        raise Refused("the total time limit was reached")
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    request = client.build_request(
        method, _pinned_url(target), headers={**headers, "Host": host_header}, content=content,
        timeout=httpx.Timeout(remaining, connect=min(policy.connect_timeout_s, remaining)))
    with _Watchdog(remaining) as watchdog:
        request.extensions = {**request.extensions, "trace": watchdog.trace,
                              **({"sni_hostname": target.host} if target.scheme == "https" else {})}
        try:
            response = client.send(request, stream=True)
            try:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                    raise Refused("the answer is larger than the size cap")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > policy.max_bytes:
                        raise Refused("the answer is larger than the size cap")
                    if time.monotonic() > deadline:
                        raise Refused("the total time limit was reached")
            finally:
                response.close()
        except httpx.HTTPError as exc:
            if watchdog.fired or time.monotonic() >= deadline:
                raise Refused("the total time limit was reached") from None
            raise Refused(f"the request failed ({type(exc).__name__})") from None
    if watchdog.fired:
        raise Refused("the total time limit was reached")
    return Fetched(status_code=response.status_code, headers=response.headers, body=bytes(body), url=target.url,
                   address=target.address, elapsed_s=time.monotonic() - started)


def fetch(method: str, url: str, *, policy: FetchPolicy, headers: dict[str, str] | None = None,
          content: bytes | None = None, resolve=socket.getaddrinfo) -> Fetched:
    """``method url`` through the guard; the answer whatever its status (a redirect past the policy's count is
    returned as is when ``max_redirects`` is 0, refused otherwise)."""
    deadline = time.monotonic() + policy.total_timeout_s
    sent = {"User-Agent": policy.user_agent, **(headers or {})}
    with httpx.Client(follow_redirects=False, trust_env=False) as client:
        for hop in range(policy.max_redirects + 1):
            answer = _once(client, method, check(url, policy, resolve), policy, sent, content, deadline)
            location = answer.headers.get("location")
            if not (300 <= answer.status_code < 400 and location) or policy.max_redirects == 0:
                return answer
            if hop == policy.max_redirects:
                raise Refused("too many redirects")
            url, method, content = urljoin(url, location), "GET", None
    raise Refused("too many redirects")  # pragma: no cover - the loop returns or raises

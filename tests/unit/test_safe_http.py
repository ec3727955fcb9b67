"""The SSRF guard of every server-side fetch of a customer's URL (lily.core.safe_http).

Address checks, with a fake resolver (no network); tests/integration/test_safe_http.py connects to servers on
loopback.
"""

from __future__ import annotations

import socket

import pytest

from lily.core.safe_http import FetchPolicy, Refused, check

CLOUD = FetchPolicy()  # https only, nothing private allowed: what a deployed function gets


def resolver(*addresses: str, calls: list | None = None):
    def resolve(host, port, type=0):
        if calls is not None:
            calls.append(host)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]
    return resolve


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",  # metadata service
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
])
def test_a_host_resolving_to_a_non_public_address_is_refused(address):
    with pytest.raises(Refused, match="non-public address"):
        check("https://hooks.example.com/in", CLOUD, resolve=resolver(address))


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(Refused, match="non-public"):
        check("https://hooks.example.com/in", CLOUD, resolve=resolver("93.184.215.14", "10.0.0.1"))


def test_a_public_host_passes_and_names_the_address_to_connect_to():
    target = check("https://hooks.example.com/in", CLOUD, resolve=resolver("93.184.215.14", "2606:2800:21f:cb07::1"))
    assert (target.host, target.port, target.address) == ("hooks.example.com", 443, "93.184.215.14")


@pytest.mark.parametrize("url", ["http://hooks.example.com/in", "ftp://hooks.example.com/rss", "file:///etc/passwd",
                                 "https://user:pw@example.com/", "gopher://example.com", "https:///nohost",
                                 "https://example.com:99999/"])
def test_plain_http_other_schemes_credentials_and_bad_urls_are_refused(url):
    with pytest.raises(Refused):
        check(url, CLOUD, resolve=resolver("93.184.215.14"))


def test_plain_http_is_allowed_only_where_the_policy_says_so():
    assert check("http://feeds.example.com/rss", FetchPolicy(https_only=False),
                 resolve=resolver("93.184.215.14")).port == 80


def test_an_unresolvable_host_is_refused():
    def fails(host, port, type=0):
        raise socket.gaierror("no such host")

    with pytest.raises(Refused, match="does not resolve"):
        check("https://nowhere.invalid/feed", CLOUD, resolve=fails)


def test_allowed_private_names_exactly_one_host_and_port():
    local = FetchPolicy(allowed_private=("127.0.0.1:8123",), https_only=False)
    check("http://127.0.0.1:8123/feeds/hr-tech.rss", local, resolve=resolver("127.0.0.1"))
    with pytest.raises(Refused):  # another port of the same host is not the sandbox
        check("http://127.0.0.1:8124/feeds/hr-tech.rss", local, resolve=resolver("127.0.0.1"))

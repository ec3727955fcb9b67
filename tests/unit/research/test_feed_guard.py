"""The SSRF guard of feed fetches, and feed parsing (no network: addresses come from a fake resolver)."""

from __future__ import annotations

import socket

import pytest

from lily.local.sandboxes.feeds import atom, rss
from lily.research.feeds import FeedRefused, check_url, parse, plain
from lily.research.settings import ResearchSettings


def resolver(*addresses: str):
    def resolve(host, port, type=0):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]
    return resolve


CLOUD = ResearchSettings()  # the defaults: what a deployed function gets


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",  # metadata service
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
])
def test_a_host_resolving_to_a_non_public_address_is_refused(address):
    with pytest.raises(FeedRefused, match="non-public address"):
        check_url("https://feeds.example.com/rss", CLOUD, resolve=resolver(address))


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(FeedRefused):
        check_url("https://feeds.example.com/rss", CLOUD, resolve=resolver("93.184.215.14", "10.0.0.1"))


def test_a_public_host_passes():
    check_url("https://feeds.example.com/rss", CLOUD, resolve=resolver("93.184.215.14", "2606:2800:21f:cb07::1"))


@pytest.mark.parametrize("url", ["ftp://feeds.example.com/rss", "file:///etc/passwd", "https://user:pw@example.com/",
                                 "gopher://example.com", "https:///nohost", "https://example.com:99999/"])
def test_other_schemes_credentials_and_bad_urls_are_refused(url):
    with pytest.raises(FeedRefused):
        check_url(url, CLOUD, resolve=resolver("93.184.215.14"))


def test_an_unresolvable_host_is_refused():
    def fails(host, port, type=0):
        raise socket.gaierror("no such host")

    with pytest.raises(FeedRefused, match="does not resolve"):
        check_url("https://nowhere.invalid/feed", CLOUD, resolve=fails)


def test_local_mode_allows_exactly_the_feeds_sandbox():
    local = ResearchSettings(feed_allowed_private=["127.0.0.1:8123"])
    check_url("http://127.0.0.1:8123/feeds/hr-tech.rss", local, resolve=resolver("127.0.0.1"))
    with pytest.raises(FeedRefused):  # another port of the same host is not the sandbox
        check_url("http://127.0.0.1:8124/feeds/hr-tech.rss", local, resolve=resolver("127.0.0.1"))


def test_rss_and_atom_parse_to_plain_text_entries():
    entries = parse("https://f/rss", rss("https://f"), 50) + parse("https://f/atom", atom("https://f"), 50)
    assert len(entries) == 12
    assert all(e.title and e.text and e.url.startswith("https://f/articles/") and e.published_at for e in entries)
    assert len(parse("https://f/rss", rss("https://f"), 2)) == 2  # capped


def test_something_that_is_not_a_feed_is_refused():
    with pytest.raises(FeedRefused, match="not an RSS or Atom feed"):
        parse("https://f/x", b"<html><body>hello</body></html>", 50)


def test_markup_is_reduced_to_text():
    assert plain("<p>Hello &amp; <b>welcome</b></p>\n\n  back") == "Hello & welcome back"

"""Feed parsing: RSS and Atom to plain-text entries (the fetch's guard is tested in tests/unit/test_safe_http.py)."""

from __future__ import annotations

import pytest

from lily.local.sandboxes.feeds import atom, rss
from lily.research.feeds import FeedRefused, parse, plain


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

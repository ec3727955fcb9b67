"""Mentions polling (X ``GET /2/users/:id/mentions``): every run reads from the last seen id, paced; a mention both
delivered by webhook and polled is stored once; a failing platform leaves the cursor where it was."""

from __future__ import annotations

import httpx
import pytest

from lily.core import clock
from lily.core.pages import PageParams
from lily.local.serve import ThreadedServer
from lily.social import inbox, mentions_poll
from lily.social.models import MentionCursor
from tests.helpers import drain
from tests.integration.social.conftest import connect, set_plan
from tests.support.identity import create_org, register_user


@pytest.fixture
def x_account(http, sandboxes):
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "pro")
    conn = connect(http, user["headers"], org_id, "x")["connections"][0]
    return {"org_id": org_id, **conn}


def _mention(sandbox, account_id: str, text: str, url: str = "off") -> dict:
    """A mention at X; ``url="off"``: X sends no webhook (the account has no Account Activity subscription)."""
    httpx.post(f"{sandbox.base_url}/_sandbox/config", json={"webhook_url": url}, timeout=5)
    return httpx.post(f"{sandbox.base_url}/_sandbox/engagement", timeout=10,
                      json={"kind": "mention", "account_id": account_id, "text": text}).json()


def _items(org_id: str) -> list:
    return inbox.list_items(org_id, PageParams(limit=100)).items


def test_mentions_are_polled_from_the_last_seen_id_and_stored_once(x_account, local_suite, sandboxes):
    sandbox, org = sandboxes["x"], x_account["org_id"]
    first = [_mention(sandbox, x_account["account_id"], f"@lily question {i}") for i in range(2)]
    assert not any(m["delivered"] for m in first)
    pauses: list[float] = []
    # When the poll runs
    report = mentions_poll.run(sleep=pauses.append)
    assert (report.polled, report.queued) == (1, 2)
    drain(local_suite)
    # Then both mentions are inbox items, and the cursor holds the newest
    assert sorted(i.text for i in _items(org)) == ["@lily question 0", "@lily question 1"]
    newest = max((m["event"]["tweet_create_events"][0]["id_str"] for m in first), key=int)
    assert MentionCursor.get(org, x_account["connection_id"]).since_id == newest
    # When it runs again at once (a doubled schedule), the account is not read twice
    calls = len(sandbox.state.calls)
    assert mentions_poll.run(sleep=pauses.append).outcomes == {"recent": 1}
    assert len(sandbox.state.calls) == calls
    # When a third mention comes and the next run is due, only it is read (since_id)
    third = _mention(sandbox, x_account["account_id"], "@lily one more")
    clock.advance(900)
    report = mentions_poll.run(sleep=pauses.append)
    assert (report.polled, report.queued) == (1, 1)
    drain(local_suite)
    assert len(_items(org)) == 3
    assert MentionCursor.get(org, x_account["connection_id"]).since_id == \
        third["event"]["tweet_create_events"][0]["id_str"]


def test_a_mention_delivered_and_polled_is_one_item(x_account, local_suite, sandboxes):
    server = ThreadedServer(local_suite.gateway).start()
    try:
        made = _mention(sandboxes["x"], x_account["account_id"], "@lily both ways",
                        url=f"{server.base_url}/webhooks/x")
    finally:
        server.stop()
    assert made["delivered"] and made["status"] == 200
    drain(local_suite)
    assert mentions_poll.run(sleep=lambda s: None).queued == 1
    drain(local_suite)
    assert [i.text for i in _items(x_account["org_id"])] == ["@lily both ways"]


def test_a_failing_platform_leaves_the_cursor_and_the_next_run_catches_up(x_account, local_suite, sandboxes):
    sandbox = sandboxes["x"]
    _mention(sandbox, x_account["account_id"], "@lily are you there?")
    httpx.post(f"{sandbox.base_url}/_sandbox/faults", timeout=5,
               json={"kind": "5xx", "count": 1, "path": f"/2/users/{x_account['account_id']}/mentions"})
    assert mentions_poll.run(sleep=lambda s: None).outcomes == {"failed": 1}
    with pytest.raises(MentionCursor.DoesNotExist):
        MentionCursor.get(x_account["org_id"], x_account["connection_id"])
    assert mentions_poll.run(sleep=lambda s: None).queued == 1
    drain(local_suite)
    assert len(_items(x_account["org_id"])) == 1

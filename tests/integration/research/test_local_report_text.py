"""Local research reports read sensibly: the AI sandbox takes each theme's topic from the material it was given
(the user content), not from the system prompt's first sentence ("...how much You are a social media research
analyst shapes..."). Each insight's title names words of its own evidence."""

from __future__ import annotations

import re

from lily.local.sandboxes.feeds import ENTRIES
from tests.integration.research.test_research_flow import (  # noqa: F401 - the flow's fixtures
    config_body,
    org,
    research_env,
    run_and_drain,
    sandboxes,
)
from tests.support.billing import set_plan

WORD = re.compile(r"[a-z][a-z'-]{3,}")


def words(text: str) -> set[str]:
    return {w.rstrip("s") for w in WORD.findall(text.lower())}


def test_report_titles_mention_their_themes_words(http, local_suite, org, research_env):  # noqa: F811
    set_plan(org["org_id"], "pro")
    r = http.post(f"{org['base']}/configs", headers=org["headers"], json=config_body(research_env))
    assert r.status_code == 201, r.text
    job = run_and_drain(http, local_suite, org, r.json()["config_id"])
    assert job["status"] == "done", job
    report = http.get(f"{org['base']}/reports/{job['report_id']}", headers=org["headers"]).json()
    assert report["insights"]
    for insight in report["insights"]:
        texts = {title: str(text) for _, title, text in ENTRIES}  # the feeds' articles: what the prompt carried
        material = words(" ".join(f"{e['title']} {texts.get(e['title'], '')}" for e in insight["evidence"]))
        assert words(insight["title"]) & material, (insight["title"], sorted(material)[:20])
        assert "social media research analyst" not in insight["title"] + insight["summary"]
    assert "You are" not in report["summary"]

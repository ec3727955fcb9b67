"""Autopilot fixtures: an org in the tables (plan, time zone, owner, connections), autopilot's ports on the real
providers except the writer (a fake with known token counts, so costs are exact) and, where a test says so,
the research brief."""

from __future__ import annotations

import threading
import time

import pytest

from lily.autopilot.ports import Brief, ImageState, Written
from lily.core import clock, ids
from lily.identity.models import Membership, Org
from lily.social.models import SocialConnection
from tests.support.billing import set_plan


@pytest.fixture(scope="session", autouse=True)
def faithful_emulator(emulator):
    """DynamoDB serializes writes per item; make this process's moto do the same (concurrent runs rely on it)."""
    from lily.local.emulator import prepare

    prepare()
    return emulator


class FakeWriter:
    """The content pipeline's answer with fixed token counts (``model`` priced in the settings' table)."""

    def __init__(self, model: str = "gpt-4o-mini", input_tokens: int = 1000, output_tokens: int = 500,
                 pause_s: float = 0.0) -> None:
        self.model, self.input_tokens, self.output_tokens, self.pause_s = model, input_tokens, output_tokens, pause_s
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def write(self, org_id: str, topic: str, platform: str, insight_ids: list[str]) -> Written:
        with self.lock:
            self.calls.append((topic, platform))
            n = len(self.calls)
        if self.pause_s:
            time.sleep(self.pause_s)  # two concurrent runs interleave their steps
        return Written(text=f"Post {n} about {topic}", draft_id=f"drf_{n}", model=self.model,
                       input_tokens=self.input_tokens, output_tokens=self.output_tokens)


class FakeImages:
    """The image pipeline's port: each started job stays pending until the test sets its state (``states``);
    ``refuse`` makes every start fail as the pipeline would (moderation, storage)."""

    def __init__(self, refuse: Exception | None = None) -> None:
        self.refuse = refuse
        self.started: list[tuple[str, str, str]] = []  # (job_id, topic, platform)
        self.states: dict[str, ImageState] = {}
        self.lock = threading.Lock()

    def start(self, org_id: str, prompt: str, platform: str, context: str) -> str:
        if self.refuse is not None:
            raise self.refuse
        with self.lock:
            job_id = ids.new_id("imgjob")
            self.started.append((job_id, prompt, platform))
        return job_id

    def state(self, org_id: str, job_id: str) -> ImageState:
        return self.states.get(job_id, ImageState("pending"))


class FakeResearch:
    def __init__(self, brief: Brief | None) -> None:
        self.brief = brief

    def latest(self, org_id: str) -> Brief | None:
        return self.brief


def make_org(plan: str = "pro", zone: str | None = None, platforms: tuple[str, ...] = ("x",)) -> dict:
    org_id, owner = ids.new_id("org"), ids.new_id("usr")
    now = clock.now()
    Org(org_id, name="Acme", owner_id=owner, created_at=now, timezone=zone).save()
    Membership(org_id, owner, role="owner", email=f"{owner}@example.com", joined_at=now).save()
    if plan != "free":
        set_plan(org_id, plan)
    conns = []
    for p in platforms:
        cid = ids.new_id("soc")
        SocialConnection(org_id, cid, platform=p, account_id=f"acct-{cid}", account_kind="user",
                         account_name="Acme", access_envelope="sealed", grant_id="grant", created_by=owner,
                         created_at=now, updated_at=now).save()
        conns.append(cid)
    return {"id": org_id, "owner": owner, "email": f"{owner}@example.com", "connections": conns}


@pytest.fixture
def writer(lily_env):
    return FakeWriter()


@pytest.fixture
def images(lily_env):
    return FakeImages()


@pytest.fixture
def ports(lily_env, writer, images):
    from lily import composition

    return composition.autopilot_ports()._replace(writer=writer, images=images)

"""A local feed host: sample RSS 2.0 and Atom 1.0 feeds for research in local mode.

- ``GET /feeds/hr-tech.rss``: RSS 2.0 (``application/rss+xml``), ``GET /feeds/workplace.atom``: Atom 1.0
  (``application/atom+xml``): entries on three themes (remote onboarding, AI in recruiting, employee
  wellbeing), worded differently from entry to entry so that semantic retrieval, not word overlap, groups them;
- ``GET /feeds/{name}`` for any feed a test registered with ``POST /_sandbox/feeds/{name}``
  (``{"body": "...", "content_type": "...", "status": 200}``), e.g. a malformed or oversized one;
- ``GET /redirect?to=<url>``: a 302 to ``to`` (the SSRF guard checks every redirect target);
- ``GET /_sandbox/requests``: paths fetched.

Local mode points research at it by allowing exactly this server's ``host:port`` past the SSRF guard
(``LILY_FEED_ALLOWED_PRIVATE``); every other private or loopback address stays refused.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from lily.local.sandboxes.kit import Sandbox, start_platform

# (theme, title, text): several wordings per theme.
ENTRIES = [
    ("onboarding", "Remote onboarding that sticks",
     "Companies that pair every remote new hire with a buddy for the first month see fewer early resignations."),
    ("onboarding", "First weeks at a distributed company",
     "A structured first week with a mentor helps employees who start from home settle in and stay longer."),
    ("onboarding", "Why new starters quit early",
     "Staff who join without a clear welcome plan are twice as likely to leave within ninety days."),
    ("onboarding", "Welcoming hires you never meet in person",
     "Video introductions, a starter checklist and a named buddy make virtual onboarding feel personal."),
    ("recruiting", "AI screening in hiring",
     "Recruiters increasingly use machine learning models to shortlist candidates from large applicant pools."),
    ("recruiting", "Algorithms that read CVs",
     "Automated resume ranking speeds up recruitment but raises questions about bias against some applicants."),
    ("recruiting", "Chatbots interview job seekers",
     "Conversational AI now runs first-round candidate interviews and schedules follow-ups for talent teams."),
    ("recruiting", "Fair automated hiring",
     "Auditing AI recruitment tools for discrimination is becoming a legal requirement in several regions."),
    ("wellbeing", "Burnout is rising",
     "Surveys show more workers report exhaustion and stress, and employers are adding mental health days."),
    ("wellbeing", "Mental health at work",
     "Firms offering counselling and flexible hours report lower burnout and better staff morale."),
    ("wellbeing", "The four-day week trial",
     "Teams working four days reported less stress and more energy while keeping their output steady."),
    ("wellbeing", "Quiet quitting and exhaustion",
     "Employees who feel overworked disengage; managers who check in on wellbeing keep their teams motivated."),
]
BASE_TIME = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def rss(base: str) -> str:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{base}/articles/{i}</link>"
        f"<description>{escape(text)}</description><guid>{base}/articles/{i}</guid>"
        f"<pubDate>{format_datetime(BASE_TIME - timedelta(hours=i))}</pubDate></item>"
        for i, (_, title, text) in enumerate(ENTRIES) if i % 2 == 0)
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>HR tech news</title>'
            f"<link>{base}/</link><description>Sample feed</description>{items}</channel></rss>")


def atom(base: str) -> str:
    entries = "".join(
        f"<entry><title>{escape(title)}</title><link href=\"{base}/articles/{i}\"/><id>{base}/articles/{i}</id>"
        f"<updated>{(BASE_TIME - timedelta(hours=i)).strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>"
        f"<summary>{escape(text)}</summary></entry>"
        for i, (_, title, text) in enumerate(ENTRIES) if i % 2 == 1)
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Workplace</title><id>{base}/feeds/workplace.atom</id>"
            f"<updated>{BASE_TIME.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>{entries}</feed>")


@dataclass
class FeedsState:
    base_url: str = ""
    custom: dict[str, dict] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.custom.clear()
            self.requests.clear()


def create_app(state: FeedsState) -> FastAPI:
    app = FastAPI(title="Feeds sandbox")

    def base_of(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    @app.get("/feeds/{name}")
    def feed(name: str, request: Request) -> Response:
        with state.lock:
            state.requests.append(f"/feeds/{name}")
            custom = state.custom.get(name)
        if custom is not None:
            return Response(custom.get("body", ""), status_code=int(custom.get("status", 200)),
                            media_type=custom.get("content_type", "application/rss+xml"))
        if name == "hr-tech.rss":
            return Response(rss(base_of(request)), media_type="application/rss+xml")
        if name == "workplace.atom":
            return Response(atom(base_of(request)), media_type="application/atom+xml")
        return Response("not found", status_code=404, media_type="text/plain")

    @app.get("/articles/{n}")
    def article(n: int) -> Response:
        return Response(f"<html><body>Article {n}</body></html>", media_type="text/html")

    @app.get("/redirect")
    def redirect(to: str) -> Response:
        return RedirectResponse(to, status_code=302)

    @app.post("/_sandbox/feeds/{name}")
    async def register(name: str, request: Request) -> JSONResponse:
        body = json.loads(await request.body() or b"{}")
        with state.lock:
            state.custom[name] = body
        return JSONResponse({"ok": True})

    @app.get("/_sandbox/requests")
    def requests_seen() -> list[str]:
        with state.lock:
            return list(state.requests)

    return app


def start() -> Sandbox[FeedsState]:
    state = FeedsState()
    return start_platform("feeds", create_app(state), state, lambda base: {
        "LILY_FEED_ALLOWED_PRIVATE": json.dumps([urlsplit(base).netloc]),
        "LILY_AUTOPOST_FEED_ALLOWED_PRIVATE": json.dumps([urlsplit(base).netloc]),  # automation's feeds and media
    })

"""The console function's declaration and pages without a browser: least privilege, public_route on every page
(the API authenticates each call), CSP without inline script, CSRF on every form, plain-language errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lily.console import charts
from lily.console.client import ApiError
from lily.console.errors import plain
from lily.core.functions import discover, load_handler_module
from tests.support.routes import app_routes, is_public

SPEC = next(s for s in discover() if s.name == "console")
TEMPLATES = Path(__file__).resolve().parents[3] / "shared" / "lily" / "console" / "templates"


@pytest.fixture(scope="module")
def app():
    return load_handler_module(SPEC).app


def test_the_console_touches_no_table_queue_bucket_or_secret():
    a = SPEC.access
    assert (a.tables, a.queues_send, a.buckets, a.secrets, a.kms) == ({}, [], {}, [], "none")


def test_every_console_route_is_declared_public_and_outside_the_api_document(app):
    routes = app_routes(app)
    assert routes and all(p.startswith("/app") and is_public(m, p, r) for m, p, r in routes)
    assert app.openapi_url is None


def test_pages_answer_with_a_csp_without_inline_script_and_no_framing(app):
    client = TestClient(app)
    r = client.get("/app/signin")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert '<html lang="en">' in r.text and "<script>" not in r.text
    assert r.headers["x-frame-options"] == "DENY"


def test_a_form_posted_without_its_csrf_token_is_refused_with_a_page_not_a_stack_trace(app):
    client = TestClient(app)
    r = client.post("/app/signin", data={"email": "a@example.com", "password": "x"})
    assert r.status_code == 403 and "This form has expired" in r.text and "Traceback" not in r.text


def test_an_unknown_console_address_is_a_404_page(app):
    r = TestClient(app).get("/app/no/such/page")
    assert r.status_code == 404 and "Page not found" in r.text


def test_a_signed_out_visit_to_a_page_goes_to_sign_in(app):
    r = TestClient(app).get("/app/compose", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/app/signin")


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    missing = []
    for f in TEMPLATES.glob("*.html"):
        text = f.read_text()
        chunks = text.split("<form")[1:]
        for chunk in chunks:
            head = chunk.split(">", 1)[0]
            body = chunk.split("</form>", 1)[0]
            if 'method="post"' in head and 'name="csrf"' not in body:
                missing.append(f"{f.name}: <form{head}>")
    assert missing == []


def test_api_errors_read_as_plain_language_with_an_upgrade_prompt_for_plan_limits():
    p = plain(ApiError(403, "PLAN_001", "feature not in plan", {"feature": "queues"}))
    assert p.upgrade and "Upgrade" in p.message
    v = plain(ApiError(422, "VALIDATION_001", "Invalid request",
                       {"errors": [{"loc": ["body", "topic"], "msg": "String should have at least 3 characters"}]}))
    assert "topic: String should have at least 3 characters" in v.detail and not v.upgrade
    unknown = plain(ApiError(409, "VALIDATION_003", "post is already scheduled"))
    assert unknown.message == "post is already scheduled."


def test_the_svg_chart_is_labelled_and_scales_to_the_largest_value():
    svg = charts.bars("Engagements", [("x 2026-12-01", 10), ("linkedin 2026-12-02", 5)])
    assert 'role="img"' in svg and "<title" in svg and "Engagements" in svg
    widths = [int(part.split('"')[0]) for part in svg.split('width="')[2:]]
    assert widths[0] == 2 * widths[1]


def test_every_template_compiles_and_none_is_compiled_before_its_first_render(app):
    from lily.console import pages
    from lily.core import snapstart

    # the handler leaves each template to its first render, and has all of them compiled for a SnapStart snapshot
    assert pages.compile_templates in snapstart._steps
    assert pages.compile_templates() == len(list(TEMPLATES.rglob("*.html"))) > 20  # a syntax error fails here

"""The console in headless Chromium against local mode: the golden path (sign up → verify from the local outbox →
connect X in the sandbox → AI draft with an image → schedule → the publisher runs → published with its link), an
axe-core scan of every page (0 serious or critical violations), X's character count as X counts it, and sign-out
revoking the session. Screenshots of each page go to tests/console/artefacts/ (`make screenshots`)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from lily.social.constraints import x_weighted_length
from tests.console.conftest import PASSWORD, Console

pytestmark = pytest.mark.timeout(600)
LOADED = "() => { const i = document.querySelector('#image img'); return !!i && i.complete && i.naturalWidth > 0; }"


@pytest.fixture(scope="module")
def person(lily, browser, scans):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    c = Console(page, lily)
    yield c
    scans.update(c.scans)
    context.close()


def test_golden_path_in_the_browser(person, lily):
    page, email = person.page, f"golden-{uuid.uuid4().hex[:8]}@example.com"
    person.email = email
    started = time.perf_counter()

    # Sign up
    person.go("/app/signup")
    assert person.check("signup") == []
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    assert person.check("check-email") == []

    # Verify, with the token of the email in the local outbox
    person.go(f"/app/verify?token={person.outbox_token(email, '/api/auth/verify-email')}")
    assert person.check("verify") == []
    page.get_by_role("button", name="Verify").click()

    # Sign in (a wrong password first: a sentence on the page)
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.get_by_text("Your email is verified.").is_visible()
    assert person.check("signin") == []
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not-the-password-1")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match" in page.get_by_role("alert").inner_text()
    assert person.check("signin-wrong-password") == []
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # First organization
    page.get_by_role("heading", name="Welcome to Lily").wait_for()
    assert person.check("first-org") == []
    page.get_by_label("Organization name").fill("Golden Roasters")
    page.get_by_role("button", name="Create organization").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert person.check("dashboard") == []

    # Connect X through the sandbox's consent screen
    person.go("/app/connections")
    page.get_by_role("button", name="Connect X").click()
    page.get_by_role("button", name="Approve").click()  # the sandbox's own consent page
    page.get_by_text("Your x account is connected.").wait_for()
    assert page.get_by_role("cell", name="active").count() == 1
    assert person.check("connections") == []

    # Compose: an AI draft for X, used as the post's text, with the live X count
    person.go("/app/compose")
    assert person.check("compose") == []
    page.get_by_label("Topic").fill("dialing in espresso at home")
    page.get_by_role("button", name="Generate drafts").click()
    page.get_by_role("button", name="Use this draft").first.click()
    text = page.get_by_label("Text").input_value()
    assert text and f"X counts {x_weighted_length(text)} of 280" in page.locator("#x-count").inner_text()
    assert page.evaluate("document.activeElement.id") == "text"  # focus moved to where the draft went
    # An image, with its job's progress, until it is attached with a preview and its alt text
    page.get_by_label("Describe the image").fill("a cup of espresso on a wooden table, morning light")
    page.get_by_role("button", name="Generate image").click()
    page.locator("[data-media-ready]").wait_for(state="attached", timeout=60_000)
    preview = page.locator("#image img")
    assert preview.get_attribute("alt")
    page.wait_for_function(LOADED)  # the presigned URL serves the bytes
    assert person.check("compose-with-image") == []
    # Its alt text is shown and can be edited (PATCH .../media/{id})
    alt = page.get_by_label("Alt text (what the image shows)")
    alt.fill("An espresso cup on a wooden table in morning light")
    page.get_by_role("button", name="Save alt text").click()
    page.get_by_text("Alt text saved.").wait_for()
    assert page.locator("#image img").get_attribute("alt") == "An espresso cup on a wooden table in morning light"
    page.get_by_label("First comment (optional)").fill("Which grinder do you use?")
    # Schedule 30 s ahead (to the second), in the organization's zone (UTC for a new organization)
    at = (datetime.now(ZoneInfo("UTC")) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S")
    page.get_by_label("Schedule for", exact=False).fill(at)
    page.get_by_role("button", name="Save post").click()
    page.get_by_text("scheduled for").wait_for()
    assert page.locator("#post-status").inner_text() == "scheduled"
    assert person.check("post-scheduled") == []

    # The publisher runs: the dispatcher's tick (every minute in local mode; fired now: it takes what is due within
    # its lookahead, a minute, and delays it to its time)
    assert lily.client.post("/_local/schedules/dispatcher/fire").status_code == 200
    deadline = time.monotonic() + 200
    while time.monotonic() < deadline:
        page.reload()
        if page.locator("#post-status").inner_text() in ("published", "failed"):
            break
        time.sleep(2)
    assert page.locator("#post-status").inner_text() == "published", lily.output()
    assert "Alt text: An espresso cup on a wooden table in morning light" in page.locator("main").inner_text()
    href = page.locator("a.published-link").get_attribute("href")
    assert href.startswith("http")
    elapsed = time.perf_counter() - started
    assert person.check("post-published") == []
    print(f"\nconsole golden path in Chromium: {elapsed:.1f} s (of which waiting for the scheduled minute and the "
          f"publisher)")

    # The library lists it among the published posts; its page has the link
    person.go("/app/posts?status=published")
    assert page.locator("tbody tr").count() == 1 and "published" in page.locator("tbody tr").inner_text()
    assert person.check("library") == []
    page.locator("tbody tr a").click()
    assert page.locator("a.published-link").get_attribute("href") == href


PAGES = ["/app/brand", "/app/calendar", "/app/calendar?view=month", "/app/analytics", "/app/research", "/app/members",
         "/app/api-keys", "/app/billing", "/app/orgs", "/app/reset"]


def test_every_page_has_no_serious_or_critical_axe_violation(person):
    found = {}
    for path in PAGES:
        person.go(path)
        name = path.strip("/").replace("/", "-").replace("?view=", "-")
        found[name] = person.check(name)
        if path == "/app/api-keys":  # plan gating: the free plan has no API keys, and the page says how to get them
            assert person.page.get_by_role("link", name="See plans and upgrade").is_visible()
            assert person.page.get_by_role("button", name="Create key").count() == 0
    person.go("/app/no-such-page")
    found["404"] = person.check("404")
    person.go("/app/admin")  # a platform admin's page: this person is not one
    assert person.page.get_by_role("heading", name="Not allowed").is_visible()
    found["403"] = person.check("403")
    assert {k: v for k, v in found.items() if v} == {}
    # No page broke its own Content-Security-Policy (an inline script or style, a foreign image or form target)
    assert [e for e in person.console_errors if "Content Security Policy" in e] == []


def test_brand_voice_and_a_vault_style_are_saved_through_the_api(person, lily):
    page = person.page
    person.go("/app/brand")
    page.get_by_label("Industry").fill("coffee roasting")
    page.get_by_label("Keywords to use").fill("espresso, grind size")
    page.get_by_role("button", name="Save brand voice").click()
    page.get_by_text("Brand voice saved.").wait_for()
    assert page.get_by_label("Keywords to use").input_value() == "espresso, grind size"
    page.get_by_label("Name").fill("Morning light")
    page.get_by_label("Palette (#rrggbb, comma-separated)").fill("#aa5500, #ffffff")
    page.get_by_role("button", name="Add style").click()
    page.get_by_text("added to the vault").wait_for()
    assert page.get_by_role("button", name="Delete style Morning light").count() == 1
    assert person.check("brand-saved") == []
    # A value the API refuses comes back as a sentence on the page, not a trace
    page.get_by_label("Palette (#rrggbb, comma-separated)").fill("not-a-colour")
    page.get_by_label("Name").fill("Broken")
    page.get_by_role("button", name="Add style").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "palette" in alert.inner_text().lower() and "Traceback" not in page.content()


def test_checkout_changes_the_plan_and_the_page_says_so(person, lily):
    page = person.page
    person.go("/app/billing")
    page.get_by_role("button", name="Choose Starter").click()
    page.wait_for_url(lambda url: not url.startswith(lily.base_url))  # Stripe's (sandbox) checkout page
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        person.go("/app/billing")
        if "Current plan: Starter" in page.locator("main").inner_text():
            break
        time.sleep(0.5)
    assert "Current plan: Starter" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Manage payment details").count() == 1
    assert person.check("billing-starter") == []


def test_calendar_moves_a_post_with_the_keyboard_and_by_drag_and_drop(person):
    page = person.page
    today = datetime.now(ZoneInfo("UTC")).date()
    monday = today + timedelta(days=7 - today.weekday())  # next week: every day of it is in the future
    # Given a post scheduled on next Monday at 10:00
    person.go("/app/compose")
    page.get_by_label("Text").fill("Calendar check")
    page.get_by_label("Schedule for", exact=False).fill(f"{monday.isoformat()}T10:00")
    page.get_by_role("button", name="Save post").click()
    page.get_by_text("scheduled for").wait_for()
    post_id = page.url.rsplit("/", 1)[-1]
    person.go(f"/app/calendar?view=week&start={monday.isoformat()}")
    assert person.check("calendar-week-with-post") == []
    day = lambda d: page.locator(f"[data-drop-day='{d.isoformat()}'] [data-post='{post_id}']")  # noqa: E731
    assert day(monday).count() == 1
    # When it is moved to Wednesday with the keyboard only ("Move to" field, Enter)
    field = page.locator(f"#move-{post_id}")
    field.focus()
    field.fill(f"{(monday + timedelta(days=2)).isoformat()}T10:00")
    page.keyboard.press("Tab")  # to its Move button
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert day(monday + timedelta(days=2)).count() == 1 and day(monday).count() == 0
    # And dragged onto Friday
    with page.expect_navigation():
        page.drag_and_drop(f"[data-post='{post_id}']", f"[data-drop-day='{(monday + timedelta(days=4)).isoformat()}']")
    assert day(monday + timedelta(days=4)).count() == 1 and day(monday + timedelta(days=2)).count() == 0


def test_organizations_are_created_and_switched(person):
    page = person.page
    person.go("/app/orgs")
    page.get_by_label("Organization name").fill("Second Shop")
    page.get_by_role("button", name="Create organization").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    switch = page.get_by_label("Organization", exact=True)
    assert switch.locator("option:checked").inner_text() == "Second Shop"
    switch.select_option(label="Golden Roasters")
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_label("Organization", exact=True).locator("option:checked").inner_text() == "Golden Roasters"
    # The posts of the organization in use: the golden path's published post is Golden Roasters'
    person.go("/app/posts?status=published")
    assert page.locator("tbody tr a").count() == 1


def test_a_media_upload_is_previewed_with_its_presigned_url(person, tmp_path):
    from PIL import Image

    png = tmp_path / "beans.png"
    Image.new("RGB", (64, 48), (120, 70, 30)).save(png)
    page = person.page
    person.go("/app/compose")
    page.get_by_label("Or upload an image or video").set_input_files(str(png))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.locator("[data-media-ready]").wait_for(state="attached")
    page.wait_for_function(LOADED)
    assert page.locator("#image img").evaluate("i => i.naturalWidth") == 64
    assert person.check("compose-uploaded") == []


def test_an_account_is_disconnected(person):
    page = person.page
    person.go("/app/connections")
    name = page.locator("tbody tr td").nth(1).inner_text().split(" (")[0]
    page.get_by_role("button", name=f"Disconnect {name}").click()
    page.get_by_text("No account connected yet.").wait_for()


def test_api_key_secret_is_shown_once(person):
    page = person.page
    person.go("/app/api-keys")
    page.get_by_label("Name").fill("CI")
    page.get_by_label("posts:read").check()
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_label("Key “CI”").input_value()
    assert len(key) > 20
    assert person.check("api-key-created") == []
    person.go("/app/api-keys")
    assert key not in page.content()


def test_the_browser_counts_x_characters_as_the_api_does(person):
    person.go("/app/signin")
    samples = ["hello", "café ☕ https://example.com/a/long/path?x=1", "日本語のテキスト", "👍🏽 flags 🇫🇷 and 👨‍👩‍👧",
               "visit lily.ai today", "— “quotes” … ‱", "a" * 300]
    for s in samples:
        assert person.page.evaluate("s => window.lilyXLength(s)", s) == x_weighted_length(s), s


def test_two_step_verification_is_set_up_and_asked_at_sign_in(person):
    import pyotp

    page = person.page
    email = person.email
    person.go("/app/security")
    assert person.check("security") == []
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Set up two-step verification").click()
    secret = page.get_by_label("Setup key").input_value()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    codes = [c.strip() for c in page.locator("#backup-codes code").all_inner_texts()]
    assert codes
    assert person.check("security-backup-codes") == []
    # Signed out and in again: the password alone is not enough; a wrong code is refused in words
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Two-step verification").wait_for()
    assert person.check("signin-2fa") == []
    page.get_by_label("Code from your authenticator app").fill("000000" if pyotp.TOTP(secret).now() != "000000"
                                                               else "111111")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("alert").wait_for()
    assert "code was not right" in page.get_by_role("alert").inner_text()
    page.get_by_label("Or a backup code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_sign_out_revokes_the_session(person, lily, browser):
    page = person.page
    person.go("/app")
    stolen = {c["name"]: c["value"] for c in page.context.cookies() if c["name"].startswith("lily_console")}
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert person.check("signed-out") == []
    # The cookies taken before sign-out open nothing: the API revoked that session
    r = httpx.get(f"{lily.base_url}/app/compose", cookies=stolen, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/app/signin")

"""In Chromium: the main pages load under the Content-Security-Policy without a single violation."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from config.demo import seed_demo
from tests.e2e.page_problems import record_page_problems

DEMO_PASSWORD = "demo-browser-pass"


@pytest.fixture
def demo_data(transactional_db, settings):
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    seed_demo()


def _main_pages() -> list[str]:
    from consultations.models import Consultation
    from responses.models import Response
    from stakeholders.models import Organisation

    consultation = Consultation.objects.order_by("deadline").first()
    organisation = Organisation.objects.filter(responses__isnull=False).order_by("name").first()
    received = Response.objects.received().order_by("pk").first()
    ours = Response.objects.ours().order_by("pk").first()
    pages = [
        reverse("home"),
        reverse("consultations:consultation-list"),
        reverse("consultations:consultation-detail", args=[consultation.slug]),
        reverse("consultations:consultation-edit", args=[consultation.slug]),
        reverse("stakeholders:organisation-list"),
        reverse("stakeholders:organisation-detail", args=[organisation.slug]),
        reverse("responses:response-list"),
        reverse("responses:response-create"),
        reverse("responses:response-detail", args=[received.pk]),
        reverse("responses:matrix", args=[consultation.slug]),
        reverse("responses:my-work"),
        reverse("notifications:notification-list"),
        reverse("exports:job-create", args=[consultation.slug]),
        reverse("reminders:calendar-settings"),
        reverse("admin:index"),
        reverse("admin:consultations_consultation_changelist"),
    ]
    if ours:
        pages.append(reverse("responses:draft-edit", args=[ours.pk]))
    return pages


def test_main_pages_load_without_a_csp_violation(page: Page, live_server, demo_data):
    """Every main page, signed in as an admin, runs its scripts and styles with nothing refused by the CSP."""
    problems = record_page_problems(page)

    first = page.goto(f"{live_server.url}{reverse('accounts:login')}")
    policy = first.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()

    for path in _main_pages():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    # An htmx request (the live organisation search) swaps content in under the same policy.
    page.goto(f"{live_server.url}{reverse('stakeholders:organisation-list')}")
    page.get_by_role("searchbox").first.fill("a")
    page.wait_for_load_state("networkidle")

    assert not problems, "\n".join(problems)


def test_a_violation_would_be_caught(page: Page, live_server, demo_data):
    """The check above is not blind: an inline script on a page served by the app is refused and reported."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran") is None
    assert any("Content Security Policy" in text for text in messages), messages

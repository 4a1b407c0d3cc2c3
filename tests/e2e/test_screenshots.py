"""In Chromium, on the demo data: a tour of the main pages as the team sees them, each checked for what it must
show before it is pictured for the README (docs/screenshots/)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from config.celery import app
from consultations.models import Consultation
from responses import services
from responses.models import ExtractionStatus, Response
from tests.e2e.conftest import DEMO_PASSWORD
from tests.factories import AttachmentFactory

COP = "itu-cwg-cop-results-framework-2016"
DESKTOP = {"width": 1280, "height": 800}
LETTER = (
    "Dear colleagues,\n\n"
    "We support a multi-stakeholder model in which governments, industry and civil society coordinate as "
    "equals, and we would consolidate the overlapping global initiatives into one framework.\n\n"
    "Reporting tools should stay flexible: each platform knows its users and its risks best.\n\n"
    "We warn against laws that would be used for bulk access to metadata or for censorship.\n\n"
    "Yours faithfully,\nPublic Policy team"
)


@pytest.fixture
def eager_tasks():
    """Build the pack inside the request: a browser test has no worker, and the broker is real."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def commented_draft(demo_data) -> Response:
    """The demo draft, in review, with a paragraph comment from the reviewer and the author's reply."""
    draft = Response.objects.ours().get()
    author, reviewer = User.objects.get(username="policy"), User.objects.get(username="reviewer")
    services.response_request_review(
        response=draft, by=author, reviewers=[reviewer], due_at=timezone.now() + datetime.timedelta(days=2)
    )
    draft.refresh_from_db()
    thread = services.comment_add(
        response=draft,
        by=reviewer,
        body="Which reporting tools? Name the platforms we mean.",
        anchor_version=draft.version,
        anchor_paragraph=3,
    )
    services.comment_add(response=draft, by=author, body="Done in the next version, @reviewer.", parent=thread)
    return draft


def test_the_main_pages_as_the_team_sees_them(page: Page, live_server, commented_draft, eager_tasks, screenshot):
    page.set_viewport_size(DESKTOP)
    url = live_server.url

    page.goto(f"{url}{reverse('accounts:login')}")
    expect(page.get_by_role("heading", name="Log in to Consultrack")).to_be_visible()
    screenshot(page, "login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    expect(page.get_by_role("heading", name="Responses per consultation")).to_be_visible()
    screenshot(page, "dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Consultations", exact=True).click()
    expect(page.get_by_role("heading", name="Consultations", exact=True)).to_be_visible()
    expect(page.get_by_test_id("consultation-row").first).to_be_visible()
    screenshot(page, "consultation-list")

    page.goto(f"{url}{reverse('consultations:consultation-detail', args=[COP])}")
    expect(page.get_by_role("heading", name="COP Results Framework", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Topics")).to_be_visible()
    screenshot(page, "consultation")

    received = Response.objects.received().filter(consultation__slug=COP).order_by("pk").first()
    AttachmentFactory(
        response=received,
        original_name="letter.txt",
        data=LETTER.encode(),
        extracted_text=LETTER,
        extraction_status=ExtractionStatus.DONE,
    )
    page.goto(f"{url}{reverse('responses:response-detail', args=[received.pk])}")
    expect(page.get_by_role("heading", name=received.organisation.name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Save positions and answers")).to_be_visible()
    expect(page.get_by_role("region", name="Text of letter.txt")).to_contain_text("multi-stakeholder")
    page.locator("#text-heading").evaluate(
        'heading => heading.scrollIntoView({behavior: "instant"})'
    )  # the text beside the coding
    screenshot(page, "response-coding")

    page.goto(f"{url}{reverse('responses:matrix', args=[COP])}")
    expect(page.get_by_role("heading", name="Stance matrix")).to_be_visible()
    expect(page.get_by_test_id("stance-matrix").get_by_role("rowheader").first).to_be_visible()
    screenshot(page, "stance-matrix")

    search = page.get_by_test_id("navbar-search")
    search.fill("coordination")
    search.press("Enter")
    expect(page.get_by_test_id("response-result").first).to_be_visible()
    screenshot(page, "search")

    page.goto(f"{url}{commented_draft.get_absolute_url()}")
    thread = page.get_by_test_id("paragraph").nth(3).get_by_test_id("thread")
    expect(thread).to_contain_text("Name the platforms we mean.")
    expect(thread).to_contain_text("Done in the next version")
    thread.scroll_into_view_if_needed()
    screenshot(page, "draft-review")

    page.goto(f"{url}{reverse('exports:job-create', args=[COP])}")
    expect(page.get_by_role("heading", name="Export a response pack")).to_be_visible()
    screenshot(page, "pack-request")
    page.get_by_label("CSV").check()
    page.get_by_role("button", name="Build the pack").click()
    expect(page.get_by_test_id("job-status")).to_contain_text("Done")
    expect(page.get_by_test_id("download-link")).to_be_visible()
    screenshot(page, "pack-progress")

    issuer = Consultation.objects.get(slug=COP).issuer
    page.goto(f"{url}{issuer.get_absolute_url()}")
    expect(page.get_by_role("heading", name=issuer.name, level=1)).to_be_visible()
    screenshot(page, "organisation")

"""In Chromium: a draft goes from policy staff to a reviewer and back, until it is submitted and locked."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.roles import Role
from config.celery import app
from responses.models import Response, ResponseStatus
from tests.e2e.login import log_in
from tests.factories import ConsultationFactory, OrganisationFactory, UserFactory

PARAGRAPHS = [
    "We welcome the guidelines and their focus on coordination.",
    "Reporting tools should stay flexible for each platform.",
    "National capacity building deserves more funding.",
]


@pytest.fixture
def team(transactional_db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    policy = UserFactory(username="pat", first_name="Pat", last_name="Policy", role=Role.POLICY_STAFF)
    reviewer = UserFactory(username="rene", first_name="Rene", last_name="Reviewer", role=Role.REVIEWER)
    consultation = ConsultationFactory(
        title="Guidelines on the protection of minors online",
        slug="minors-online",
        deadline=timezone.now() + datetime.timedelta(days=12),
    )
    OrganisationFactory(name="Child Safety Policy Network")
    return {"policy": policy, "reviewer": reviewer, "consultation": consultation}


@pytest.fixture
def eager_tasks():
    """Send notification e-mails inside the request: a browser test has no worker, and the broker is real."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_a_draft_is_reviewed_changed_approved_submitted_and_locked(
    page: Page, browser: Browser, live_server, team, eager_tasks
):
    # Policy staff drafts the response from the consultation's page, previews it and saves it.
    log_in(page, live_server, "pat")
    page.goto(f"{live_server.url}/consultations/minors-online/")
    page.get_by_role("link", name="Draft our response").click()
    page.get_by_label("On behalf of").select_option(label="Child Safety Policy Network")
    page.get_by_label("Text of the response").fill("\n\n".join(PARAGRAPHS))
    page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("preview")).to_contain_text("National capacity building")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_test_id("response-status")).to_have_text("Draft")
    expect(page.get_by_test_id("paragraph")).to_have_count(3)

    # ... and asks Rene for a review, due by the default date.
    page.get_by_role("link", name="Request review").click()
    page.get_by_label("Rene Reviewer (rene)").check()
    page.get_by_role("button", name="Request the review").click()
    expect(page.get_by_test_id("response-status")).to_have_text("In review")
    draft_url = page.url

    # The reviewer finds the review in My work, comments on the second paragraph and requests changes.
    reviewer = browser.new_page()
    log_in(reviewer, live_server, "rene")
    expect(reviewer.get_by_test_id("notification-bell")).to_contain_text("1")
    reviewer.get_by_role("link", name="My work", exact=True).click()
    reviewer.get_by_test_id("my-reviews").get_by_role(
        "link", name="Guidelines on the protection of minors online"
    ).click()
    second = reviewer.get_by_test_id("paragraph").nth(1)
    second.get_by_text("Comment on this paragraph", exact=True).click()
    second.get_by_label("Your comment on this paragraph").fill("Which platforms? Name them.")
    second.get_by_role("button", name="Comment").click()
    thread = reviewer.get_by_test_id("paragraph").nth(1).get_by_test_id("thread")
    expect(thread.get_by_test_id("quoted-paragraph")).to_have_text(PARAGRAPHS[1])
    reviewer.get_by_label("Your decision on this version").fill("Please name the platforms in paragraph 2.")
    reviewer.get_by_role("button", name="Request changes").click()
    expect(reviewer.get_by_test_id("response-status")).to_have_text("Changes requested")

    # Policy staff edits the paragraph: the comment shows as outdated, and is resolved.
    page.goto(draft_url)
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Text of the response").fill(
        "\n\n".join(
            [
                PARAGRAPHS[0],
                "Reporting tools should stay flexible for each platform, social network and game.",
                PARAGRAPHS[2],
            ]
        )
    )
    page.get_by_role("button", name="Save a new version").click()
    expect(page.get_by_test_id("version")).to_have_text("version 2")
    thread = page.get_by_test_id("paragraph").nth(1).get_by_test_id("thread")
    expect(thread.get_by_test_id("outdated")).to_be_visible()
    expect(thread.get_by_test_id("quoted-paragraph")).to_have_text(PARAGRAPHS[1])
    thread.get_by_role("button", name="Resolve").click()
    expect(page.get_by_test_id("paragraph").nth(1).get_by_test_id("resolved")).to_be_visible()
    page.get_by_role("link", name="Request review").click()
    page.get_by_role("button", name="Request the review").click()
    expect(page.get_by_test_id("response-status")).to_have_text("In review")

    # The reviewer approves version 2.
    reviewer.goto(draft_url)
    reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.get_by_test_id("response-status")).to_have_text("Approved")

    # Policy staff submits it: the response is locked.
    page.goto(draft_url)
    page.get_by_role("link", name="Submit", exact=True).click()
    page.get_by_label("Submitted through").select_option(label="Portal")
    page.get_by_role("button", name="Submit and lock").click()
    expect(page.get_by_test_id("response-status")).to_have_text("Submitted")
    expect(page.get_by_test_id("locked")).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_label("Comment on the whole draft")).to_have_count(0)
    reviewer.goto(draft_url)
    expect(reviewer.get_by_role("button", name="Resolve")).to_have_count(0)
    reviewer.close()

    response = Response.objects.get()
    assert (response.status, response.channel, response.version) == (ResponseStatus.SUBMITTED, "portal", 2)
    assert response.submitted_at is not None
    subjects = {message.subject for message in mail.outbox}
    assert "Review requested: Guidelines on the protection of minors online" in subjects
    assert "Submitted: our response to Guidelines on the protection of minors online" in subjects

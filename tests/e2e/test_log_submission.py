"""In Chromium: policy staff log Interpol's letter to the ITU consultation, code three positions
beside its extracted text, and find them in the stance matrix."""

import pytest
from playwright.sync_api import Page, expect

from config.celery import app
from config.demo import seed_demo
from tests.factories import make_pdf

DEMO_PASSWORD = "demo-browser-pass"
COP_SLUG = "itu-cwg-cop-results-framework-2016"


@pytest.fixture
def demo_data(transactional_db, settings, tmp_path):
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_demo()


@pytest.fixture
def eager_extraction(settings):
    """Run text extraction inside the live server's request, right after the upload commits.

    The live server is a thread of this process and the test run sets CELERY_BROKER_URL, so
    without this the task would wait in Redis for a worker nobody started. Eager mode keeps the
    browser test about the browser; a real worker on Redis is exercised in tests/test_extraction.py.
    The Celery app read its configuration at import, so it is told directly as well, and restored.
    """
    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_policy_staff_log_a_submission_code_it_and_see_the_matrix(
    page: Page, live_server, demo_data, eager_extraction, tmp_path
):
    letter = tmp_path / "interpol-letter.pdf"
    letter.write_bytes(
        make_pdf(
            "Interpol supports a multi-stakeholder model of coordination.",
            "Interpol opposes prescriptive reporting mandates.",
            "Interpol strongly supports building national capacity.",
        )
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("policy")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, Pat")).to_be_visible()

    # Log the letter: consultation, organisation through the type-ahead (by keyboard), channel, file.
    page.goto(f"{live_server.url}/responses/new/")
    page.get_by_label("Consultation").select_option(label="COP Results Framework")
    search = page.get_by_label("Find the organisation")
    search.fill("Inter")
    options = page.locator("#organisation-options [data-org-id]")
    expect(options).to_have_count(3)  # ITU, Internet Watch Foundation, Interpol
    expect(options.filter(has_text="Internet Watch Foundation")).to_contain_text("already responded")
    search.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(options.filter(has_text="Interpol")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#organisation-chosen")).to_have_text("Chosen: Interpol")
    expect(search).to_have_value("Interpol")
    expect(options).to_have_count(0)

    page.get_by_label("Received through").select_option(label="Letter")
    page.get_by_label("Received on").fill("2016-01-30")
    page.get_by_label("Summary").fill("Supports coordination and capacity building; against reporting mandates.")
    page.get_by_label("Files").set_input_files(str(letter))
    page.get_by_role("button", name="Log the submission").click()

    # The response page: the letter's text beside the coding form.
    expect(page.get_by_role("heading", name="Interpol", exact=True)).to_be_visible()
    expect(page.get_by_text("The submission of Interpol is logged.")).to_be_visible()
    expect(page.get_by_role("link", name="interpol-letter.pdf", exact=True)).to_be_visible()
    text_panel = page.locator("#text-panel")
    expect(text_panel).to_contain_text("Interpol opposes prescriptive reporting mandates.")
    expect(text_panel).not_to_contain_text("Extracting")

    page.get_by_label("Stance on Multi-stakeholder coordination").select_option(label="Supports")
    page.locator("#position-" + _topic_pk("multi-stakeholder-coordination")).get_by_label("Quote").fill(
        "Interpol supports a multi-stakeholder model of coordination."
    )
    page.get_by_label("Stance on Reporting mechanisms").select_option(label="Opposes")
    page.get_by_label("Stance on National capacity building").select_option(label="Strongly supports")
    page.get_by_role("button", name="Save positions and answers").click()
    expect(page.get_by_text("Positions and answers saved.")).to_be_visible()

    # The matrix: Interpol's row carries the three stances, as text (and colour), the rest not coded.
    page.get_by_role("link", name="Stance matrix").first.click()
    expect(page.get_by_role("heading", name="Stance matrix")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Interpol"))
    expect(row.get_by_role("cell")).to_have_text(
        ["Supports", "— not coded", "Opposes", "— not coded", "Strongly supports"]
    )
    expect(row.locator(".stance-strongly_supports")).to_have_text("Strongly supports")

    # Each stance links back to the position in the response.
    row.get_by_text("Opposes").click()
    expect(page).to_have_url(
        f"{live_server.url}/responses/{_response_pk()}/#position-{_topic_pk('reporting-mechanisms')}"
    )
    expect(page.get_by_label("Stance on Reporting mechanisms")).to_have_value("opposes")


def _topic_pk(slug: str) -> str:
    from consultations.models import Topic

    return str(Topic.objects.get(consultation__slug=COP_SLUG, slug=slug).pk)


def _response_pk() -> int:
    from responses.models import Response

    return Response.objects.get(consultation__slug=COP_SLUG, organisation__slug="interpol").pk

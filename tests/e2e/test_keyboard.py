"""In Chromium, with the keyboard alone (no clicks, no filling of fields): signing in, logging a received
submission, commenting on a draft and approving it, requesting a pack and reaching its download link, adding
and reordering a consultation's questions. Every element the Tab key lands on must show a visible focus ring."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.roles import Role
from config.celery import app
from exports.models import ExportJob, ExportStatus
from responses import services
from responses.models import Channel, Comment, Response, ResponseStatus, ReviewDecision
from tests.factories import (
    PASSWORD,
    ConsultationFactory,
    OrganisationFactory,
    QuestionFactory,
    ResponseFactory,
    UserFactory,
)

# What the focused element is, and whether it shows a focus indicator (an outline or a box shadow).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const label = el.labels && el.labels.length ? el.labels[0].innerText : el.getAttribute("aria-label") || "";
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: el.getAttribute("name") || "",
    text: (el.innerText || "").replace(/\\s+/g, " ").trim(),
    label: label.replace(/\\s+/g, " ").replace(/\\*$/, "").trim(),
    ring: outline || style.boxShadow !== "none",
    shown: box.width > 0 && box.height > 0,
  };
}"""


def focused(page: Page) -> dict:
    element = page.evaluate(FOCUSED)
    assert element is not None, "the focus is on nothing"
    return element


def assert_focus_visible(element: dict) -> None:
    assert element["shown"], f"the focused element is not shown: {element}"
    assert element["ring"], f"the focused element shows no focus ring: {element}"


def tab_to(page: Page, *, text: str = "", label: str = "", name: str = "", back: bool = False, limit: int = 80):
    """Press Tab (or Shift+Tab) until the focus is on the element with this text, label or name.

    Every element passed on the way must show its focus too.
    """
    visited = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        element = page.evaluate(FOCUSED)
        assert element is not None, f"Tab left the page without reaching {text or label or name!r}: {visited}"
        visited.append(element["text"] or element["label"] or element["name"])
        assert_focus_visible(element)
        if (
            (text and element["text"] == text)
            or (label and element["label"] == label)
            or (name and element["name"] == name)
        ):
            return element
    raise AssertionError(f"Tab never reached {text or label or name!r}: {visited}")


def choose_option(page: Page, option: str, *, limit: int = 30) -> None:
    """On a focused <select>, press the arrow keys until `option` is selected."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement.selectedOptions[0].text.trim()") == option:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{option!r} is not among the options")


def sign_in(page: Page, live_server, username: str) -> None:
    """Sign in (the username box has the focus when the page opens), then, on the home page, check that the
    skip link comes first and moves the focus to the main content."""
    page.goto(f"{live_server.url}/accounts/login/")
    assert focused(page)["label"] == "Username"
    page.keyboard.type(username)
    tab_to(page, label="Password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()

    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "Skip to main content", skip
    assert_focus_visible(skip)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"


@pytest.fixture
def eager_tasks():
    """Run queued work (packs, notification mail) inside the request: a browser test has no worker."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_policy_staff_log_a_submission_with_the_keyboard_only(page: Page, live_server, transactional_db):
    UserFactory(username="pat", first_name="Pat", role=Role.POLICY_STAFF)
    consultation = ConsultationFactory(title="COP Results Framework")
    for name in ("International Telecommunication Union", "Internet Watch Foundation", "Interpol"):
        OrganisationFactory(name=name)

    sign_in(page, live_server, "pat")
    tab_to(page, text="Log a submission", back=True)  # the navigation bar is before the main content
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Log a received submission")).to_be_visible()

    tab_to(page, label="Consultation")
    choose_option(page, "COP Results Framework")
    # The radio group "An organisation we know / A new organisation" is one stop; the first is chosen.
    tab_to(page, label="Find the organisation")
    page.keyboard.type("Inter")
    options = page.locator("#organisation-options [data-org-id]")
    expect(options).to_have_count(3)
    page.keyboard.press("ArrowDown")
    while focused(page)["text"].split(" ")[0] != "Interpol":
        assert_focus_visible(focused(page))
        page.keyboard.press("ArrowDown")
    assert_focus_visible(focused(page))
    page.keyboard.press("Enter")
    expect(page.locator("#organisation-chosen")).to_have_text("Chosen: Interpol")

    tab_to(page, label="Received through")
    choose_option(page, "Letter")
    tab_to(page, label="Summary")
    page.keyboard.type("Supports coordination; against reporting mandates.")
    tab_to(page, text="Log the submission")
    page.keyboard.press("Enter")

    expect(page.get_by_text("The submission of Interpol is logged.")).to_be_visible()
    response = Response.objects.get()
    assert (response.consultation, response.organisation.name) == (consultation, "Interpol")
    assert (response.channel, response.status) == (Channel.LETTER, ResponseStatus.RECEIVED)
    assert response.summary == "Supports coordination; against reporting mandates."


def test_a_reviewer_comments_on_a_paragraph_and_approves_with_the_keyboard_only(
    page: Page, live_server, transactional_db, eager_tasks
):
    author = UserFactory(username="pat", role=Role.POLICY_STAFF)
    reviewer = UserFactory(username="rene", first_name="Rene", role=Role.REVIEWER)
    consultation = ConsultationFactory(deadline=timezone.now() + datetime.timedelta(days=12))
    draft = services.draft_create(
        consultation=consultation,
        organisation=OrganisationFactory(),
        by=author,
        body="We welcome the guidelines.\n\nReporting tools should stay flexible.",
    )
    services.response_request_review(
        response=draft, by=author, reviewers=[reviewer], due_at=timezone.now() + datetime.timedelta(days=2)
    )

    sign_in(page, live_server, "rene")
    page.goto(f"{live_server.url}{draft.get_absolute_url()}")
    tab_to(page, text="Comment on this paragraph")  # the first paragraph's <summary>
    page.keyboard.press("Enter")
    tab_to(page, label="Your comment on this paragraph")
    page.keyboard.type("Which guidelines? Name them.")
    tab_to(page, text="Comment")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("paragraph").first.get_by_test_id("thread")).to_contain_text("Name them.")

    tab_to(page, label="Your decision on this version")
    page.keyboard.type("Fine once the guidelines are named.")
    tab_to(page, text="Approve")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("response-status")).to_have_text("Approved")

    comment = Comment.objects.get()
    assert (comment.author, comment.anchor_paragraph) == (reviewer, 0)
    assert draft.review_requests.get().decision == ReviewDecision.APPROVED


def test_an_admin_requests_a_pack_and_reaches_its_download_link_with_the_keyboard_only(
    page: Page, live_server, transactional_db, eager_tasks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    UserFactory(username="ada", first_name="Ada", role=Role.ADMIN, is_staff=True)
    consultation = ConsultationFactory(title="COP Results Framework")
    ResponseFactory(consultation=consultation, organisation=OrganisationFactory(name="Interpol"))

    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}{consultation.get_absolute_url()}")
    tab_to(page, text="Export pack")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Export a response pack")).to_be_visible()

    # The formats are one radio group: the arrow keys move the choice to CSV.
    tab_to(page, name="format")
    for _ in range(10):
        if page.evaluate("() => document.activeElement.value") == "csv":
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.checked && document.activeElement.value") == "csv"
    tab_to(page, text="Build the pack")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("job-status")).to_contain_text("Done")
    link = tab_to(page, text=f"Download {ExportJob.objects.get().download_name()}")
    assert link["tag"] == "a"
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    assert download_info.value.suggested_filename.endswith(".csv")
    assert ExportJob.objects.get().status == ExportStatus.DONE


def test_questions_are_added_and_reordered_with_the_keyboard_only(page: Page, live_server, transactional_db):
    """The formset's Add and Move buttons work from the keyboard, and keep the focus where the user works."""
    UserFactory(username="ada", first_name="Ada", role=Role.ADMIN)
    consultation = ConsultationFactory(title="COP Results Framework")
    QuestionFactory(consultation=consultation, number="1", text="Should the framework be global?", order=0)

    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}{consultation.get_absolute_url()}edit/")
    tab_to(page, text="Add question")
    page.keyboard.press("Enter")
    assert focused(page)["name"] == "questions-1-number", "the focus moves into the new row"
    page.keyboard.type("0")
    tab_to(page, name="questions-1-text")
    page.keyboard.type("Who should coordinate?")
    move_up = tab_to(page, label="Move up")
    assert move_up["tag"] == "button"
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("question-row").first.get_by_role("textbox").first).to_have_value("0")
    assert focused(page)["label"] == "Move down", "the focus stays on the moved row"
    tab_to(page, text="Save")
    page.keyboard.press("Enter")

    expect(page.get_by_text("The consultation “COP Results Framework” was saved.")).to_be_visible()
    assert list(consultation.questions.order_by("order").values_list("number", "text")) == [
        ("0", "Who should coordinate?"),
        ("1", "Should the framework be global?"),
    ]


def test_a_form_with_errors_opens_on_its_summary_whose_links_lead_to_the_fields(
    page: Page, live_server, transactional_db
):
    """The error summary has the focus after a failed post; following an error's link focuses its field."""
    UserFactory(username="ada", first_name="Ada", role=Role.ADMIN)
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/organisations/new/")
    tab_to(page, label="Website")
    page.keyboard.type("https://example.org/")
    tab_to(page, text="Create organisation")
    page.keyboard.press("Enter")

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    link = tab_to(page, text="Name: This field is required.")
    assert link["tag"] == "a"
    page.keyboard.press("Enter")
    name = focused(page)
    assert (name["id"], name["label"]) == ("id_name", "Name")
    assert_focus_visible(name)
    page.keyboard.type("Interpol")
    assert page.evaluate("() => document.getElementById('id_website').value") == "https://example.org/"

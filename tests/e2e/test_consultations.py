"""In Chromium: policy staff create a consultation with questions and topics, reorder topics, and see the order kept."""

import datetime
import re

from playwright.sync_api import Page, expect

from accounts.roles import Role
from consultations.models import Consultation
from tests.e2e.login import log_in
from tests.factories import ConsultationFactory, OrganisationFactory, UserFactory


def test_policy_staff_create_a_consultation_and_reorder_its_topics(page: Page, live_server):
    """Two questions and two topics added in place; the second topic moved up; the page shows that order."""
    UserFactory(username="pat", role=Role.POLICY_STAFF)
    OrganisationFactory(name="International Telecommunication Union (ITU)")
    log_in(page, live_server, "pat")

    page.goto(f"{live_server.url}/consultations/")
    page.get_by_role("link", name="New consultation").click()
    page.get_by_label("Title").fill("COP Results Framework")
    page.get_by_label("Issuing body").select_option(label="International Telecommunication Union (ITU)")
    page.get_by_label("Issuer's time zone").select_option("Europe/Zurich")
    page.get_by_label("Opens").fill("2015-12-01T09:00")
    page.get_by_label("Deadline").fill("2016-01-31T23:59")

    questions = page.get_by_test_id("question-row")
    for number, text in [("1", "Which coordination model?"), ("2", "How to align global initiatives?")]:
        page.get_by_role("button", name="Add question").click()
        row = questions.last
        expect(row.get_by_label("Number")).to_be_focused()
        row.get_by_label("Number").fill(number)
        row.get_by_label("Text").fill(text)
    expect(questions).to_have_count(2)

    topics = page.get_by_test_id("topic-row")
    for name in ["Multi-stakeholder coordination", "Reporting mechanisms"]:
        page.get_by_role("button", name="Add topic").click()
        topics.last.get_by_label("Name").fill(name)
    topics.nth(1).get_by_role("button", name="Move up").click()
    expect(topics.nth(0).get_by_label("Name")).to_have_value("Reporting mechanisms")
    expect(topics.nth(0).get_by_role("button", name="Move up")).to_be_disabled()

    page.get_by_role("button", name="Create consultation").click()

    expect(page.get_by_role("heading", name="COP Results Framework")).to_be_visible()
    expect(page.get_by_text("was created")).to_be_visible()
    expect(page.get_by_test_id("topic-name")).to_have_text(["Reporting mechanisms", "Multi-stakeholder coordination"])
    expect(page.get_by_test_id("questions").get_by_role("listitem")).to_have_text(
        ["Q1. Which coordination model?", "Q2. How to align global initiatives?"]
    )
    expect(page.get_by_test_id("deadline-issuer")).to_have_text("31 Jan 2016, 23:59 (Europe/Zurich)")

    consultation = Consultation.objects.get()
    assert consultation.deadline == datetime.datetime(2016, 1, 31, 22, 59, tzinfo=datetime.UTC)
    assert list(consultation.topics.values_list("slug", flat=True)) == [
        "reporting-mechanisms",
        "multi-stakeholder-coordination",
    ]


def test_policy_staff_invite_and_withdraw_without_leaving_the_page(page: Page, live_server):
    """The organisation is found by typing (htmx lists matches), the panel updates in place; one already invited
    is listed but cannot be chosen."""
    UserFactory(username="pat", role=Role.POLICY_STAFF)
    consultation = ConsultationFactory(title="COP Results Framework")
    OrganisationFactory(name="Interpol")
    log_in(page, live_server, "pat")
    page.goto(f"{live_server.url}{consultation.get_absolute_url()}")
    page.evaluate("window.notReloaded = true")

    panel = page.locator("#invitations")
    panel.get_by_label("Find the organisation").fill("inter")
    panel.get_by_role("button", name="Interpol").click()
    expect(panel.locator("#organisation-chosen")).to_have_text("Chosen: Interpol")
    panel.get_by_role("button", name="Invite").click()
    expect(panel.get_by_role("status")).to_have_text("Interpol is invited.")
    expect(panel.get_by_test_id("invitation")).to_have_text(["Interpol not yet"])
    # htmx 2 wires the swapped-in panel's triggers when it settles (20 ms after the swap); typing before
    # then goes unheard, as it would for no person.
    expect(panel).not_to_have_class(re.compile(r"\bhtmx-settling\b"))
    panel.get_by_label("Find the organisation").fill("interp")
    match = panel.locator("[data-org-id]", has_text="Interpol")
    expect(match).to_contain_text("already invited")
    expect(match).to_be_disabled()
    panel.get_by_label("Find the organisation").press("Escape")
    expect(match).to_have_count(0)

    panel.get_by_role("button", name="Withdraw the invitation of Interpol").click()
    expect(panel.get_by_role("status")).to_have_text("The invitation of Interpol was withdrawn.")
    expect(panel.get_by_test_id("invitation")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True

"""In Chromium: a policy officer searches from the navbar, narrows by a filter, saves the search and manages it."""

import re

from playwright.sync_api import Page, expect

from accounts.roles import Role
from responses.models import SavedSearch
from stakeholders.models import OrganisationKind
from tests.e2e.login import log_in
from tests.factories import ConsultationFactory, OrganisationFactory, ResponseFactory, UserFactory


def test_search_from_the_navbar_filter_and_save_the_search(page: Page, live_server):
    """Results show a marked snippet; a filter narrows them in place (htmx); the saved search runs again."""
    pat = UserFactory(username="pat", role=Role.POLICY_STAFF)
    consultation = ConsultationFactory(title="COP Results Framework")
    ResponseFactory(
        consultation=consultation,
        organisation=OrganisationFactory(name="Facebook", kind=OrganisationKind.COMPANY),
        summary="A letter.",
        body="We oppose legislation used to gain broad access to user metadata.",
    )
    ResponseFactory(
        consultation=consultation,
        organisation=OrganisationFactory(name="NCMEC", kind=OrganisationKind.NGO),
        summary="Metadata helps investigations.",
    )
    log_in(page, live_server, "pat")

    search_box = page.get_by_test_id("navbar-search")
    search_box.fill("metadata")
    search_box.press("Enter")
    results = page.get_by_test_id("response-result")
    expect(results).to_have_count(2)
    # The summary match ranks first; the body match shows where the word was found.
    expect(results.first).to_contain_text("NCMEC")
    expect(results.nth(1).locator("mark")).to_have_text("metadata")

    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Kind of organisation").select_option(OrganisationKind.COMPANY)
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Facebook")
    assert "kind=company" in page.url

    form = page.get_by_test_id("save-search-form")
    form.get_by_label("Name of the saved search").fill("Metadata, companies")
    form.get_by_label("E-mail me new matches daily").check()
    form.get_by_role("button", name="Save search").click()
    expect(page.get_by_text("Search “Metadata, companies” saved.")).to_be_visible()
    saved = SavedSearch.objects.get()
    assert (saved.owner, saved.query, saved.filters, saved.email_daily) == (
        pat,
        "metadata",
        {"kind": ["company"]},
        True,
    )

    page.get_by_test_id("user-menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My saved searches").click()
    row = page.get_by_test_id("saved-search-row")
    expect(row).to_contain_text("Metadata, companies")
    row.get_by_role("button", name=re.compile(r"^On")).click()
    expect(row.get_by_role("button", name=re.compile(r"^Off"))).to_be_visible()
    saved.refresh_from_db()
    assert not saved.email_daily

    row.get_by_role("link", name="Run").click()
    expect(page.get_by_test_id("response-result")).to_have_count(1)
    expect(page.get_by_test_id("search-page-input")).to_have_value("metadata")
